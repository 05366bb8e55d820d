"""Rendered pages kept in this process, dropped the moment what they show changes.

Every cached page names the read models it depends on (`ARTICLES`, `BOARDS`, `MOST_VIEWED`).
The replica whose consumer applied an event drops the dependent pages at once; the other
replicas learn of it through `Revisions`: a tiny `revisions` collection in render's shared
storage holds one random token per read model, written on every change and polled by every
replica (a primary-key read, twice a second by default). So each replica sees each
invalidation within one poll interval, without a consumer group of its own.

`respond` turns a cached page into a response with ETag and Last-Modified, answering 304 to a
conditional request that already has it; a page's headers are made once, with the page, and
reused for every reader it is served to.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from services.render.formatting import http_date
from shared.ports.storage import Collection, DocumentStorage
from shared.single_flight import SingleFlight
from shared.tasks import stop_task

log = structlog.get_logger("sinmun.render")

ARTICLES = "articles"
BOARDS = "boards"
MOST_VIEWED = "most_viewed"
SCOPES = (ARTICLES, BOARDS, MOST_VIEWED)
MAX_PAGES = 5000
MAX_AGE_S = 300.0  # a safety net only: events invalidate pages long before this
# While a changed page is being rendered again, readers who come meanwhile get the copy it
# replaces, if that copy went out of date less than this long ago (else they wait too).
GRACE_S = 5.0


PUBLIC = "public, max-age=0, must-revalidate"
PAGE_HEADERS = {
    # The site's own scripts and styles only; article images may come from partners' hosts.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' https: http: data:; "
    "script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'self'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
"""Security headers of every page and asset of the site (APIs set their own)."""


@dataclass(frozen=True)
class PageHeaders:
    """A page's response headers, made once per page and policy: the full answer's and the
    304's (validators, policy and security headers, no body headers)."""

    full: CIMultiDictProxy[str]
    not_modified: CIMultiDictProxy[str]


@dataclass(frozen=True)
class CachedPage:
    """A rendered body with its validators."""

    body: bytes
    content_type: str = "text/html"
    etag: str = ""
    last_modified: datetime | None = None
    status: int = 200
    # Headers per (Cache-Control, Vary): a cached page is answered thousands of times.
    _headers: dict[tuple[str, str | None], PageHeaders] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def of(
        cls,
        body: str | bytes,
        content_type: str = "text/html",
        last_modified: datetime | None = None,
        status: int = 200,
    ) -> CachedPage:
        """A page whose ETag is the hash of its bytes (equal bytes, equal tag, on any replica)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        tag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
        return cls(data, content_type, tag, last_modified, status)

    def headers(self, cache_control: str, vary: str | None = None) -> PageHeaders:
        made = self._headers.get((cache_control, vary))
        if made is None:
            validators = CIMultiDict({"Cache-Control": cache_control})
            if self.etag:
                validators["ETag"] = self.etag
            if self.last_modified is not None:
                validators["Last-Modified"] = http_date(self.last_modified)
            if vary is not None:
                validators["Vary"] = vary
            validators.update(PAGE_HEADERS)
            content_type = self.content_type
            if "; charset=" not in content_type:
                content_type += "; charset=utf-8"
            full = CIMultiDict({"Content-Type": content_type})
            full.extend(validators)
            made = PageHeaders(CIMultiDictProxy(full), CIMultiDictProxy(validators))
            self._headers[(cache_control, vary)] = made
        return made


def _tags(header: str) -> set[str]:
    # Weak and strong tags compare alike for GET (RFC 9110 weak comparison).
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}


def not_modified(request: web.Request, page: CachedPage) -> bool:
    """True when the request's validators show it already holds this page."""
    headers = request.headers
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        if if_none_match == page.etag:  # what browsers send back: the tag as it came
            return True
        tags = _tags(if_none_match)
        return "*" in tags or page.etag in tags
    if "If-Modified-Since" not in headers:
        return False
    since = request.if_modified_since
    if since is not None and page.last_modified is not None:
        return page.last_modified.replace(microsecond=0) <= since
    return False


def respond(
    request: web.Request,
    page: CachedPage,
    cache_control: str = PUBLIC,
    vary: str | None = None,
) -> web.Response:
    """The page, or 304 Not Modified when the client's copy is current (GET and HEAD only),
    with the site's security headers."""
    headers = page.headers(cache_control, vary)
    if page.status == 200 and request.method in ("GET", "HEAD") and not_modified(request, page):
        return web.Response(status=304, headers=headers.not_modified)
    return web.Response(body=page.body, status=page.status, headers=headers.full)


