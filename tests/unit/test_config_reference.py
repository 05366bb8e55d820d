"""docs/configuration.md is exactly what the settings models generate, and covers them all."""

from __future__ import annotations

from pathlib import Path

from services.config_reference import render_reference, settings_models
from services.operator_cli import DEFAULT_REFERENCE

ROOT = Path(__file__).parent.parent.parent


def test_the_committed_configuration_reference_matches_the_settings_models() -> None:
    committed = (ROOT / DEFAULT_REFERENCE).read_text("utf-8")
    assert committed == render_reference(), "run `sinmun config reference`: the file is stale"


def test_every_setting_of_every_service_is_in_the_reference() -> None:
    text = render_reference()
    models = {m.__name__ for m in settings_models()}
    assert {"SinmunSettings", "IngestSettings", "BoardsSettings", "RenderSettings"} <= models
    for model in settings_models():
        for name in model.model_fields:
            assert f"| `SINMUN_{name.upper()}` |" in text, name
    assert text.count("| `SINMUN_MODE` |") == 1  # shared settings once, not per service
    assert "| `SINMUN_BOARDS_SESSION_PRIVATE_KEY` | secret string | (empty) |" in text
    assert "| `SINMUN_TRACE_EXPORTER` | str | `none` |" in text
