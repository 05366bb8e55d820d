"""실시간 많이본 뉴스: article views through `articles.viewed`, ranked over a sliding window.

- `ViewPublisher.record_view` is what an article page calls: bots are dropped by user agent, the
  visitor's cookie id is replaced by a hash, and the event is queued; a background task
  publishes it, so a page never waits on Kafka.
- `ViewCounter.on_viewed` consumes `articles.viewed` in batches (one consumer group shared by
  every replica). A visitor's views of one article count once per dedup window (30 minutes):
  the first is a primary-key insert of `{article}:{visitor}` (atomic on every backend; a
  batch's first views are one `write_many`), a later one moves that document's time by
  compare-and-set. Counted views go to one document per article with per-bucket counts
  (10-minute buckets; those older than the window are dropped), one write per article a batch.
- `MostViewed.top` answers from memory: every replica recomputes the ranking from the shared
  counts every `refresh_s` (ties broken by article id), so all replicas show the same list and
  a page never scans.

A crash (or a storage failure) between the dedup inserts and the count write loses those views
rather than counting redelivered ones twice: 많이본 뉴스 is a ranking, not a ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import structlog
from pydantic import ValidationError

from services.render.models import RankedArticle
from services.render.read_models import ArticleReadModel, time_key
from services.render.versioned_writes import upsert_newer
from shared.ports.bus import EventBus, PoisonRecordError, Record
from shared.ports.storage import (
    Collection,
    CompareAndSet,
    Document,
    DocumentStorage,
    DuplicateKeyError,
    IndexSpec,
    Insert,
    WriteOp,
    WriteResult,
)
from shared.records import decode_batch
from shared.schemas import ArticleViewed, ClientClass, Envelope
from shared.tasks import stop_task
from shared.topics import ARTICLES_VIEWED

log = structlog.get_logger("sinmun.render")

BUCKET = timedelta(minutes=10)
QUEUE_SIZE = 10_000
RECENT_READERS = 100_000
PUBLISH_BATCH = 200
TOP_KEPT = 30
CANDIDATE_BATCH = 60
PRUNE_EVERY_S = 300.0
MAX_TRIES = 20
MAX_REMEMBERED_AGENT = 512

# Crawlers, link previewers, monitors and scripts. Not "NAVER" or "KAKAOTALK": those are the
# in-app browsers of real readers (their crawlers are Yeti and kakaotalk-scrap).
BOTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrap|preview|fetch|facebookexternalhit|headless|yeti|"
    r"daum(oa)?[ /]|mediapartners|lighthouse|pingdom|monitor|uptime|curl|wget|python|"
    r"aiohttp|httpclient|go-http|okhttp|java/|libwww|axios|node-fetch|phantomjs|selenium|"
    r"^mozilla/5\.0$",
    re.IGNORECASE,
)
SECTION = re.compile(r"[a-z][a-z0-9-]{0,39}")  # the Slug of shared.schemas.articles
MOBILE = re.compile(r"mobi|android|iphone|ipad|ipod|windows phone", re.IGNORECASE)
DESKTOP = re.compile(r"windows|macintosh|x11|linux|cros", re.IGNORECASE)


def client_class(user_agent: str) -> ClientClass:
    """The coarse class of a user agent; an empty one is a script, not a reader. Every
    article page asks, and readers' browsers send a few dozen distinct agents: the answers
    are remembered (agents of a plausible length only: headers are the client's to choose)."""
    if len(user_agent) > MAX_REMEMBERED_AGENT:
        return _classify(user_agent)
    return _remembered_class(user_agent)


def _classify(user_agent: str) -> ClientClass:
    if not user_agent.strip() or BOTS.search(user_agent):
        return ClientClass.BOT
    if MOBILE.search(user_agent):
        return ClientClass.MOBILE
    if DESKTOP.search(user_agent):
        return ClientClass.DESKTOP
    return ClientClass.OTHER


_remembered_class = functools.lru_cache(maxsize=2048)(_classify)


def visitor_hash(visitor_id: str) -> str:
    """A pseudonym for the visitor's (random) cookie id: 32 hex digits, the same everywhere."""
    return hashlib.blake2b(
        visitor_id.encode("utf-8"), digest_size=16, person=b"sinmun-visitor"
    ).hexdigest()


def bucket_of(when: datetime) -> int:
    """The bucket a time falls in, as minutes since the epoch (a multiple of 10)."""
    step = int(BUCKET.total_seconds() // 60)
    minutes = int(when.timestamp() // 60)
    return minutes - minutes % step


class ViewPublisher:
    """`record_view` for the article page: filter, pseudonymise, queue, publish in background."""

    def __init__(
        self,
        bus: EventBus,
        dedup: timedelta = timedelta(minutes=30),
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self._bus = bus
        self._dedup_s = dedup.total_seconds()
        self._queue: asyncio.Queue[ArticleViewed] = asyncio.Queue(queue_size)
        # Readers this replica has just published a view of, by (article, visitor): their
        # reloads would only be deduplicated by the consumer, so they are not published.
        self._recent: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    @property
    def pending(self) -> int:
        """Views queued and not yet published."""
        return self._queue.qsize()

    async def record_view(
        self, article_id: str, section: str, visitor_id: str, user_agent: str
    ) -> None:
        """Count a reader's view of an article (bots and malformed ids are ignored)."""
        kind = client_class(user_agent)
        if kind is ClientClass.BOT:
            return
        visitor = visitor_hash(visitor_id) if visitor_id else None
        if visitor is not None and self._seen_recently(article_id, visitor):
            return
        try:
            event = ArticleViewed(
                article_id=article_id,
                viewed_at=datetime.now(UTC),
                client_class=kind,
                section=section if SECTION.fullmatch(section) else None,
                visitor=visitor,
            )
        except ValidationError:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1  # a burst beyond the queue: a view uncounted, never a slow page

    def _seen_recently(self, article_id: str, visitor: str) -> bool:
        now = time.monotonic()
        key = (article_id, visitor)
        last = self._recent.get(key)
        if last is not None and now - last < self._dedup_s:
            return True
        self._recent[key] = now
        self._recent.move_to_end(key)
        while len(self._recent) > RECENT_READERS:
            self._recent.popitem(last=False)
        return False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="render view publisher")

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < PUBLISH_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            # Side by side: Kafka's producer sends them as one batch instead of one by one.
            await asyncio.gather(*(self._publish(event) for event in batch))

    async def _publish(self, event: ArticleViewed) -> None:
        try:
            await self._bus.publish(
                ARTICLES_VIEWED.name, event.article_id, Envelope.wrap(event, "render")
            )
        except Exception as exc:  # the bus is down: this view goes uncounted
            log.warning("view_publish_failed", article_id=event.article_id, error=repr(exc))

    async def flush(self) -> None:
        """Publish what is queued (tests, and the last views at shutdown)."""
        while not self._queue.empty():
            await self._publish(self._queue.get_nowait())

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                await self.flush()


def _seen_doc(key: str, at: datetime) -> Document:
    return {"_id": key, "at": time_key(at), "version": 1}


class ViewCounter:
    """The consumer of `articles.viewed`: dedup per visitor, counts per article and bucket."""

    def __init__(
        self, seen: Collection, counts: Collection, window: timedelta, dedup: timedelta
    ) -> None:
        self._seen = seen
        self._counts = counts
        self.window = window
        self.dedup = dedup

    @classmethod
    async def open(
        cls, storage: DocumentStorage, window: timedelta, dedup: timedelta
    ) -> ViewCounter:
        seen = await storage.collection("view_seen", [IndexSpec(("at",))])
        counts = await storage.collection("view_counts", [IndexSpec(("last_bucket",))])
        return cls(seen, counts, window, dedup)

    async def on_viewed(self, records: Sequence[Record]) -> list[PoisonRecordError | None]:
        """A batch of one partition's records (`subscribe_batches`): undecodable ones are
        dead-lettered, the views counted together."""
        results, envelopes = decode_batch(records)
        views = [
            (e.payload, str(e.event_id)) for e in envelopes if isinstance(e.payload, ArticleViewed)
        ]
        await self.count_many(views)
        return results

    async def count(self, event: ArticleViewed, event_id: str) -> bool:
        """Count one view unless it is a bot's, too old, or a repeat; True if counted."""
        return await self.count_many([(event, event_id)]) == 1

    async def count_many(self, views: Sequence[tuple[ArticleViewed, str]]) -> int:
        """Count views (in order) unless a bot's, too old or repeats; how many were counted.

        First views of a visitor and article are one batch of primary-key inserts; the rest
        (repeats, and a key met twice in the batch) are decided after it, in order per key.
        """
        oldest = datetime.now(UTC) - self.window
        keyed: list[tuple[str, ArticleViewed]] = []
        for event, event_id in views:
            if event.client_class is ClientClass.BOT or event.viewed_at < oldest:
                continue  # a bot, or a replay of views outside every window that will be asked
            visitor = event.visitor or event_id  # without a visitor, only redeliveries dedup
            keyed.append((f"{event.article_id}:{visitor}", event))
        if not keyed:
            return 0
        first: dict[str, int] = {}
        for i, (key, _) in enumerate(keyed):
            first.setdefault(key, i)
        inserts = [(i, keyed[i]) for i in first.values()]
        results = await self._seen.write_many(
            [Insert(_seen_doc(key, event.viewed_at)) for _, (key, event) in inserts]
        )
        inserted = {i for (i, _), r in zip(inserts, results, strict=True) if r is WriteResult.OK}
        # Repeats are decided in batch order per key, and side by side across keys.
        repeats: dict[str, list[int]] = {}
        for i, (key, _) in enumerate(keyed):
            if i not in inserted:
                repeats.setdefault(key, []).append(i)

        async def decide(indexes: list[int]) -> list[int]:
            counts: list[int] = []
            head = first[keyed[indexes[0]][0]]
            # The key's stored time, once known: inserted by this batch, or read.
            known = keyed[head][1].viewed_at if head in inserted else None
            for i in indexes:
                key, event = keyed[i]
                if known is not None and event.viewed_at - known < self.dedup:
                    continue  # within the window of what is stored: no need to read it again
                counted, known = await self._repeat_counts(key, event)
                if counted:
                    counts.append(i)
            return counts

        again = await asyncio.gather(*(decide(indexes) for indexes in repeats.values()))
        counted: dict[str, dict[int, int]] = {}
        for i in sorted(inserted.union(*again)):
            event = keyed[i][1]
            buckets = counted.setdefault(event.article_id, {})
            bucket = bucket_of(event.viewed_at)
            buckets[bucket] = buckets.get(bucket, 0) + 1
        await self._add_all(counted)
        return sum(sum(b.values()) for b in counted.values())

    async def _repeat_counts(self, key: str, event: ArticleViewed) -> tuple[bool, datetime]:
        """A view whose key is stored: it counts if the stored view is a window old. Also
        returns the key's stored time after the decision."""
        at = event.viewed_at
        for _ in range(MAX_TRIES):
            stored = await self._seen.get(key)
            if stored is None:  # pruned meanwhile: this view starts a new window
                try:
                    await self._seen.insert(_seen_doc(key, at))
                    return True, at
                except DuplicateKeyError:
                    continue
            held = datetime.fromisoformat(stored["at"])
            if at - held < self.dedup:
                return False, held  # a repeat within the window, or this event redelivered
            moved = {**_seen_doc(key, at), "version": int(stored["version"]) + 1}
            # Lost to another writer: re-read, it may have counted this very visit.
            if await self._seen.compare_and_set(moved, int(stored["version"])):
                return True, at
        return False, at

    async def _add_all(self, counted: dict[str, dict[int, int]]) -> None:
        """Add each article's new views to its counts: one read and one `write_many` for all,
        then a compare-and-set loop for any an other replica changed meanwhile."""
        if not counted:
            return
        oldest = bucket_of(datetime.now(UTC) - self.window - BUCKET)

        def fields(stored: Document | None, added: dict[int, int]) -> Document:
            buckets = {k: int(v) for k, v in (stored or {}).get("buckets", {}).items()}
            for bucket, n in added.items():
                buckets[f"b{bucket}"] = buckets.get(f"b{bucket}", 0) + n
            kept = {k: v for k, v in buckets.items() if int(k[1:]) >= oldest}
            last = max((int(k[1:]) for k in kept), default=oldest)
            return {"buckets": kept, "last_bucket": last}

        ids = list(counted)
        stored = {d["_id"]: d for d in await self._counts.find({"_id": {"$in": ids}})}
        ops: list[WriteOp] = []
        for article_id in ids:
            doc = {**fields(stored.get(article_id), counted[article_id]), "_id": article_id}
            held = stored.get(article_id)
            if held is None:
                ops.append(Insert({**doc, "version": 1}))
            else:
                version = int(held["version"])
                ops.append(CompareAndSet({**doc, "version": version + 1}, version))
        results = await self._counts.write_many(ops)
        for article_id, result in zip(ids, results, strict=True):
            if result is not WriteResult.OK:
                await upsert_newer(
                    self._counts, article_id, partial(fields, added=counted[article_id])
                )

    async def totals(self, now: datetime | None = None) -> dict[str, int]:
        """Views per article within the window ending `now` (buckets that overlap it)."""
        now = now or datetime.now(UTC)
        start = bucket_of(now - self.window)
        docs = await self._counts.find({"last_bucket": {"$gte": start}})
        totals: dict[str, int] = {}
        for doc in docs:
            n = sum(int(v) for k, v in doc.get("buckets", {}).items() if int(k[1:]) >= start)
            if n:
                totals[doc["_id"]] = n
        return totals

    async def prune(self, limit: int = 1000) -> int:
        """Forget dedup entries older than twice the window (they can no longer suppress)."""
        cutoff = time_key(datetime.now(UTC) - 2 * self.dedup)
        old = await self._seen.find({"at": {"$lt": cutoff}}, limit=limit)
        for doc in old:
            await self._seen.delete(doc["_id"])
        return len(old)


class MostViewed:
    """The ranking every page shows, recomputed in the background from the shared counts."""

    def __init__(
        self,
        counter: ViewCounter,
        articles: ArticleReadModel,
        refresh_s: float,
        on_change: Callable[[], Any] | None = None,
    ) -> None:
        self._counter = counter
        self._articles = articles
        self._refresh_s = refresh_s
        self._on_change = on_change
        self._top: list[RankedArticle] | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def top(self, limit: int = 10) -> list[RankedArticle]:
        """The `limit` most viewed articles of the window, most views first."""
        if self._top is None:
            await self.refresh()
        return list((self._top or [])[:limit])

    async def refresh(self) -> list[RankedArticle]:
        """Recompute the ranking now (what the background task does every `refresh_s`)."""
        async with self._lock:
            totals = await self._counter.totals()
            ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
            top: list[RankedArticle] = []
            for start in range(0, len(ranked), CANDIDATE_BATCH):
                batch = ranked[start : start + CANDIDATE_BATCH]
                cards = await self._articles.cards([article_id for article_id, _ in batch])
                # Retracted or not-yet-known articles are skipped, never shown without a title.
                top.extend(
                    RankedArticle(article_id, cards[article_id].headline, views)
                    for article_id, views in batch
                    if article_id in cards
                )
                if len(top) >= TOP_KEPT:
                    break
            top = top[:TOP_KEPT]
            changed = top != self._top
            self._top = top
        if changed and self._on_change is not None:
            self._on_change()
        return top

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="render most viewed")

    async def _run(self) -> None:
        pruned = time.monotonic()
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await self.refresh()
                if time.monotonic() - pruned > PRUNE_EVERY_S:
                    pruned = time.monotonic()
                    await self._counter.prune()
            except Exception as exc:  # storage trouble: keep showing the last ranking
                log.warning("most_viewed_refresh_failed", error=repr(exc))

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None
