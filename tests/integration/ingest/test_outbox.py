"""Exactly one ArticlePublished per stored version, even when publishing is cut short."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from services.ingest.outbox import OutboxRelay
from services.ingest.store import ArticleStore, Story
from services.ingest.submissions import Ingestor
from shared.adapters.local_bus import LocalBus
from shared.adapters.sqlite_store import SqliteStorage
from shared.ports.bus import Outgoing, Record
from shared.schemas import ArticleSubmission, Envelope
from shared.settings import DEFAULT_SECTIONS
from shared.topics import ARTICLES_PUBLISHED
from tests.integration.ingest.conftest import open_embedded_parts

DATA = Path(__file__).parents[2] / "data"


class DiesBeforePublishing(LocalBus):
    """A bus whose publish never happens: the process 'dies' right after storing."""

    async def publish(self, topic: str, key: str, envelope: Envelope[Any]) -> None:
        raise ConnectionResetError("process killed between storing and publishing")

    async def send(
        self, topic: str, key: str | None, value: bytes, headers: Mapping[str, bytes] | None = None
    ) -> None:
        raise ConnectionResetError("process killed between storing and publishing")

    async def send_many(self, topic: str, records: Sequence[Outgoing]) -> list[Exception | None]:
        raise ConnectionResetError("process killed between storing and publishing")


async def published_records(bus: LocalBus) -> list[Record]:
    records: list[Record] = []
    for partition in range(ARTICLES_PUBLISHED.partitions):
        records += await bus.fetch("audit", ARTICLES_PUBLISHED.name, partition)
    return records


async def test_a_version_stored_but_not_published_is_published_once_after_restart(
    tmp_path: Path,
) -> None:
    storage = SqliteStorage(tmp_path / "ingest.sqlite3")
    await storage.open()
    store = await ArticleStore.open(storage)
    dying = DiesBeforePublishing(tmp_path / "bus.sqlite3")
    await dying.start()
    await dying.ensure_topics([ARTICLES_PUBLISHED])
    seed = ArticleSubmission.model_validate_json((DATA / "seed_article.json").read_text("utf-8"))

    receipt = await Ingestor(store, OutboxRelay(store, dying), DEFAULT_SECTIONS).submit(seed)
    (story,) = await store.with_pending_events()  # stored, with its event waiting
    assert story.article.article_id == receipt.article_id and len(story.outbox) == 1
    await dying.stop()

    bus = LocalBus(tmp_path / "bus.sqlite3")  # the restarted process
    await bus.start()
    assert await published_records(bus) == []
    relay = OutboxRelay(store, bus)
    assert await relay.flush_all() == 1
    assert await relay.flush_all() == 0  # nothing left: no second publication
    records = await published_records(bus)
    assert len(records) == 1
    event = json.loads(records[0].value)
    assert event["event_id"] == json.loads(story.outbox[0])["event_id"]
    assert (event["type"], event["payload"]["article"]["version"]) == ("ArticlePublished", 1)
    assert await store.with_pending_events() == []
    await bus.stop()
    await storage.close()


class FailsOnce(LocalBus):
    """A bus whose first send fails (a broker blip), then works."""

    failed = False

    async def send(
        self, topic: str, key: str | None, value: bytes, headers: Mapping[str, bytes] | None = None
    ) -> None:
        if not self.failed:
            self.failed = True
            raise ConnectionResetError("broker blip")
        await super().send(topic, key, value, headers)

    async def send_many(self, topic: str, records: Sequence[Outgoing]) -> list[Exception | None]:
        if not self.failed:
            self.failed = True
            raise ConnectionResetError("broker blip")
        return await super().send_many(topic, records)


async def test_a_failed_publish_is_retried_at_once_not_at_the_next_interval(
    tmp_path: Path,
) -> None:
    storage = SqliteStorage(tmp_path / "ingest.sqlite3")
    await storage.open()
    store = await ArticleStore.open(storage)
    bus = FailsOnce(tmp_path / "bus.sqlite3")
    await bus.start()
    await bus.ensure_topics([ARTICLES_PUBLISHED])
    relay = OutboxRelay(store, bus)
    sweeper = asyncio.create_task(relay.run(interval_s=3600))
    seed = ArticleSubmission.model_validate_json((DATA / "seed_article.json").read_text("utf-8"))
    appended = bus.wakeup(ARTICLES_PUBLISHED.name)
    try:
        receipt = await Ingestor(store, relay, DEFAULT_SECTIONS).submit(seed)
        assert bus.failed
        assert await published_records(bus) == []
        async with asyncio.timeout(10):  # an hour-long interval: only the request can do it
            await appended.wait()
        records = await published_records(bus)
        assert len(records) == 1
        assert records[0].header("sinmun-event-type") == "ArticlePublished"
        event_id = json.loads(records[0].value)["event_id"]
        assert records[0].header("sinmun-event-id") == event_id
        for _ in range(1000):  # the entry is deleted just after the append
            if not await store.with_pending_events():
                break
            await asyncio.sleep(0.01)
        assert await store.with_pending_events() == []
        assert await store.story(receipt.article_id) is not None
        assert len(await published_records(bus)) == 1  # published once
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await bus.stop()
        await storage.close()


class DiesBeforeMarking(ArticleStore):
    """A store whose outbox marks never land: the process 'dies' right after publishing."""

    async def mark_published(self, stories: list[tuple[Story, int]]) -> list[bool]:
        raise ConnectionResetError("process killed between publishing and marking")


async def test_events_published_but_not_marked_are_not_published_again_after_restart(
    tmp_path: Path,
) -> None:
    storage, bus = await open_embedded_parts(tmp_path)
    seed = json.loads((DATA / "seed_article.json").read_text("utf-8"))
    batch = [(ArticleSubmission.model_validate({**seed, "guid": f"g-{n}"}), None) for n in range(5)]
    dying = await DiesBeforeMarking.open(storage)
    receipts = await Ingestor(dying, OutboxRelay(dying, bus), DEFAULT_SECTIONS).submit_many(batch)
    assert len(await published_records(bus)) == 5  # sent, but every outbox still holds its event
    store = await ArticleStore.open(storage)
    assert len(await store.with_pending_events()) == 5

    relay = OutboxRelay(store, bus)  # the restarted process
    assert await relay.recall_published() == 5
    assert await relay.flush_all() == 5
    assert await store.with_pending_events() == []  # marked now
    assert len(await published_records(bus)) == 5  # and nothing sent twice
    assert all(not isinstance(r, Exception) for r in receipts)
    await bus.stop()
    await storage.close()
