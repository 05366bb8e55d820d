"""Partners syndicate through `articles.submitted`: signed records in, poison out to the DLQ."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from services.ingest.domain import article_id_for
from shared.settings import Mode
from shared.signatures import SIGNATURE_HEADER, sign
from shared.topics import ARTICLES_SUBMITTED
from tests.conftest import real_server
from tests.integration.ingest.conftest import PARTNER, PARTNER_SECRET, IngestUnderTest

DATA = Path(__file__).parents[2] / "data"


def partner_story(guid: str, **change: Any) -> dict[str, Any]:
    lines = (DATA / "articles.jsonl").read_text("utf-8").splitlines()
    story = next(json.loads(line) for line in lines if json.loads(line)["source"] == PARTNER)
    return {**story, "guid": guid, **change}


def encode(story: dict[str, Any]) -> bytes:
    return json.dumps(story, ensure_ascii=False).encode()


async def produce(
    ingest: IngestUnderTest, key: str | None, value: bytes, signature: str | None
) -> None:
    """Produce as a partner would: with aiokafka on Kafka, through the log when embedded."""
    headers = {} if signature is None else {SIGNATURE_HEADER: signature.encode()}
    if ingest.settings.mode is Mode.EMBEDDED:
        await ingest.infra.bus.send(ARTICLES_SUBMITTED.name, key, value, headers)
        return
    producer = AIOKafkaProducer(
        bootstrap_servers=ingest.settings.kafka_bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        max_request_size=4 * 1024 * 1024,
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            ingest.settings.kafka_namespace + ARTICLES_SUBMITTED.name,
            value,
            key=None if key is None else key.encode(),
            headers=list(headers.items()),
        )
    finally:
        await producer.stop()


async def test_a_signed_partner_story_is_stored_and_published(ingest: IngestUnderTest) -> None:
    story = partner_story("gb-100")
    value = encode(story)
    await produce(ingest, f"{PARTNER}:gb-100", value, sign(PARTNER_SECRET, value))
    article_id = article_id_for(PARTNER, "gb-100")
    await ingest.until(lambda: ingest.versions_published(article_id) == [1])
    stored = await (await ingest.client.get(f"/api/articles/{article_id}")).json()
    assert stored["headline"] == story["headline"] and stored["source"] == PARTNER


async def test_bad_records_go_to_the_dead_letter_topic_and_good_ones_still_flow(
    ingest: IngestUnderTest,
) -> None:
    good = encode(partner_story("gb-201"))
    wrong_schema = encode(partner_story("gb-202", headline=None))
    oversize = encode(partner_story("gb-203", body_html="<p>" + "가" * 600_000 + "</p>"))
    unknown = encode(partner_story("gb-204", source="가짜통신"))
    cases = [
        ("bad_signature", f"{PARTNER}:gb-201", good, sign("wrong-secret", good)),
        ("bad_signature", f"{PARTNER}:gb-201", good, None),
        (
            "malformed_json",
            f"{PARTNER}:x",
            b'{"guid": "gb-2',
            sign(PARTNER_SECRET, b'{"guid": "gb-2'),
        ),
        (
            "invalid_submission",
            f"{PARTNER}:gb-202",
            wrong_schema,
            sign(PARTNER_SECRET, wrong_schema),
        ),
        ("too_large", f"{PARTNER}:gb-203", oversize, sign(PARTNER_SECRET, oversize)),
        ("unknown_source", "가짜통신:gb-204", unknown, sign(PARTNER_SECRET, unknown)),
        ("bad_key", "wrong-key", good, sign(PARTNER_SECRET, good)),
    ]
    for _, key, value, signature in cases:
        await produce(ingest, key, value, signature)
    await produce(ingest, f"{PARTNER}:gb-201", good, sign(PARTNER_SECRET, good))
    await ingest.until(
        lambda: len(ingest.dead) == len(cases) and bool(ingest.published), timeout=60
    )
    # Partitions interleave, so compare as multisets; the original bytes travel unchanged.
    got = sorted((r.header("sinmun-dlq-reason") or "", r.key or "", r.value) for r in ingest.dead)
    assert got == sorted((reason, key, value) for reason, key, value, _ in cases)
    [invalid_record] = [r for r in ingest.dead if r.key == f"{PARTNER}:gb-202"]
    invalid = json.loads(invalid_record.header("sinmun-dlq-details") or "null")
    assert invalid == [
        {"field": "headline", "message": "Input should be a valid string", "type": "string_type"}
    ]
    assert ingest.versions_published(article_id_for(PARTNER, "gb-201")) == [1]
    assert (
        await ingest.client.get(f"/api/articles/{article_id_for(PARTNER, 'gb-202')}")
    ).status == 404


async def test_a_partner_producing_with_kcat_is_stored(
    ingest: IngestUnderTest, tmp_path: Path
) -> None:
    if ingest.settings.mode is Mode.EMBEDDED:
        pytest.skip("kcat speaks to Kafka only")
    if shutil.which("kcat") is None:
        real_server("SINMUN_KCAT")  # skips, or fails where `make test` promised the tools
    value = encode(partner_story("gb-300"))
    (tmp_path / "story.json").write_bytes(value)
    process = await asyncio.create_subprocess_exec(
        "kcat", "-P",
        "-b", ingest.settings.kafka_bootstrap_servers,
        "-t", ingest.settings.kafka_namespace + ARTICLES_SUBMITTED.name,
        "-k", f"{PARTNER}:gb-300",
        "-H", f"{SIGNATURE_HEADER}={sign(PARTNER_SECRET, value)}",
        "-X", "enable.idempotence=true",
        "-l", str(tmp_path / "story.json"),
        "-D", "\x1e",
    )  # fmt: skip
    assert await process.wait() == 0
    article_id = article_id_for(PARTNER, "gb-300")
    await ingest.until(lambda: ingest.versions_published(article_id) == [1])
