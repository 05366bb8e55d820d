"""The relay reads a stored envelope's headers from its head alone: the same fields as a
full parse, whatever the article holds."""

from __future__ import annotations

import orjson

from services.ingest.outbox import envelope_head
from shared.schemas import ArticlePublished, TraceContext
from shared.schemas.envelope import envelope_json


def test_the_head_holds_every_field_but_the_payload_even_with_tricky_article_text() -> None:
    article = {"headline": '따옴표 ","payload": {"x": 1} 와 },"payload":', "body_html": "<p>}</p>"}
    trace = TraceContext(traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    for raw in (
        envelope_json(ArticlePublished, {"article": article}, "ingest", trace),
        envelope_json(ArticlePublished, {"article": article}, "ingest"),
    ):
        full = orjson.loads(raw)
        del full["payload"]
        assert envelope_head(raw) == full


def test_an_envelope_whose_payload_is_not_last_is_parsed_whole() -> None:
    raw = orjson.dumps(
        {"payload": {"a": 1}, "event_id": "e1", "type": "ArticlePublished", "schema_version": 1}
    ).decode()
    assert envelope_head(raw) == orjson.loads(raw)
    odd = '{"event_id":"e2","payload":{},"type":"T","schema_version":1}'  # no comma form
    assert envelope_head(odd)["type"] == "T"
