"""The outbox relay: every stored version's event reaches `articles.published`.

A version's event is written to the `outbox` collection just before the story document that
lists its id (the commit point; see `ArticleStore.save_many`); the relay publishes pending
events in order and then deletes them. If the process dies in between, the relay publishes
them at the next start (same `event_id`, so consumers that saw it already ignore it).

Publishing is batched like a group commit: whatever stories are waiting when a batch starts
go together — their events sent side by side (in order within a story) and all their outbox
entries deleted with one `delete_many`. Batches run one at a time, so one story is never in
two."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson
import structlog

from services.ingest.store import ArticleStore, Story
from shared.ports.bus import EventBus, Outgoing, stored_envelope_headers
from shared.topics import ARTICLES_PUBLISHED

log = structlog.get_logger("sinmun.ingest.outbox")
SENT_MEMORY = 100_000
MARK_ATTEMPTS = 5
# Stories per relay batch: a partner drain queues several consumer runs (200 records each)
# while one batch is out, and each batch costs the same round trips (bus append, outbox
# delete) whatever its size, so the next takes all of them.
BATCH_LIMIT = 1024


def envelope_head(raw: str) -> dict[str, Any]:
    """A stored envelope's fields before its payload (all its headers need), without
    parsing the article: the envelopes ingest writes end with the payload. The first
    `,"payload":` is the key itself (a quote inside a JSON string is escaped)."""
    cut = raw.find(PAYLOAD_KEY)
    if cut > 0:
        with contextlib.suppress(orjson.JSONDecodeError):
            head = orjson.loads(raw[:cut] + "}")
            if isinstance(head, dict) and {"event_id", "type", "schema_version"} <= head.keys():
                return head
    envelope: dict[str, Any] = orjson.loads(raw)
    return envelope


PAYLOAD_KEY = ',"payload":'


class OutboxRelay:
    def __init__(self, store: ArticleStore, bus: EventBus, batch_limit: int = BATCH_LIMIT) -> None:
        self._store = store
        self._bus = bus
        self._batch_limit = batch_limit
        self._queued: dict[str, Story] = {}  # waiting for the next batch, by article id
        self._waiters: dict[str, asyncio.Future[None]] = {}  # the callers of the queued ones
        self._batch: asyncio.Task[None] | None = None
        # The batch under way: per article id, the revision it publishes and its callers.
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

    async def publish(self, stories: Sequence[Story], *, read_after: int | None = None) -> None:
        """Publish these just-saved stories' pending events, in the next batch.

        Returns once they are published and marked, or, if the bus or the store failed,
        left in the outbox for the sweep (logged; the sweep is asked to run at once).
        `read_after`: the stories were read after that many batches (the one under way
        excluded); a story a later batch took is left alone (that batch saw it at least as
        fresh, and a batch that fails asks for another sweep).
        """
        loop = asyncio.get_running_loop()
        waiting: list[asyncio.Future[None]] = []
        for story in stories:
            article_id = story.article.article_id
            if read_after is not None and self._last_batch.get(article_id, -1) > read_after:
                continue
            flying = self._in_flight.get(article_id)
            if flying is not None and flying[0] >= story.revision:
                waiting.append(flying[1])  # the batch under way publishes this very state
                continue
            known = self._queued.get(article_id)
            if known is None or known.revision < story.revision:
                self._queued[article_id] = story
            waiting.append(self._waiters.setdefault(article_id, loop.create_future()))
        if self._batch is None:
            self._next_batch()
        if waiting:
            await asyncio.wait(waiting)  # not gather: a cancelled caller leaves others waiting

    def _next_batch(self) -> None:
        if not self._queued:
            self._batch, self._in_flight = None, {}
            return
        ids = list(itertools.islice(self._queued, self._batch_limit))
        self._batches += 1
        for article_id in ids:
            self._last_batch[article_id] = self._batches
            self._last_batch.move_to_end(article_id)
        while len(self._last_batch) > SENT_MEMORY:
            self._last_batch.popitem(last=False)
        stories = [self._queued.pop(article_id) for article_id in ids]
        loop = asyncio.get_running_loop()
        self._in_flight = {}
        for story in stories:
            article_id = story.article.article_id
            waiter = self._waiters.pop(article_id, None) or loop.create_future()
            self._in_flight[article_id] = (story.revision, waiter)
        self._batch = asyncio.create_task(self._flush(stories), name="outbox batch")
        self._batch.add_done_callback(lambda _: self._settle())

    def _settle(self) -> None:
        for _, waiter in self._in_flight.values():
            if not waiter.done():
                waiter.set_result(None)
        self._in_flight = {}
        self._next_batch()

    async def _flush(self, stories: list[Story]) -> None:
        try:
            stories = await self._store.pending_for(stories)
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
        """Send every story's events; the stories that went out whole.

        A story with one event to send (nearly all: its new version's) goes with the others
        like it in one `send_many`, one record per key; a story with more (a version a crash
        left behind, then the new one) sends them one after the other, so a consumer never
        sees a later version's event without the earlier one before it."""
        with_events = [s for s in stories if s.outbox]
        single: list[tuple[str, str, Outgoing]] = []  # article id, event id, record
        several: list[tuple[str, list[tuple[str, Outgoing]]]] = []
        for story in with_events:
            unsent = self._unsent(story)
            if len(unsent) == 1:
                single.append((story.article.article_id, *unsent[0]))
            elif unsent:
                several.append((story.article.article_id, unsent))
        failed: dict[str, BaseException] = {}
        if single:
            try:
                outcomes: list[Exception | None] = await self._bus.send_many(
                    ARTICLES_PUBLISHED.name, [record for _, _, record in single]
                )
            except Exception as exc:  # the bus is down: none of them went out
                outcomes = [exc] * len(single)
            for (article_id, event_id, _), error in zip(single, outcomes, strict=True):
                if error is None:
                    self._remember(event_id)
                else:
                    failed[article_id] = error
        in_turn = await asyncio.gather(
            *(self._send_in_turn(unsent) for _, unsent in several), return_exceptions=True
        )
        for (article_id, _), outcome in zip(several, in_turn, strict=True):
            if isinstance(outcome, BaseException):
                failed[article_id] = outcome
        for article_id, reason in failed.items():
            log.warning("publish_deferred", article_id=article_id, error=repr(reason))
        if failed:
            self.request_sweep()
        return [s for s in with_events if s.article.article_id not in failed]

    def _unsent(self, story: Story) -> list[tuple[str, Outgoing]]:
        """The story's events this process has not published yet, in order, as records
        (event id, record): one key, one partition, so consumers see v1 first."""
        unsent: list[tuple[str, Outgoing]] = []
        for raw in story.outbox:
            envelope = envelope_head(raw)
            if envelope["event_id"] not in self._sent:
                record = Outgoing(
                    story.article.article_id, raw.encode(), stored_envelope_headers(envelope)
                )
                unsent.append((envelope["event_id"], record))
        return unsent

    async def _send_in_turn(self, unsent: list[tuple[str, Outgoing]]) -> None:
        """One story's events, each acknowledged before the next is sent."""
        for event_id, record in unsent:
            await self._bus.send(ARTICLES_PUBLISHED.name, *record)
            self._remember(event_id)

    async def flush_all(self) -> int:
        """Publish every story's pending events; returns how many stories had some."""
        read_after = self._batches - (self._batch is not None)  # the one under way: not after
        pending = await self._store.with_pending_events(limit=1000)
        await self.publish(pending, read_after=read_after)
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
