"""The deployment tools (installed by deploy/local/deploy-tools.sh) and the built manifests."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TOOLS_DIR = ROOT / ".local" / "cache" / "deploy-tools"
OVERLAYS = ("dev", "prod")

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Tools:
    bin: Path
    kubernetes_schemas: Path
    crd_schemas: Path
    kubernetes_version: str

    def tool(self, name: str) -> str:
        return str(self.bin / name)


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="session")
def tools() -> Tools:
    """The tools, installed now if missing (a no-op in well under a second once they are)."""
    result = run("bash", DEPLOY / "local" / "deploy-tools.sh")
    assert result.returncode == 0, result.stderr[-3000:]
    versions = dict(
        line.split("=", 1)
        for line in (TOOLS_DIR / "versions.env").read_text().splitlines()
        if "=" in line
    )
    return Tools(
        bin=TOOLS_DIR / "bin",
        kubernetes_schemas=TOOLS_DIR / "schemas" / "kubernetes",
        crd_schemas=TOOLS_DIR / "schemas" / "crds",
        kubernetes_version=versions["KUBERNETES_VERSION"],
    )


def kubeconform(tools: Tools, *paths: Path) -> subprocess.CompletedProcess[str]:
    """kubeconform -strict, offline: every kind needs a schema (a missing one is an error)."""
    k8s = "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/"
    return run(
        tools.tool("kubeconform"), "-strict", "-summary", "-output", "text",
        "-kubernetes-version", tools.kubernetes_version,
        "-schema-location", f"{tools.kubernetes_schemas}/{k8s}{{{{ .ResourceKind }}}}"
        "{{ .KindSuffix }}.json",
        "-schema-location", f"{tools.crd_schemas}/{{{{ .Group }}}}/{{{{ .ResourceKind }}}}_"
        "{{ .ResourceAPIVersion }}.json",
        *paths,
    )  # fmt: skip


@pytest.fixture(scope="session")
def k8s_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/k8s with the dev overlay's git-ignored secrets made as a person would
    (deploy/make-secrets.sh), so the tree in the repository stays untouched."""
    tree = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(DEPLOY / "k8s", tree, ignore=shutil.ignore_patterns("secrets"))
    made = run("bash", DEPLOY / "make-secrets.sh", tree / "overlays" / "dev" / "secrets")
    assert made.returncode == 0, made.stderr
    return tree


@pytest.fixture(scope="session")
def built(tools: Tools, k8s_tree: Path) -> dict[str, str]:
    """`kustomize build` of each overlay: name -> the YAML stream."""
    out = {}
    for overlay in OVERLAYS:
        result = run(tools.tool("kustomize"), "build", k8s_tree / "overlays" / overlay)
        assert result.returncode == 0, f"kustomize build {overlay}: {result.stderr}"
        out[overlay] = result.stdout
    return out


def documents(stream: str) -> list[Manifest]:
    return [d for d in yaml.safe_load_all(stream) if d]


def of_kind(stream: str, kind: str) -> dict[str, Manifest]:
    return {str(d["metadata"]["name"]): d for d in documents(stream) if d["kind"] == kind}
