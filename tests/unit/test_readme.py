"""The README stays true: its configuration table lists exactly the settings that exist."""

from __future__ import annotations

import re
from pathlib import Path

from services.boards.settings import BoardsSettings
from services.ingest.settings import IngestSettings
from shared.settings import SinmunSettings

README = Path(__file__).parent.parent.parent / "README.md"


def test_the_configuration_table_lists_every_setting_and_no_other() -> None:
    documented = set(re.findall(r"^\| `(SINMUN_[A-Z0-9_]+)` \|", README.read_text("utf-8"), re.M))
    fields = {
        *SinmunSettings.model_fields,
        *IngestSettings.model_fields,
        *BoardsSettings.model_fields,
    }
    actual = {f"SINMUN_{name.upper()}" for name in fields}
    assert documented == actual


def test_the_readme_names_the_two_commands_ci_runs() -> None:
    text = README.read_text("utf-8")
    ci = (README.parent / ".ci" / "run").read_text("utf-8")
    assert "make up" in text
    assert "make test" in text
    assert ci.strip().splitlines()[-1] == "make test"
