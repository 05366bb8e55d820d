"""deploy/compose.yaml, loaded as `docker compose config` loads it (compose-go: the Compose
schema, interpolation, profiles, references), and its proxy's Caddyfile run by a real Caddy."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from shared.topics import ALL_TOPICS
from tests.deploy.conftest import DEPLOY, ROOT, Tools, run

pytestmark = pytest.mark.timeout(600)

COMPOSE = DEPLOY / "compose.yaml"
SERVICES = ("ingest", "search", "boards", "render")


def config(tools: Tools, *args: str | Path) -> Any:
    result = run(
        tools.tool("compose-check"), "-f", COMPOSE, "-env-file", DEPLOY / ".env.example", *args
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def project(tools: Tools) -> Any:
    return config(tools)


def test_default_profile_runs_elasticsearch_and_every_service(project: Any) -> None:
    names = set(project["services"])
    assert names == {"kafka", "kafka-topics", "mongo", "mongo-init", "elasticsearch", "proxy",
                     *SERVICES}  # fmt: skip


def test_opensearch_profile_swaps_the_engine(tools: Tools) -> None:
    project = config(tools, "-profile", "opensearch")
    assert "opensearch" in project["services"]
    assert "elasticsearch" not in project["services"]


def test_services_run_replicated_on_the_backends(project: Any) -> None:
    for name in SERVICES:
        service = project["services"][name]
        assert service["build"]["target"] == name
        assert service["deploy"]["replicas"] >= 2
        env = service["environment"]
        assert env["SINMUN_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["SINMUN_MONGO_URL"].startswith("mongodb://mongo:27017/?replicaSet=rs0")
        assert "ports" not in service  # reached through the proxy only
        depends = service["depends_on"]
        assert depends["kafka-topics"]["condition"] == "service_completed_successfully"
        assert depends["mongo-init"]["condition"] == "service_completed_successfully"
    assert project["services"]["render"]["environment"]["SINMUN_RENDER_SEARCH_API_URL"] == (
        "http://search:8080"
    )


def test_the_topic_job_creates_the_registry(project: Any) -> None:
    job = project["services"]["kafka-topics"]
    assert job["command"] == ["topics", "ensure"]  # `sinmun topics ensure`: shared/topics.py
    assert job["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert len(ALL_TOPICS) > 5


def test_secrets_are_files_git_ignores(project: Any) -> None:
    wanted = {
        "ingest": {"SINMUN_SESSION_PUBLIC_KEY", "SINMUN_INGEST_PARTNER_SECRETS"},
        "search": {"SINMUN_SESSION_PUBLIC_KEY"},
        "boards": {"SINMUN_SESSION_PUBLIC_KEY", "SINMUN_BOARDS_SESSION_PRIVATE_KEY"},
        "render": {"SINMUN_SESSION_PUBLIC_KEY"},
    }
    for name, targets in wanted.items():
        assert {s["target"] for s in project["services"][name]["secrets"]} == targets
    for secret in project["secrets"].values():
        path = Path(secret["file"])
        assert path.parent == DEPLOY / "secrets"
        ignored = run("git", "check-ignore", "-q", path.relative_to(ROOT), cwd=ROOT)
        assert ignored.returncode == 0, f"{path} is not git-ignored"


def test_backends_are_not_reachable_from_outside(project: Any) -> None:
    assert project["networks"]["backend"]["internal"] is True
    for name in ("kafka", "mongo", "elasticsearch"):
        assert project["services"][name]["networks"].keys() == {"backend"}
        assert "ports" not in project["services"][name]
    assert project["services"]["proxy"]["networks"].keys() == {"edge"}


BROKEN = {
    "an unknown key": ("    restart: unless-stopped\n",
                       "    restart: unless-stopped\n    replica: 2\n"),
    "a dependency on no service": ("      - render\n", "      - renderer\n"),
    "an undefined secret": ("        target: SINMUN_INGEST_PARTNER_SECRETS\n",
                            "        target: SINMUN_INGEST_PARTNER_SECRETS\n"
                            "      - source: nowhere\n"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_compose_check_refuses_what_docker_would(tools: Tools, tmp_path: Path, case: str) -> None:
    old, new = BROKEN[case]
    text = COMPOSE.read_text()
    assert old in text
    broken = tmp_path / "compose.yaml"
    broken.write_text(text.replace(old, new, 1))
    result = run(tools.tool("compose-check"), "-f", broken, "-env-file", DEPLOY / ".env.example")
    assert result.returncode == 1, f"{case} passed"
    assert result.stderr.startswith("compose-check:"), result.stderr


# ---- the proxy: the real Caddyfile on a real Caddy, each service a stub that names itself ----

ROUTES = {
    "/api/articles": "ingest",
    "/api/articles/01J0ABC/versions": "ingest",
    "/api/search?q=%ED%8F%AC%ED%95%AD": "search",
    "/api/search/suggest?q=x": "search",
    "/api/members": "boards",
    "/api/sessions/me": "boards",
    "/api/boards/free/posts": "boards",
    "/": "render",
    "/news/pohang": "render",
    "/community/free/1": "render",
    "/sitemap.xml": "render",
    "/api/articlesX": "render",
    "/api/searching": "render",
}
UPSTREAM = re.compile(r"dynamic a \{\s*name (\w+)\s.*?\}", re.S)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _stub(name: str) -> TestServer:
    async def answer(request: web.Request) -> web.Response:
        # Long enough for the proxy to compress (Caddy leaves bodies under 512 bytes alone).
        return web.json_response({"service": name, "path": request.path_qs, "pad": "뉴스" * 400})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_caddy_routes_the_url_space_to_the_services(tools: Tools, tmp_path: Path) -> None:
    stubs = {name: await _stub(name) for name in SERVICES}
    port = _free_port()
    caddyfile = (DEPLOY / "docker" / "Caddyfile").read_text()
    # The same file, with DNS discovery of the replicas swapped for the stubs, on loopback.
    caddyfile = UPSTREAM.sub(lambda m: f"to 127.0.0.1:{stubs[m.group(1)].port}", caddyfile)
    caddyfile = caddyfile.replace("\n:8080 {", f"\nhttp://127.0.0.1:{port} {{")
    assert caddyfile.count("to 127.0.0.1:") == 4
    (tmp_path / "Caddyfile").write_text(caddyfile)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    log = (tmp_path / "caddy.log").open("wb")
    caddy = await asyncio.create_subprocess_exec(
        tools.tool("caddy"), "run", "--config", str(tmp_path / "Caddyfile"), "--adapter",
        "caddyfile", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    async with client.get("/") as response:
                        break
                except aiohttp.ClientConnectionError:
                    assert caddy.returncode is None, (tmp_path / "caddy.log").read_text()
                    await asyncio.sleep(0.1)
            routed = {}
            for path in ROUTES:
                async with client.get(path) as response:
                    assert response.status == 200, path
                    body = await response.json()
                    assert body["path"] == path  # the path reaches the service unchanged
                    routed[path] = body["service"]
            async with client.get("/", headers={"Accept-Encoding": "gzip"}) as response:
                assert response.headers.get("Content-Encoding") == "gzip"
        assert routed == ROUTES
    finally:
        caddy.terminate()
        await caddy.wait()
        log.close()
        for stub in stubs.values():
            await stub.close()
