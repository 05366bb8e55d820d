"""Board posts as search documents and queries (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.search.analysis import KiwiAnalyzer
from services.search.posts import event_version, post_document
from services.search.queries import parse_post_query
from services.search.snippets import marker, snippet
from shared.errors import ServiceError
from shared.ports.bus import Record
from shared.schemas import BoardPost


@pytest.fixture(scope="module")
def kiwi() -> KiwiAnalyzer:
    return KiwiAnalyzer()


def test_a_post_is_stored_in_the_article_fields(kiwi: KiwiAnalyzer) -> None:
    post = BoardPost(
        post_id="p1", board="free", title="영일대 야경 사진", body_text="포항시는 밤이 예쁩니다",
        author_id="m-1", author_nick="포항사람",
        created_at=datetime(2026, 9, 3, 9, 30, tzinfo=UTC), version=3,
    )  # fmt: skip
    doc = post_document(post, 42, kiwi)
    assert (doc.doc_id, doc.version) == ("p1", 42)  # the event's version, not the post's
    fields = doc.fields
    assert (fields["headline"], fields["section"], fields["byline"]) == (
        "영일대 야경 사진", "free", "포항사람",
    )  # fmt: skip
    assert fields["published_at"] == "2026-09-03T09:30:00+00:00"
    assert "포항" in str(fields["body_t"]).split()  # analysed like an article body


def test_an_events_version_grows_with_its_offset() -> None:
    first, later = (Record("boards.events", 1, n, "p1", b"") for n in (0, 7))
    assert 0 < event_version(first) < event_version(later)


def test_post_queries_filter_by_board_and_author(kiwi: KiwiAnalyzer) -> None:
    query = parse_post_query({"q": "영일대", "board": "free", "author": " 포항사람 "}, kiwi)
    assert (query.section, query.byline) == ("free", "포항사람")
    assert parse_post_query({"q": "영일대", "section": "pohang"}, kiwi).section is None


@pytest.mark.parametrize("board", ["Free", "자유게시판", "free board", "-free"])
def test_a_malformed_board_is_a_400(kiwi: KiwiAnalyzer, board: str) -> None:
    with pytest.raises(ServiceError) as caught:
        parse_post_query({"q": "영일대", "board": board}, kiwi)
    assert caught.value.status == 400


def test_a_pattern_made_once_marks_like_the_tokens() -> None:
    text = "포항시는 배터리 특구를\n넓힌다. 배터리 산업"
    tokens = {"배터리", "특구"}
    assert snippet(text, marker(tokens)) == snippet(text, tokens)
    assert snippet(text, tokens).count("<mark>배터리</mark>") == 2
    assert "\n" not in snippet(text, tokens)  # a body's line breaks read as spaces
    assert snippet(text, None) == "포항시는 배터리 특구를 넓힌다. 배터리 산업"
