"""Every SINMUN_* variable the deployment files set is a setting some service reads (a typo
there is silently ignored by pydantic-settings: the service would run on a default)."""

from __future__ import annotations

from typing import Any

import pytest

from services.boards.settings import BoardsSettings
from services.ingest.settings import IngestSettings
from services.render.settings import RenderSettings
from shared.settings import SinmunSettings
from tests.deploy.conftest import Tools, of_kind
from tests.deploy.test_compose import config

pytestmark = pytest.mark.timeout(600)

KNOWN = {
    f"SINMUN_{name.upper()}"
    for model in (SinmunSettings, IngestSettings, BoardsSettings, RenderSettings)
    for name in model.model_fields
}


def test_compose_sets_only_real_settings(tools: Tools) -> None:
    project: Any = config(tools)
    used: set[str] = set()
    for service in project["services"].values():
        used |= {k for k in service.get("environment", {}) if k.startswith("SINMUN_")}
        used |= {s["target"] for s in service.get("secrets", [])}
    assert "SINMUN_RENDER_SEARCH_API_URL" in used
    assert used - KNOWN == set()


def test_kubernetes_sets_only_real_settings(built: dict[str, str]) -> None:
    for stream in built.values():
        (configmap,) = of_kind(stream, "ConfigMap").values()
        used = set(configmap["data"])
        for deployment in of_kind(stream, "Deployment").values():
            for container in deployment["spec"]["template"]["spec"]["containers"]:
                used |= {e["name"] for e in container.get("env", [])}
        assert "SINMUN_BOARDS_SESSION_PRIVATE_KEY" in used
        assert used - KNOWN == set()


MODELS = {
    "ingest": IngestSettings,
    "search": SinmunSettings,
    "boards": BoardsSettings,
    "render": RenderSettings,
}


def _load(
    model: type[SinmunSettings], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = model()
    assert settings.trusted_proxies, "the proxies' X-Forwarded-For would be ignored"


def test_compose_values_parse(tools: Tools, monkeypatch: pytest.MonkeyPatch) -> None:
    project: Any = config(tools)
    for name, model in MODELS.items():
        env = {k: v for k, v in project["services"][name]["environment"].items()}
        _load(model, env, monkeypatch)


def test_kubernetes_values_parse(built: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for stream in built.values():
        (configmap,) = of_kind(stream, "ConfigMap").values()
        for model in MODELS.values():
            _load(model, dict(configmap["data"]), monkeypatch)
