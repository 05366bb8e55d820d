"""The outbox collection: an entry is an event only while its story lists it."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from services.ingest.outbox import OutboxRelay
from services.ingest.store import ArticleStore
from services.ingest.submissions import Ingestor
from shared.adapters.local_bus import LocalBus
from shared.adapters.sqlite_store import SqliteStorage
from shared.ports.bus import Outgoing
from shared.schemas import ArticlePublished, ArticleSubmission
from shared.schemas.envelope import envelope_json
from shared.settings import DEFAULT_SECTIONS
from shared.topics import ARTICLES_PUBLISHED
from tests.integration.ingest.conftest import open_embedded_parts

DATA = Path(__file__).parents[2] / "data"
SEED = json.loads((DATA / "seed_article.json").read_text("utf-8"))


@dataclass
class Ingest:
    storage: SqliteStorage
    store: ArticleStore
    bus: LocalBus
    relay: OutboxRelay
    ingestor: Ingestor

    async def published(self) -> list[tuple[str, int, str]]:
        """(guid, version, event_id) of every event on the topic, in offset order per key."""
        out = []
        for partition, end in (await self.bus.end_offsets(ARTICLES_PUBLISHED.name)).items():
            for record in await self.bus.read(ARTICLES_PUBLISHED.name, partition, 0, end):
                event = json.loads(record.value)
                article = event["payload"]["article"]
                out.append((article["guid"], article["version"], event["event_id"]))
        return out


class DiesBeforePublishing(LocalBus):
    async def send(
        self, topic: str, key: str | None, value: bytes, headers: Mapping[str, bytes] | None = None
    ) -> None:
        raise ConnectionResetError("process killed between storing and publishing")

    async def send_many(self, topic: str, records: Sequence[Outgoing]) -> list[Exception | None]:
        raise ConnectionResetError("process killed between storing and publishing")


@pytest.fixture
async def ingest(tmp_path: Path) -> AsyncIterator[Ingest]:
    storage, bus = await open_embedded_parts(tmp_path)
    store = await ArticleStore.open(storage)
    relay = OutboxRelay(store, bus)
    yield Ingest(storage, store, bus, relay, Ingestor(store, relay, DEFAULT_SECTIONS))
    await bus.stop()
    await storage.close()


def submission(**changes: Any) -> ArticleSubmission:
    return ArticleSubmission.model_validate({**SEED, **changes})


def entry(article_id: str, revision: int, payload: dict[str, Any]) -> dict[str, Any]:
    raw = envelope_json(ArticlePublished, {"article": payload}, "ingest")
    return {"_id": json.loads(raw)["event_id"], "article_id": article_id,
            "revision": revision, "event": raw}  # fmt: skip


async def test_entries_no_story_lists_are_never_published_and_go_once_provably_dead(
    ingest: Ingest,
) -> None:
    receipt = await ingest.ingestor.submit(submission(guid="kept"))
    story = await ingest.store.story(receipt.article_id)
    assert story is not None
    outbox = await ingest.storage.collection("outbox")
    # A writer that lost to this story (its revision is taken), and one that died before
    # writing a story nobody has written yet.
    lost = entry(receipt.article_id, 1, story.article_json)
    unborn = entry("9" * 16, 1, {**story.article_json, "article_id": "9" * 16})
    await outbox.insert(lost)
    await outbox.insert(unborn)

    assert await ingest.relay.flush_all() == 0
    assert [e[0] for e in await ingest.published()] == ["kept"]  # neither went out
    assert await outbox.get(lost["_id"]) is None  # its story moved past it: deleted
    assert await outbox.get(unborn["_id"]) is not None  # its story may still come: kept


async def test_a_version_left_unpublished_goes_out_before_the_next(ingest: Ingest) -> None:
    dying = DiesBeforePublishing(ingest.bus._db.path)
    await dying.start()
    killed = Ingestor(ingest.store, OutboxRelay(ingest.store, dying), DEFAULT_SECTIONS)
    first = await killed.submit(submission(guid="order"))  # stored, never published
    await dying.stop()

    second = await ingest.ingestor.submit(submission(guid="order", headline="고친 제목"))
    assert (first.version, second.version) == (1, 2)
    assert [(g, v) for g, v, _ in await ingest.published()] == [("order", 1), ("order", 2)]
    assert await ingest.relay.flush_all() == 0  # nothing left, nothing sent twice
    assert len(await ingest.published()) == 2


async def test_a_story_stored_before_the_outbox_collection_still_publishes_its_events(
    ingest: Ingest,
) -> None:
    receipt = await ingest.ingestor.submit(submission(guid="legacy"))
    current = await ingest.store.story(receipt.article_id)
    assert current is not None
    stories = await ingest.storage.collection("stories")
    old = {**current.document(), "version": current.revision + 1}
    del old["events"]
    pending = entry(receipt.article_id, 0, {**current.article_json, "version": 2})
    old |= {"outbox": [pending["event"]], "outbox_pending": True}  # the former layout
    await stories.put(old)

    (story,) = await ingest.store.with_pending_events()
    assert story.legacy_outbox and story.outbox == (pending["event"],)
    assert await ingest.relay.flush_all() == 1
    assert await ingest.relay.flush_all() == 0
    assert [e[2] for e in await ingest.published()].count(pending["_id"]) == 1
    marked = await stories.get(receipt.article_id)
    assert marked is not None and marked["outbox_pending"] is False
    assert uuid.UUID(pending["_id"])  # a real event id went out
