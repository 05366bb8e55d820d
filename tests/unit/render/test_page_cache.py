"""The page cache: event-scoped invalidation, single-flight loads, ETag/Last-Modified and 304."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp.test_utils import make_mocked_request

from services.render.page_cache import (
    ARTICLES,
    BOARDS,
    MOST_VIEWED,
    CachedPage,
    PageCache,
    not_modified,
    respond,
)

LAST = datetime(2026, 9, 2, 1, 15, 30, 250_000, tzinfo=UTC)


async def test_pages_are_kept_until_a_scope_they_depend_on_changes() -> None:
    cache = PageCache()
    renders: list[str] = []

    def loader(name: str) -> Callable[[], Awaitable[CachedPage]]:
        async def load() -> CachedPage:
            renders.append(name)
            return CachedPage.of(f"<p>{name} {len(renders)}</p>")

        return load

    home = await cache.get(("home",), loader("home"), depends=(ARTICLES, MOST_VIEWED))
    board = await cache.get(("board", "free"), loader("board"), depends=(BOARDS,))
    assert await cache.get(("home",), loader("home")) is home
    cache.invalidate(MOST_VIEWED)
    again = await cache.get(("home",), loader("home"), depends=(ARTICLES,))
    assert again.body != home.body
    assert await cache.get(("board", "free"), loader("board")) is board
    assert renders == ["home", "board", "home"]


async def test_concurrent_readers_render_a_page_once() -> None:
    cache = PageCache()
    calls = 0
    gate = asyncio.Event()

    async def load() -> CachedPage:
        nonlocal calls
        calls += 1
        await gate.wait()
        return CachedPage.of("<p>한 번</p>")

    readers = [asyncio.create_task(cache.get(("a",), load)) for _ in range(20)]
    await asyncio.sleep(0)
    gate.set()
    pages = await asyncio.gather(*readers)
    assert calls == 1 and len({id(p) for p in pages}) == 1


async def test_a_page_rendered_across_an_invalidation_is_not_kept() -> None:
    cache = PageCache()
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> CachedPage:
        started.set()
        await release.wait()
        return CachedPage.of("<p>stale</p>")

    task = asyncio.create_task(cache.get(("home",), slow, depends=(ARTICLES,)))
    await started.wait()
    cache.invalidate(ARTICLES)  # an article was published while the page was rendering
    release.set()
    await task
    assert len(cache) == 0


def test_etag_is_a_hash_of_the_bytes() -> None:
    a, b = CachedPage.of("<p>같은 쪽</p>"), CachedPage.of("<p>같은 쪽</p>".encode())
    assert a.etag == b.etag and a.etag.startswith('"')
    assert CachedPage.of("<p>다른 쪽</p>").etag != a.etag


def test_conditional_requests_answer_304() -> None:
    page = CachedPage.of("<p>기사</p>", last_modified=LAST)
    fresh = make_mocked_request("GET", "/", headers={"If-None-Match": f'W/{page.etag}, "x"'})
    assert not_modified(fresh, page)
    response = respond(fresh, page)
    assert response.status == 304 and response.headers["ETag"] == page.etag
    assert response.headers["Last-Modified"] == "Wed, 02 Sep 2026 01:15:30 GMT"

    stale = make_mocked_request("GET", "/", headers={"If-None-Match": '"other"'})
    full = respond(stale, page)
    assert full.status == 200 and full.body == page.body
    assert full.content_type == "text/html" and full.charset == "utf-8"

    since = make_mocked_request(
        "GET", "/", headers={"If-Modified-Since": "Wed, 02 Sep 2026 01:15:30 GMT"}
    )
    assert respond(since, page).status == 304
    before = make_mocked_request(
        "GET", "/", headers={"If-Modified-Since": "Wed, 02 Sep 2026 01:15:29 GMT"}
    )
    assert respond(before, page).status == 200
    post = make_mocked_request("POST", "/", headers={"If-None-Match": page.etag})
    assert respond(post, page).status == 200


def test_content_type_with_charset_is_kept() -> None:
    page = CachedPage.of("<rss/>", content_type="application/rss+xml; charset=utf-8")
    response = respond(make_mocked_request("GET", "/rss.xml"), page)
    assert response.content_type == "application/rss+xml" and response.charset == "utf-8"
