"""NINJS documents with the wrong JSON types are refused by validation, not by a crash."""

from __future__ import annotations

import pytest

from services.ingest.ninjs import ninjs_to_submission


@pytest.mark.parametrize("field", ["subjects", "genres", "keywords"])
@pytest.mark.parametrize("value", [5, True, "경제", {"name": "경제"}])
def test_a_field_that_is_no_array_is_left_out(field: str, value: object) -> None:
    # POST /api/articles answered 500 (TypeError) to {"uri": …, "subjects": 5}.
    mapped = ninjs_to_submission({"uri": "urn:x", field: value}, "newsroom")
    assert "section" not in mapped  # so validation answers 422: no section
    assert mapped["tags"] == []


def test_arrays_still_map_to_the_section_and_tags() -> None:
    document = {
        "uri": "urn:x",
        "subjects": [{"name": "포항", "uri": "sinmun:section:pohang"}],
        "keywords": ["영일대"],
    }
    mapped = ninjs_to_submission(document, "newsroom")
    assert mapped["section"] == "pohang"
    assert mapped["tags"] == ["영일대", "포항"]
