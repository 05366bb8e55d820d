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


async def test_readers_during_a_new_render_get_the_last_copy_and_the_first_waits() -> None:
    cache = PageCache(grace_s=5.0)
    release = asyncio.Event()
    renders = 0

    async def load() -> CachedPage:
        nonlocal renders
        renders += 1
        if renders > 1:
            await release.wait()
        return CachedPage.of(f"<p>render {renders}</p>")

    old = await cache.get(("home",), load)
    cache.invalidate(ARTICLES)  # a story was published
    first = asyncio.create_task(cache.get(("home",), load))
    await asyncio.sleep(0)
    meanwhile = await asyncio.wait_for(cache.get(("home",), load), 1)  # no queueing
    assert meanwhile is old and not first.done()
    release.set()
    assert (await first).body == b"<p>render 2</p>"  # the first reader sees the story
    assert await cache.get(("home",), load) is await first
    assert renders == 2


async def test_past_the_grace_readers_wait_for_the_new_render() -> None:
    cache = PageCache(grace_s=0.0)
    release = asyncio.Event()

    async def load() -> CachedPage:
        await release.wait()
        return CachedPage.of("<p>새 판</p>")

    release.set()
    await cache.get(("home",), load)
    release.clear()
    cache.invalidate(ARTICLES)
    first = asyncio.create_task(cache.get(("home",), load))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.get(("home",), load))
    await asyncio.sleep(0.01)
    assert not second.done()
    release.set()
    assert (await first) is (await second)


async def test_under_a_stream_of_changes_an_overtaken_render_serves_the_readers_after_it() -> None:
    cache = PageCache(grace_s=5.0)
    gates: list[asyncio.Event] = []

    async def load() -> CachedPage:
        gate = asyncio.Event()
        gates.append(gate)
        await gate.wait()
        return CachedPage.of(f"<p>render {len(gates)}</p>")

    first = asyncio.create_task(cache.get(("home",), load))
    await asyncio.sleep(0)
    cache.invalidate(ARTICLES)  # published while the first render ran: it is overtaken
    gates[0].set()
    overtaken = await first
    assert len(cache) == 0  # not current
    second = asyncio.create_task(cache.get(("home",), load))  # renders again
    await asyncio.sleep(0)
    assert await asyncio.wait_for(cache.get(("home",), load), 1) is overtaken  # no waiting
    gates[1].set()
    assert (await second).body == b"<p>render 2</p>"