class PageCache:
    """Pages by key, each dropped when a read model it depends on changes (or after
    `max_age_s`). A page being rendered is rendered once however many readers ask for it.

    A dropped page is kept aside as the page's last copy: the first reader after a change
    waits for the new render (so a published story shows at once), and readers arriving while
    that render runs get the last copy instead of queueing behind it, within `grace_s` of the
    change. A render that a newer change overtook is not kept as current, only as the last
    copy. So under a stream of publications (every render overtaken) readers still get
    answers at once, each at most one render plus `grace_s` behind, instead of each waiting
    on a render of its own that the next event throws away."""

    def __init__(
        self, max_pages: int = MAX_PAGES, max_age_s: float = MAX_AGE_S, grace_s: float = GRACE_S
    ) -> None:
        self._max_pages = max_pages
        self._max_age = max_age_s
        self._grace = grace_s
        self._pages: OrderedDict[tuple[object, ...], tuple[float, frozenset[str], CachedPage]] = (
            OrderedDict()
        )
        # key -> (when it went out of date, its last copy)
        self._last: OrderedDict[tuple[object, ...], tuple[float, CachedPage]] = OrderedDict()
        self._flight: SingleFlight[tuple[object, ...], CachedPage] = SingleFlight()
        self._generation = dict.fromkeys(SCOPES, 0)
        self._listeners: dict[str, list[Callable[[], object]]] = {}

    def on_invalidate(self, scope: str, listener: Callable[[], object]) -> None:
        """Call `listener` whenever `scope` is invalidated (e.g. to clear a read model's memo)."""
        self._listeners.setdefault(scope, []).append(listener)

    def __len__(self) -> int:
        return len(self._pages)

    def hit(self, key: tuple[object, ...]) -> CachedPage | None:
        """The cached page for `key` if there is one (the common case, without a coroutine)."""
        hit = self._pages.get(key)
        if hit is not None and hit[0] > time.monotonic():
            self._pages.move_to_end(key)
            return hit[2]
        return None

    async def get(
        self,
        key: tuple[object, ...],
        load: Callable[[], Awaitable[CachedPage]],
        depends: Iterable[str] = (ARTICLES,),
    ) -> CachedPage:
        """The cached page for `key`, or `load()` it (and keep it)."""
        page = self.hit(key)
        if page is not None:
            return page
        if self._flight.running(key):
            last = self._last.get(key)
            if last is not None and time.monotonic() - last[0] < self._grace:
                return last[1]  # its new render is under way: the last copy meanwhile
        scopes = frozenset(depends)

        async def load_and_keep() -> CachedPage:
            before = [self._generation.get(s, 0) for s in scopes]
            page = await load()
            now = time.monotonic()
            if before == [self._generation.get(s, 0) for s in scopes]:
                self._pages[key] = (now + self._max_age, scopes, page)
                self._last.pop(key, None)
                while len(self._pages) > self._max_pages:
                    self._pages.popitem(last=False)
            else:
                # A change that landed while rendering may be missing from this page: not
                # current, but newer than the last copy, and out of date since about now.
                self._keep_last(key, now, page)
            return page

        return await self._flight.run(key, load_and_keep)

    def _keep_last(self, key: tuple[object, ...], since: float, page: CachedPage) -> None:
        self._last[key] = (since, page)
        self._last.move_to_end(key)
        while len(self._last) > self._max_pages:
            self._last.popitem(last=False)

    def invalidate(self, *scopes: str) -> None:
        """Drop every page that depends on one of `scopes`."""
        for scope in scopes:
            self._generation[scope] = self._generation.get(scope, 0) + 1
            for listener in self._listeners.get(scope, ()):
                listener()
        dropped = set(scopes)
        now = time.monotonic()
        for key in [k for k, (_, deps, _) in self._pages.items() if deps & dropped]:
            self._keep_last(key, now, self._pages.pop(key)[2])

    def clear(self) -> None:
        self.invalidate(*SCOPES)


class Revisions:
    """One token per read model in shared storage: a change anywhere reaches every replica."""

    def __init__(self, collection: Collection, cache: PageCache, poll_s: float = 0.5) -> None:
        self._collection = collection
        self._cache = cache
        self._poll_s = poll_s
        self._seen: dict[str, str] = {}
        self._remote: dict[str, list[Callable[[], object]]] = {}
        self._task: asyncio.Task[None] | None = None

    def on_remote_change(self, scope: str, listener: Callable[[], object]) -> None:
        """Call `listener` when another replica changed `scope` (after its pages are dropped),
        e.g. to drop memos this replica's own changes keep up to date themselves."""
        self._remote.setdefault(scope, []).append(listener)

    @classmethod
    async def open(
        cls, storage: DocumentStorage, cache: PageCache, poll_s: float = 0.5
    ) -> Revisions:
        revisions = cls(await storage.collection("revisions"), cache, poll_s)
        await revisions.poll()  # start from the current tokens
        return revisions

    async def touch(self, scope: str) -> None:
        """`scope` changed: drop this replica's pages now and tell the others."""
        token = secrets.token_hex(8)
        self._seen[scope] = token
        self._cache.invalidate(scope)
        await self._collection.put({"_id": scope, "token": token})

    async def poll(self) -> None:
        """Drop the pages of every scope whose token another replica changed."""
        docs = await self._collection.find({"_id": {"$in": list(SCOPES)}})
        tokens = {doc["_id"]: str(doc["token"]) for doc in docs}
        for scope in SCOPES:
            token = tokens.get(scope, "")  # "": never changed yet
            if scope in self._seen and self._seen[scope] != token:
                self._cache.invalidate(scope)
                for listener in self._remote.get(scope, ()):
                    listener()
            self._seen[scope] = token

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="render revisions")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                await self.poll()
            except Exception as exc:  # storage trouble: pages age out; try again next time
                log.warning("revisions_poll_failed", error=repr(exc))

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None
