"""The event models: envelopes round-trip, bad input is refused with field paths."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.ports.bus import envelope_headers, stored_envelope_headers
from shared.schemas import (
    Article,
    ArticlePublished,
    ArticleRetracted,
    ArticleSubmission,
    ArticleViewed,
    Envelope,
    MemberJoined,
    TraceContext,
    UnknownEventError,
    decode_envelope,
)
from shared.schemas.articles import MAX_TAGS
from shared.schemas.envelope import envelope_json, new_event_id

DATA = Path(__file__).parent.parent / "data"


def seed_submission() -> ArticleSubmission:
    return ArticleSubmission.model_validate_json((DATA / "seed_article.json").read_text("utf-8"))


def test_the_seed_article_and_every_corpus_article_are_valid_submissions() -> None:
    seed = seed_submission()
    assert seed.byline == "강동진 기자"
    assert seed.section == "pohang"
    assert seed.published_at is not None
    assert seed.published_at.utcoffset() is not None
    lines = (DATA / "articles.jsonl").read_text("utf-8").splitlines()
    submissions = [ArticleSubmission.model_validate_json(line) for line in lines]
    assert len(submissions) == 40
    assert {s.source for s in submissions} >= {"newsroom"}


def test_an_article_published_envelope_round_trips_through_json() -> None:
    seed = seed_submission()
    article = Article(
        **seed.model_dump(exclude={"status", "published_at"}),
        article_id="a1b2c3d4e5",
        version=1,
        status=seed.status,
        published_at=seed.published_at or datetime.now(UTC),
    )
    sent = Envelope.wrap(ArticlePublished(article=article), "ingest", TraceContext.new())
    received = decode_envelope(sent.model_dump_json().encode())
    assert received == sent
    assert isinstance(received.payload, ArticlePublished)
    assert received.payload.article.headline.startswith("포항시, 4차 산업혁명")
    assert (received.type, received.schema_version) == ("ArticlePublished", 1)


def test_decoding_refuses_unknown_types_versions_and_bad_payloads() -> None:
    viewed = Envelope.wrap(
        ArticleViewed(article_id="a1b2c3d4e5", viewed_at=datetime.now(UTC)), "render"
    )
    raw = json.loads(viewed.model_dump_json())
    with pytest.raises(UnknownEventError, match="unknown event type Nope v1"):
        decode_envelope(json.dumps({**raw, "type": "Nope"}))
    with pytest.raises(UnknownEventError, match="v2"):
        decode_envelope(json.dumps({**raw, "schema_version": 2}))
    with pytest.raises(UnknownEventError):
        decode_envelope(b"not json at all")
    with pytest.raises(ValidationError):
        decode_envelope(json.dumps({**raw, "payload": {"article_id": "x"}}))


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"headline": "가" * 301}, ("headline",)),
        ({"headline": "   "}, ("headline",)),
        ({"tags": ["태그"] * (MAX_TAGS + 1)}, ("tags",)),
        ({"section": "Pohang City"}, ("section",)),
        ({"published_at": "2019-08-13T21:09:00"}, ("published_at",)),
        ({"images": [{"url": "javascript:alert(1)", "alt": "x"}]}, ("images", 0, "url")),
        ({"images": [{"url": "https://example.com/a.jpg"}]}, ("images", 0, "alt")),
        ({"unexpected": 1}, ("unexpected",)),
    ],
)
def test_a_bad_submission_names_the_failing_field(
    change: dict[str, object], path: tuple[object, ...]
) -> None:
    doc = {**seed_submission().model_dump(mode="json"), **change}
    with pytest.raises(ValidationError) as caught:
        ArticleSubmission.model_validate(doc)
    assert path in [error["loc"] for error in caught.value.errors()]


def test_a_trace_context_exposes_its_trace_id() -> None:
    trace = TraceContext.new()
    assert len(trace.trace_id) == 32
    assert trace.traceparent.startswith("00-")
    with pytest.raises(ValidationError):
        TraceContext(traceparent="garbage")


def test_member_nicknames_are_bounded() -> None:
    with pytest.raises(ValidationError):
        MemberJoined(member_id="m1", nickname="가", joined_at=datetime.now(UTC))


@pytest.mark.parametrize("trace", [None, TraceContext.new()])
def test_headers_read_from_a_stored_envelope_equal_the_model_s(trace: TraceContext | None) -> None:
    event = MemberJoined(member_id="m1", nickname="포항사람", joined_at=datetime.now(UTC))
    envelope = Envelope.wrap(event, "boards", trace)
    stored = json.loads(envelope.model_dump_json())
    assert stored_envelope_headers(stored) == envelope_headers(envelope)
    assert ("traceparent" in envelope_headers(envelope)) is (trace is not None)


@pytest.mark.parametrize("event_type", [ArticlePublished, ArticleRetracted])
@pytest.mark.parametrize("trace", [None, TraceContext.new()])
def test_an_envelope_from_a_dumped_payload_equals_the_model_s(
    event_type: type[ArticlePublished] | type[ArticleRetracted], trace: TraceContext | None
) -> None:
    seed = seed_submission()
    article = Article(
        **seed.model_dump(exclude={"status", "published_at"}),
        article_id="0000000000000001",
        version=1,
        status=seed.status,
        published_at=seed.published_at or datetime.now(UTC),
    )
    event = event_type(article=article)
    raw = envelope_json(event_type, event.model_dump(mode="json"), "ingest", trace)
    decoded = decode_envelope(raw.encode())
    model = Envelope.wrap(event, "ingest", trace)
    assert decoded.payload == event
    assert (decoded.type, decoded.schema_version, decoded.producer, decoded.trace) == (
        model.type, model.schema_version, model.producer, model.trace,
    )  # fmt: skip
    assert decoded.occurred_at.tzinfo is not None
    expected = json.loads(model.model_dump_json())
    assert set(json.loads(raw)) == set(expected)  # the same fields, nothing more


def test_a_new_event_id_is_a_random_version_4_uuid_in_its_usual_text() -> None:
    ids = {new_event_id() for _ in range(1000)}
    assert len(ids) == 1000
    for text in ids:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
