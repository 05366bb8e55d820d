"""The outbox relay: every stored version's event reaches `articles.published`.

A version and its event are written in one document (no transactions needed); the relay
publishes pending events in order and then drops them from the document. If the process dies
in between, the relay publishes them at the next start (same `event_id`, so consumers that
saw it already ignore it).

Publishing is batched: the stories one call hands over go together — their events sent side
by side (in order within a story) and all their outbox marks written in one `write_many`.
Batches of different stories run side by side (the store and bus group their writes); a story
is never in two at once: a newer version of one in flight waits for the next batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import structlog

from services.ingest.store import ArticleStore, Story
from shared.ports.bus import EventBus, stored_envelope_headers
from shared.topics import ARTICLES_PUBLISHED

log = structlog.get_logger("sinmun.ingest.outbox")
SENT_MEMORY = 100_000
MARK_ATTEMPTS = 5
BATCH_LIMIT = 256


@dataclass(frozen=True)
class ReadAt:
    """Where the relay stood when the sweep read the pending stories."""

    running: frozenset[int]  # the numbers of the batches under way
    started: int  # how many batches had started

    def covers(self, batch: int) -> bool:
        """Whether that batch saw the story at least as fresh as the read did."""
        return batch in self.running or batch > self.started


class OutboxRelay:
    def __init__(self, store: ArticleStore, bus: EventBus, batch_limit: int = BATCH_LIMIT) -> None:
        self._store = store
        self._bus = bus
        self._batch_limit = batch_limit
        self._queued: dict[str, Story] = {}  # waiting for the next batch, by article id
        self._waiters: dict[str, asyncio.Future[None]] = {}  # the callers of the queued ones
        self._running: dict[asyncio.Task[None], int] = {}  # batches under way, by number
        # The stories of those batches: the revision each publishes and its callers.
        self._in_flight: dict[str, tuple[int, asyncio.Future[None]]] = {}
        self._batches = 0  # how many batches have started
        self._last_batch: OrderedDict[str, int] = OrderedDict()  # article id -> its last batch
        # Events this process already published whose outbox mark has not landed yet (the
        # compare-and-set can lose, e.g. to a claim a killed process left on FerretDB): they
        # are not sent again while we retry the mark.
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._sweep_now = asyncio.Event()

    def request_sweep(self) -> None:
        """Sweep at once (a publish failed) instead of at the next interval."""
        self._sweep_now.set()

    async def recall_published(self) -> int:
        """Learn which events the end of `articles.published` holds already (as many records
        per partition as a batch holds stories): a process killed after sending a batch and
        before marking it left them in the outbox, and they are not sent again. Returns how
        many it read; if the bus cannot be read, consumers' dedup on `event_id` remains."""
        topic = ARTICLES_PUBLISHED.name
        count = 0
        try:
            for partition, end in (await self._bus.end_offsets(topic)).items():
                start = max(0, end - self._batch_limit)
                for record in await self._bus.read(topic, partition, start, end):
                    event_id = record.header("sinmun-event-id")
                    if event_id is not None:
                        self._remember(event_id)
                        count += 1
        except Exception as exc:  # the bus is unreachable: the sweep may re-send, with dedup
            log.warning("recall_published_failed", error=repr(exc))
        return count

    def _remember(self, event_id: str) -> None:
        self._sent[event_id] = None
        while len(self._sent) > SENT_MEMORY:
            self._sent.popitem(last=False)

    async def publish(self, stories: Sequence[Story], *, read_at: ReadAt | None = None) -> None:
        """Publish these just-saved stories' pending events, in a batch that starts at once
        unless the story is in one under way (then in the next one after it).

        Returns once they are published and marked, or, if the bus or the store failed,
        left in the outbox for the sweep (logged; the sweep is asked to run at once).
        `read_at`: the batches under way when the stories were read, and how many had
        started; a story one of those or a later batch took is left alone (that batch saw it
        at least as fresh, and a batch that fails asks for another sweep).
        """
        loop = asyncio.get_running_loop()
        waiting: list[asyncio.Future[None]] = []
        for story in stories:
            article_id = story.article.article_id
            if read_at is not None and read_at.covers(self._last_batch.get(article_id, 0)):
                continue
            flying = self._in_flight.get(article_id)
            if flying is not None and flying[0] >= story.revision:
                waiting.append(flying[1])  # the batch under way publishes this very state
                continue
            known = self._queued.get(article_id)
            if known is None or known.revision < story.revision:
                self._queued[article_id] = story
            waiting.append(self._waiters.setdefault(article_id, loop.create_future()))
        self._start_batches()
        if waiting:
            await asyncio.wait(waiting)  # not gather: a cancelled caller leaves others waiting

    def _start_batches(self) -> None:
        """Start a batch of the queued stories no batch has in hand, while fewer than
        `batch_limit` stories are in flight (what `recall_published` reads back covers)."""
        room = self._batch_limit - len(self._in_flight)
        ids = [i for i in self._queued if i not in self._in_flight][:room]
        if not ids:
            return
        self._batches += 1
        number = self._batches
        loop = asyncio.get_running_loop()
        stories = [self._queued.pop(article_id) for article_id in ids]
        for story in stories:
            article_id = story.article.article_id
            waiter = self._waiters.pop(article_id, None) or loop.create_future()
            self._in_flight[article_id] = (story.revision, waiter)
            self._last_batch[article_id] = number
            self._last_batch.move_to_end(article_id)
        while len(self._last_batch) > SENT_MEMORY:
            self._last_batch.popitem(last=False)
        batch = asyncio.create_task(self._flush(stories), name=f"outbox batch {number}")
        self._running[batch] = number
        batch.add_done_callback(lambda done: self._settle(done, ids))

    def _settle(self, batch: asyncio.Task[None], ids: list[str]) -> None:
        self._running.pop(batch, None)
        for article_id in ids:
            _, waiter = self._in_flight.pop(article_id)
            if not waiter.done():
                waiter.set_result(None)
        self._start_batches()

    async def _flush(self, stories: list[Story]) -> None:
        try:
            for _ in range(MARK_ATTEMPTS):
                sent = await self._send_all(stories)
                marked = await self._store.mark_published([(s, len(s.outbox)) for s in sent])
                # A story that changed meanwhile (a newer version, another replica's mark):
                # read it again; what this process sent already is not sent twice.
                moved = [s.article.article_id for s, ok in zip(sent, marked, strict=True) if not ok]
                if not moved:
                    return
                stories = [s for s in (await self._store.stories(moved)).values() if s.outbox]
        except Exception as exc:  # the store is down: the sweep publishes it later
            log.warning("publish_deferred", stories=len(stories), error=repr(exc))
            self.request_sweep()

    async def _send_all(self, stories: list[Story]) -> list[Story]:
        """Send every story's events (stories side by side); the stories that went out whole."""
        outcomes = await asyncio.gather(
            *(self._send(s) for s in stories if s.outbox), return_exceptions=True
        )
        sent: list[Story] = []
        for story, outcome in zip((s for s in stories if s.outbox), outcomes, strict=True):
            if isinstance(outcome, BaseException):
                log.warning(
                    "publish_deferred", article_id=story.article.article_id, error=repr(outcome)
                )
                self.request_sweep()
            else:
                sent.append(story)
        return sent

    async def _send(self, story: Story) -> None:
        for raw in story.outbox:  # in order: one key, one partition, so consumers see v1 first
            envelope = orjson.loads(raw)
            event_id = envelope["event_id"]
            if event_id in self._sent:
                continue
            await self._bus.send(
                ARTICLES_PUBLISHED.name,
                story.article.article_id,
                raw.encode(),
                stored_envelope_headers(envelope),
            )
            self._remember(event_id)

    async def flush_all(self) -> int:
        """Publish every story's pending events; returns how many stories had some."""
        read_at = ReadAt(frozenset(self._running.values()), self._batches)
        pending = await self._store.with_pending_events(limit=1000)
        await self.publish(pending, read_at=read_at)
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
