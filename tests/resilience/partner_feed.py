"""Signed partner submissions for `articles.submitted`, as a partner agency produces them
(docs/partners.md): key `{source}:{guid}`, the JSON value, its HMAC in `sinmun-signature`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shared.ports.bus import EventBus, Outgoing
from shared.signatures import SIGNATURE_HEADER, sign
from shared.topics import ARTICLES_SUBMITTED

PARTNER = "경북통신"
PARTNER_SECRET = "resilience-test-partner-secret"
ARTICLES = Path(__file__).parents[1] / "data" / "articles.jsonl"
FIRST_PUBLISHED = datetime.fromisoformat("2026-09-01T06:00:00+09:00")
SEND_CHUNK = 500


def partner_env() -> dict[str, str]:
    """Ingest's settings that let this partner in."""
    return {"SINMUN_INGEST_PARTNER_SECRETS": json.dumps({PARTNER: PARTNER_SECRET})}


def _templates() -> list[dict[str, Any]]:
    return [json.loads(line) for line in ARTICLES.read_text("utf-8").splitlines() if line]


def submissions(count: int, run: str) -> list[Outgoing]:
    """`count` signed submissions with distinct guids, each a corpus article (Korean text,
    every section) under a headline and publication minute of its own."""
    templates = _templates()
    records: list[Outgoing] = []
    for n in range(count):
        template = templates[n % len(templates)]
        guid = f"{run}-{n:05d}"
        story = {
            **template,
            "source": PARTNER,
            "guid": guid,
            "headline": f"{template['headline']} ({n + 1}보)",
            "published_at": (FIRST_PUBLISHED + timedelta(minutes=n)).isoformat(),
        }
        value = json.dumps(story, ensure_ascii=False).encode()
        headers = {SIGNATURE_HEADER: sign(PARTNER_SECRET, value).encode()}
        records.append(Outgoing(f"{PARTNER}:{guid}", value, headers))
    return records


async def produce(
    bus: EventBus, records: list[Outgoing], topic: str = ARTICLES_SUBMITTED.name
) -> None:
    """Send the records, acknowledged, in chunks (each chunk batched by the producer)."""
    for start in range(0, len(records), SEND_CHUNK):
        outcomes = await bus.send_many(topic, records[start : start + SEND_CHUNK])
        failed = [o for o in outcomes if o is not None]
        assert not failed, f"{len(failed)} records not acknowledged: {failed[0]!r}"
