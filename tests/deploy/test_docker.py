"""deploy/docker: hadolint passes on every Dockerfile, each service has its target with the
right command, and what the build context lets in makes a package with its data files."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from services.cli import SERVICE_NAMES
from tests.deploy.conftest import DEPLOY, ROOT, Tools, run
from tests.integration.test_sinmun_up import free_port, wait_healthy

pytestmark = pytest.mark.timeout(600)

DOCKER = DEPLOY / "docker"
DOCKERFILES = sorted(p.name for p in DOCKER.iterdir() if p.name.endswith("Dockerfile"))


@pytest.mark.parametrize("name", DOCKERFILES)
def test_hadolint_passes(tools: Tools, name: str) -> None:
    result = run(tools.tool("hadolint"), "--no-color", DOCKER / name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_refuses_a_careless_dockerfile(tools: Tools, tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python\nRUN pip install aiohttp\n")
    result = run(tools.tool("hadolint"), "--no-color", careless)
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged base image


def _stages(text: str) -> dict[str, str]:
    """Stage name -> its instructions (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", text)
    stages: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        match = re.match(r"FROM \S+ AS (\S+)", line)
        if match:
            name = match.group(1)
            stages[name] = ""
        elif name and line and not line.startswith("#"):
            stages[name] += line + "\n"
    return stages


def test_one_target_per_service_over_a_shared_runtime() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    assert text.count("ARG PYTHON_IMAGE=python:3.11-slim") == 1
    stages = _stages(text)
    assert list(stages) == ["builder", "runtime", *SERVICE_NAMES]
    for name in SERVICE_NAMES:
        assert f"FROM runtime AS {name}" in text
        assert f'CMD ["serve", "{name}"]' in stages[name]
    runtime = stages["runtime"]
    assert "USER 10001:10001" in runtime
    assert "HEALTHCHECK" in runtime and "/healthz" in runtime
    assert 'ENTRYPOINT ["sinmun-entrypoint"]' in runtime
    assert "pip install --no-cache-dir -c constraints.txt" in stages["builder"]


def _context(tmp: Path) -> Path:
    """The files .dockerignore lets into the build context (its `*` then `!` rules)."""
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    tracked = run("git", "ls-files", cwd=ROOT).stdout.split()
    context = tmp / "context"
    for name in tracked:
        included = False
        for rule in rules:
            negate, pattern = rule.startswith("!"), rule.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(name, pattern) or name.startswith(pattern + "/"):
                included = negate
        if included and (ROOT / name).is_file():
            (context / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, context / name)
    return context


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package as the image's builder stage makes it: from the build context alone."""
    tmp = tmp_path_factory.mktemp("image")
    context = _context(tmp)
    assert (context / "deploy" / "docker" / "entrypoint.sh").is_file()
    assert not (context / "tests").exists() and not (context / ".local").exists()
    built = run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "dist",
                context)  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (path,) = (tmp / "dist").glob("sinmun-*.whl")
    return path


def test_the_package_holds_its_data_files(wheel: Path) -> None:
    packaged = set(zipfile.ZipFile(wheel).namelist())
    data = [
        name
        for name in run("git", "ls-files", "shared", "services", cwd=ROOT).stdout.split()
        if not name.endswith(".py")
    ]
    assert data, "the services read templates, static files and a dictionary"
    missing = [name for name in data if name not in packaged]
    assert not missing, f"not in the wheel (pyproject.toml's package-data): {missing}"


def test_the_installed_package_serves_the_site(wheel: Path, tmp_path: Path) -> None:
    """Installed (not editable, as in the image) and started through the image's entry point,
    the platform serves pages and static files from the package's own data."""
    target = tmp_path / "site-packages"
    installed = run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target,
                    wheel)  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sinmun").write_text(
        f'#!/bin/sh\nexec {sys.executable} -c "from services.cli import main; main()" "$@"\n'
    )
    (bin_dir / "sinmun").chmod(0o755)
    port = free_port()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(target),
           "SINMUN_SECRETS_DIR": str(tmp_path / "none")}  # fmt: skip
    where = run("env", f"PYTHONPATH={target}", sys.executable, "-c",
                "import services; print(services.__file__)", cwd=tmp_path)  # fmt: skip
    assert where.stdout.startswith(str(target)), where.stdout + where.stderr
    server = subprocess.Popen(
        ["sh", str(DOCKER / "entrypoint.sh"), "up", "--port", str(port), "--data-dir",
         str(tmp_path / "data")],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server, 60)
        for path, kind in (("/", "text/html"), ("/static/site.css", "text/css")):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200, path
                assert response.headers["Content-Type"].startswith(kind), path
        # The first search loads Kiwi with the package's user dictionary (seconds on a busy box).
        with urllib.request.urlopen(base + "/api/search?q=%ED%8F%AC%ED%95%AD", timeout=90) as r:
            assert r.status == 200
            assert json.loads(r.read())["total"] == 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_entrypoint_turns_secret_files_into_settings(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "SINMUN_SESSION_PUBLIC_KEY").write_text("-----BEGIN PUBLIC KEY-----\nabc\n")
    (secrets / "not-a-setting").write_text("ignored")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "sinmun"  # stands in for the real command: prints what it was given
    fake.write_text('#!/bin/sh\nprintf "%s|" "$@"; printf "%s" "$SINMUN_SESSION_PUBLIC_KEY"\n')
    fake.chmod(0o755)
    result = run(
        "env", f"PATH={bin_dir}:/usr/bin:/bin", f"SINMUN_SECRETS_DIR={secrets}",
        "sh", DOCKER / "entrypoint.sh", "serve", "boards",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "serve|boards|-----BEGIN PUBLIC KEY-----\nabc"


def _healthcheck() -> list[str]:
    text = re.sub(r"\\\n\s*", " ", (DOCKER / "Dockerfile").read_text())
    (command,) = re.findall(r"^HEALTHCHECK .*? CMD (\[.*\])$", text, re.M)
    return list(json.loads(command))


def test_the_healthcheck_command_tells_up_from_down(tmp_path: Path) -> None:
    command = _healthcheck()
    assert command[0] == "python"
    port = free_port()
    env = {**os.environ, "SINMUN_PORT": str(port)}
    python = [sys.executable, *command[1:]]
    down = subprocess.run(python, env=env, capture_output=True, timeout=30, check=False)
    assert down.returncode != 0
    server = subprocess.Popen(
        [sys.executable, "-c", "from services.cli import main; main()",
         "up", "--port", str(port), "--data-dir", str(tmp_path)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            up = subprocess.run(python, env=env, capture_output=True, timeout=30, check=False)
            if up.returncode == 0:
                break
            assert server.poll() is None, server.stderr.read() if server.stderr else b""
            assert time.monotonic() < deadline, up.stderr
            time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
