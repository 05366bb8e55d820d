"""Group submit, remembered tokens and grouped bus appends: faster, and still exactly right."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from services.ingest.outbox import OutboxRelay
from services.ingest.store import ArticleStore, Story
from services.ingest.submissions import Ingestor
from services.ingest.tokens import VERIFIED_FOR_S, TokenRole, TokenStore
from shared.adapters.local_bus import LocalBus
from shared.adapters.sqlite_store import SqliteStorage
from shared.errors import ServiceError
from shared.schemas import ArticleSubmission
from shared.settings import DEFAULT_SECTIONS
from shared.topics import ARTICLES_PUBLISHED
from tests.integration.ingest.conftest import open_embedded_parts

DATA = Path(__file__).parents[2] / "data"
SEED = json.loads((DATA / "seed_article.json").read_text("utf-8"))


def submission(**changes: Any) -> ArticleSubmission:
    return ArticleSubmission.model_validate({**SEED, **changes})


StoreT = TypeVar("StoreT", bound=ArticleStore)


async def open_ingestor(
    tmp_path: Path, kind: type[StoreT]
) -> tuple[SqliteStorage, LocalBus, StoreT, Ingestor]:
    """Embedded storage and bus, a store of `kind` over them and an Ingestor over that."""
    storage, bus = await open_embedded_parts(tmp_path)
    store = await kind.open(storage)
    assert isinstance(store, kind)
    return storage, bus, store, Ingestor(store, OutboxRelay(store, bus), DEFAULT_SECTIONS)


class CountingStore(ArticleStore):
    """The real store, counting its writes of new versions."""

    saves = 0

    async def save_many(self, changes: list[tuple[Story | None, Story]]) -> list[bool]:
        self.saves += 1
        return await super().save_many(changes)


async def test_concurrent_submissions_each_get_their_own_answer_and_one_event_per_version(
    tmp_path: Path,
) -> None:
    storage, bus, store, ingestor = await open_ingestor(tmp_path, CountingStore)
    try:
        batch = [submission(guid=f"group-{n}") for n in range(30)]
        batch += [submission(guid="group-0")]  # an identical resubmission in the same burst
        batch += [submission(guid="group-x", section="nowhere")]  # refused alone
        batch += [submission(guid="group-1", headline="고친 제목")]  # a change: version 2
        outcomes = await asyncio.gather(
            *(ingestor.submit(s, wait_published=False) for s in batch), return_exceptions=True
        )
        receipts = outcomes[:30]
        assert all(not isinstance(r, BaseException) and r.version == 1 for r in receipts)
        assert len({r.article_id for r in receipts if not isinstance(r, BaseException)}) == 30
        again, refused, changed = outcomes[30:]
        assert not isinstance(again, BaseException) and again.outcome == "unchanged"
        assert isinstance(refused, ServiceError) and refused.code == "unknown_section"
        assert not isinstance(changed, BaseException) and changed.version == 2
        assert store.saves <= 4  # taken in together (the first alone, then the rest in rounds)
        published: list[int] = []
        for _ in range(500):  # the outbox publishes in the background
            ends = await bus.end_offsets(ARTICLES_PUBLISHED.name)
            published = [ends[p] for p in sorted(ends)]
            if sum(published) >= 31:
                break
            await asyncio.sleep(0.01)
        records = [
            r for p, end in ends.items() for r in await bus.read(ARTICLES_PUBLISHED.name, p, 0, end)
        ]
        versions = sorted(
            (json.loads(r.value)["payload"]["article"]["guid"],
             json.loads(r.value)["payload"]["article"]["version"])
            for r in records
        )  # fmt: skip
        assert len(versions) == 31 and len(set(versions)) == 31  # one per stored version
        assert ("group-1", 2) in versions
        assert await store.with_pending_events() == []
    finally:
        await bus.stop()
        await storage.close()


class GatedStore(ArticleStore):
    """The real store recording each save's size; its first save waits for a gate and, as
    it returns, calls `on_first_saved` (the group task goes on without yielding)."""

    sizes: list[int]
    saving: asyncio.Event  # the first save has begun
    gate: asyncio.Event
    on_first_saved: Callable[[], None]

    async def save_many(self, changes: list[tuple[Story | None, Story]]) -> list[bool]:
        self.sizes.append(len(changes))
        if len(self.sizes) > 1:
            return await super().save_many(changes)
        self.saving.set()
        await self.gate.wait()
        won = await super().save_many(changes)
        self.on_first_saved()
        return won


async def test_a_group_under_load_waits_a_few_loop_turns_for_requests_still_arriving(
    tmp_path: Path,
) -> None:
    storage, bus, store, ingestor = await open_ingestor(tmp_path, GatedStore)
    tasks: list[asyncio.Task[Any]] = []

    async def arriving(guid: str, turns: int) -> None:
        for _ in range(turns):  # a request whose body is still being read
            await asyncio.sleep(0)
        await ingestor.submit(submission(guid=guid), wait_published=False)

    late_started = asyncio.Event()

    def late_arrivals() -> None:  # they can run once the group task yields
        tasks.extend(asyncio.create_task(arriving(f"late-{n}", n)) for n in range(2))
        late_started.set()

    store.sizes, store.on_first_saved = [], late_arrivals
    store.saving, store.gate = asyncio.Event(), asyncio.Event()
    try:
        alone = ingestor.submit(submission(guid="alone"), wait_published=False)
        tasks.append(asyncio.create_task(alone))
        await store.saving.wait()  # a lone submission goes at once: its group holds just it
        tasks += [asyncio.create_task(arriving(f"waiting-{n}", 0)) for n in range(2)]
        await asyncio.sleep(0)  # both are cleaned and waiting for the next group
        assert len(ingestor._grouped) == 2
        store.gate.set()
        await late_started.wait()
        await asyncio.gather(*tasks)
        # The next group starts with two waiting, and the two arriving in the next loop
        # turns join it instead of making a group of their own.
        assert store.sizes == [1, 4]
        await ingestor.publishing_below(1)
    finally:
        await bus.stop()
        await storage.close()


async def test_a_remembered_token_is_forgotten_at_once_here_and_within_the_interval_elsewhere(
    tmp_path: Path,
) -> None:
    storage = SqliteStorage(tmp_path / "ingest.sqlite3")
    await storage.open()
    now = [100.0]
    tokens = TokenStore((await TokenStore.open(storage))._tokens, clock=lambda: now[0])
    other_process = await TokenStore.open(storage)
    try:
        first = await tokens.create("kang", TokenRole.REPORTER)
        assert (await tokens.verify(first)) is not None
        assert await tokens.revoke("kang")
        assert await tokens.verify(first) is None  # revoked in this process: at once

        second = await tokens.create("kang", TokenRole.REPORTER)
        assert (await tokens.verify(second)) is not None
        assert await other_process.revoke("kang")  # `sinmun token revoke` elsewhere
        assert await tokens.verify(second) is not None  # still remembered here, for now
        now[0] += VERIFIED_FOR_S + 0.01
        assert await tokens.verify(second) is None  # within the interval
        assert await tokens.verify("snm_never-issued") is None
    finally:
        await storage.close()


@pytest.mark.parametrize("senders", [1, 50])
async def test_grouped_appends_keep_each_keys_order_and_every_record(
    tmp_path: Path, senders: int
) -> None:
    bus = LocalBus(tmp_path / "bus.sqlite3")
    await bus.start()
    await bus.ensure_topics([ARTICLES_PUBLISHED])
    try:

        async def sender(key: str) -> None:
            for n in range(20):
                await bus.send(ARTICLES_PUBLISHED.name, key, str(n).encode())

        await asyncio.gather(*(sender(f"k{s}") for s in range(senders)))
        ends = await bus.end_offsets(ARTICLES_PUBLISHED.name)
        assert sum(ends.values()) == 20 * senders
        by_key: dict[str, list[int]] = {}
        for partition, end in ends.items():
            for record in await bus.read(ARTICLES_PUBLISHED.name, partition, 0, end):
                assert record.key is not None
                by_key.setdefault(record.key, []).append(int(record.value))
        assert all(values == list(range(20)) for values in by_key.values())
        assert len(by_key) == senders
    finally:
        await bus.stop()
