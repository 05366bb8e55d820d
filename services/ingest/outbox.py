"""The outbox relay: every stored version's event reaches `articles.published`.

A version and its event are written in one document (no transactions needed); the relay
publishes pending events in order and then drops them from the document. If the process dies
in between, the relay publishes them at the next start (same `event_id`, so consumers that
saw it already ignore it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict

import structlog

from services.ingest.store import ArticleStore, Story
from shared.ports.bus import EventBus, stored_envelope_headers
from shared.topics import ARTICLES_PUBLISHED

log = structlog.get_logger("sinmun.ingest.outbox")
SENT_MEMORY = 100_000


class OutboxRelay:
    def __init__(self, store: ArticleStore, bus: EventBus) -> None:
        self._store = store
        self._bus = bus
        self._locks: dict[str, asyncio.Lock] = {}
        # Events this process already published whose outbox mark has not landed yet (the
        # compare-and-set can lose, e.g. to a claim a killed process left on FerretDB): they
        # are not sent again while we retry the mark.
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._sweep_now = asyncio.Event()

    def request_sweep(self) -> None:
        """Sweep at once (a publish failed) instead of at the next interval."""
        self._sweep_now.set()

    async def flush(self, article_id: str, known: Story | None = None) -> None:
        """Publish the story's pending events, oldest first (`known`: the story just saved)."""
        lock = self._locks.setdefault(article_id, asyncio.Lock())
        async with lock:
            for attempt in range(5):
                story = known if (attempt == 0 and known) else await self._store.story(article_id)
                if story is None or not story.outbox:
                    break
                await self._publish(story)
                if await self._store.mark_published(story, len(story.outbox)):
                    break
        if not lock.locked():
            self._locks.pop(article_id, None)

    async def _publish(self, story: Story) -> None:
        for raw in story.outbox:
            envelope = json.loads(raw)
            event_id = envelope["event_id"]
            if event_id in self._sent:
                continue
            await self._bus.send(
                ARTICLES_PUBLISHED.name,
                story.article.article_id,
                raw.encode(),
                stored_envelope_headers(envelope),
            )
            self._sent[event_id] = None
            while len(self._sent) > SENT_MEMORY:
                self._sent.popitem(last=False)

    async def flush_all(self) -> int:
        """Publish every story's pending events; returns how many stories had some."""
        pending = await self._store.with_pending_events(limit=1000)
        for story in pending:
            await self.flush(story.article.article_id)
        return len(pending)

    async def run(self, interval_s: float = 30.0) -> None:
        """Sweep for leftovers forever (events whose publish failed or was cut short): at
        start, when asked, and every `interval_s`."""
        while True:
            self._sweep_now.clear()
            try:
                count = await self.flush_all()
            except Exception as exc:  # the bus or store is down: try again next sweep
                log.warning("outbox_sweep_failed", error=repr(exc))
            else:
                if count:
                    log.info("outbox_sweep", stories=count)
            # At most one sweep a second however often it is asked for (the bus may be down).
            await asyncio.sleep(min(1.0, interval_s))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, interval_s - 1.0)):
                    await self._sweep_now.wait()
