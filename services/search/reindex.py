"""Rebuilding a search index with no failed query: build a new generation by replaying its
topic from the start (`articles.published` for articles, `boards.events` for board posts),
then swap the alias in one step.

1. Create generation N+1 beside the live generation N (queries keep reading N).
2. Replay the topic into N+1 under a fresh consumer group, until it has read everything the
   topic held when the rebuild began.
3. Swap the alias to N+1 (atomic), then keep replaying until the topic's end as of the swap:
   events the live consumer wrote into N just before the swap reach N+1 too. From the swap
   on, the live consumer writes into N+1 through the alias. Versions make every double
   application harmless.
4. Drop N (unless asked to keep it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from services.search.analysis import Analyzer
from services.search.indexer import ArticleIndexer
from services.search.posts import PostIndexer
from shared.ports.bus import EventBus, Record
from shared.ports.search import SearchIndex
from shared.topics import ARTICLES_PUBLISHED, BOARDS_EVENTS, Topic

RecordHandler = Callable[[Record], Awaitable[None]]


def _articles(index: SearchIndex, analyzer: Analyzer, generation: str) -> RecordHandler:
    return ArticleIndexer(index, analyzer, generation=generation).on_published


def _posts(index: SearchIndex, analyzer: Analyzer, generation: str) -> RecordHandler:
    return PostIndexer(index, analyzer, generation=generation).on_board_event


# What each index is rebuilt from, and the handler that writes into a new generation.
SOURCES: dict[str, tuple[Topic, Callable[[SearchIndex, Analyzer, str], RecordHandler]]] = {
    "articles": (ARTICLES_PUBLISHED, _articles),
    "posts": (BOARDS_EVENTS, _posts),
}

log = structlog.get_logger("sinmun.search.reindex")


@dataclass(frozen=True)
class ReindexReport:
    previous: str | None
    generation: str
    documents: int
    seconds: float


class _Replay:
    """Counts how far the replay has read, per partition."""

    def __init__(self, apply: RecordHandler) -> None:
        self._apply = apply
        self._read: dict[int, int] = {}
        self._changed = asyncio.Event()

    async def handle(self, record: Record) -> None:
        await self._apply(record)
        self._read[record.partition] = max(self._read.get(record.partition, 0), record.offset + 1)
        self._changed.set()

    async def reach(self, ends: dict[int, int]) -> None:
        while any(self._read.get(p, 0) < end for p, end in ends.items()):
            self._changed.clear()
            await self._changed.wait()


def next_generation(live: str | None) -> str:
    return str(int(live) + 1) if live and live.isdigit() else "1"


async def reindex(
    index: SearchIndex,
    bus: EventBus,
    analyzer: Analyzer,
    *,
    kind: str = "articles",
    keep_previous: bool = False,
    drop_grace_s: float = 2.0,
    on_progress: Callable[[str], None] = lambda _: None,
) -> ReindexReport:
    topic_of, handler_for = SOURCES[kind]
    started = time.perf_counter()
    await index.ensure()
    previous = await index.generation()
    generation = next_generation(previous)
    await index.create_generation(generation)
    replay = _Replay(handler_for(index, analyzer, generation))
    topic = topic_of.name
    ends = await bus.end_offsets(topic)
    on_progress(f"replaying {sum(ends.values())} events into generation {generation}")
    subscription = await bus.subscribe(
        topic, f"search-reindex-{kind}-{generation}-{uuid.uuid4().hex[:8]}", replay.handle
    )
    try:
        await replay.reach(ends)
        await index.refresh(generation)  # searchable before it goes live
        await index.activate(generation)
        on_progress(f"generation {generation} is live")
        await replay.reach(await bus.end_offsets(topic))
        await index.refresh()
    finally:
        await subscription.stop()
    if previous is not None and previous != generation and not keep_previous:
        await asyncio.sleep(drop_grace_s)  # queries that resolved the old alias finish first
        await index.drop_generation(previous)
    documents = await index.count()
    log.info("reindexed", kind=kind, previous=previous, generation=generation, documents=documents)
    return ReindexReport(previous, generation, documents, time.perf_counter() - started)
