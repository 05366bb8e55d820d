"""Read-side helpers that keep board pages cheap under many readers.

- `PageCache`: board listing pages (and their totals) kept for a second. A page is read far
  more often than a board changes, and FerretDB answers a listing by scanning; one second of
  staleness is invisible on a community board, and this process's own writes clear it at once.
- `ViewCounter`: 조회수 off the request path. A view is queued in memory (repeat viewers this
  process has seen within 24 h are dropped at once); every 5 s a background task checks each
  queued viewer against storage (once per viewer per 24 h, across replicas) and adds each
  post's new views with one compare-and-set. A page shows the views queued so far.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from services.boards.posts import PostStore
from services.boards.reactions import VIEW_WINDOW, ReactionStore
from shared.single_flight import SingleFlight
from shared.tasks import stop_task

log = structlog.get_logger("sinmun.boards")
PAGE_TTL_S = 1.0
MAX_PAGES = 2000
RECENT_VIEWERS = 100_000


class PageCache:
    """Pages kept `ttl_s`; a page being loaded is loaded once, however many readers ask for it
    at that moment (no stampede when a popular page expires)."""

    def __init__(self, ttl_s: float = PAGE_TTL_S) -> None:
        self._ttl = ttl_s
        self._pages: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
        self._flight: SingleFlight[tuple[Any, ...], Any] = SingleFlight()

    async def get(self, key: tuple[Any, ...], load: Callable[[], Awaitable[Any]]) -> Any:
        hit = self._pages.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]

        async def load_and_keep() -> Any:
            value = await load()
            self._pages[key] = (time.monotonic() + self._ttl, value)
            self._pages.move_to_end(key)
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
            return value

        return await self._flight.run(key, load_and_keep)

    def invalidate(self, board: str) -> None:
        for key in [k for k in self._pages if k[0] == board]:
            del self._pages[key]


class ViewCounter:
    def __init__(
        self,
        posts: PostStore,
        reactions: ReactionStore,
        flush_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._posts = posts
        self._reactions = reactions
        self._flush_s = flush_s
        self._clock = clock
        self._pending: dict[str, int] = {}
        self._queued: list[tuple[str, str]] = []
        self._queued_per_post: dict[str, int] = {}
        self._recent: OrderedDict[str, float] = OrderedDict()  # key -> when first seen
        self._task: asyncio.Task[None] | None = None

    def view(self, post_id: str, viewer: str) -> int:
        """Queue a view (unless this viewer was seen within 24 h); how many views are unwritten."""
        key, now = f"{post_id}:{viewer}", self._clock()
        seen = self._recent.get(key)
        if seen is None or now - seen >= VIEW_WINDOW.total_seconds():
            self._recent[key] = now
            self._recent.move_to_end(key)
            while len(self._recent) > RECENT_VIEWERS:
                self._recent.popitem(last=False)
            self._queued.append((post_id, viewer))
            self._queued_per_post[post_id] = self._queued_per_post.get(post_id, 0) + 1
        return self._queued_per_post.get(post_id, 0) + self._pending.get(post_id, 0)

    async def flush(self) -> None:
        queued, self._queued = self._queued, []
        for post_id, viewer in queued:
            self._queued_per_post[post_id] -= 1
            if not self._queued_per_post[post_id]:
                del self._queued_per_post[post_id]
            try:
                if await self._reactions.first_view(post_id, viewer):
                    self._pending[post_id] = self._pending.get(post_id, 0) + 1
            except Exception as exc:  # storage trouble: this view goes uncounted
                log.warning("view_check_failed", post_id=post_id, error=repr(exc))
        pending, self._pending = self._pending, {}
        for post_id, count in pending.items():
            try:
                await self._posts.bump(post_id, "views", count)
            except Exception as exc:  # storage trouble: keep the count for the next flush
                self._pending[post_id] = self._pending.get(post_id, 0) + count
                log.warning("views_flush_failed", post_id=post_id, error=repr(exc))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_s)
            await self.flush()

    async def stop(self) -> None:
        await stop_task(self._task)
        await self.flush()
