"""Render's consumers on each backend (embedded log + SQLite; Kafka + FerretDB): events in,
read models, page invalidation on every replica, and 실시간 많이본 뉴스."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.bootstrap import open_infrastructure
from services.render.most_viewed import ViewCounter
from services.render.page_cache import ARTICLES, BOARDS, CachedPage
from services.render.projections import RenderData, open_render_data, start_projections
from services.render.settings import RenderSettings
from shared.adapters.mongo_store import MongoStorage
from shared.ports.bus import Record
from shared.schemas import (
    ArticlePublished,
    ArticleRetracted,
    ArticleStatus,
    ArticleViewed,
    ClientClass,
    CommentAdded,
    Envelope,
    Event,
    PostCreated,
    decode_envelope,
)
from shared.service import Infrastructure
from shared.topics import ARTICLES_PUBLISHED, BOARDS_EVENTS
from tests.backends import backend_settings
from tests.integration.render.factories import article, article_id, comment, post

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


@pytest.fixture(params=["embedded", "distributed"])
def render_settings(request: pytest.FixtureRequest, tmp_path: Path) -> RenderSettings:
    return backend_settings(
        RenderSettings, request.param, tmp_path,
        consumer_retry_backoff_s=0.01, render_most_viewed_refresh_s=0.2,
    )  # fmt: skip


@pytest.fixture
async def render(
    render_settings: RenderSettings,
) -> AsyncIterator[tuple[Infrastructure, RenderData]]:
    render_settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with open_infrastructure(render_settings) as infra:
        storage = await infra.open_storage("render")
        data = await start_projections(infra, storage, render_settings)
        for subscription in data.subscriptions:
            await subscription.wait_assigned()
        yield infra, data
        for subscription in data.subscriptions:
            await subscription.stop()
        await data.stop()
        if isinstance(storage, MongoStorage):
            await storage.drop()
        await storage.close()


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 - waiting on a consumer's effect
            await asyncio.sleep(0.05)


async def publish(infra: Infrastructure, topic: str, key: str, event: Event) -> None:
    await infra.bus.publish(topic, key, Envelope.wrap(event, "test"))


async def test_articles_arrive_update_and_retract(
    render: tuple[Infrastructure, RenderData],
) -> None:
    infra, data = render
    for n in (1, 2, 3):
        await publish(
            infra, ARTICLES_PUBLISHED.name, article_id(n), ArticlePublished(article=article(n))
        )
    await until(lambda: _count(data, 3))
    # An update, a late duplicate of the old version, then a retraction of another story.
    await publish(
        infra, ARTICLES_PUBLISHED.name, article_id(1), ArticlePublished(article=article(1, 2))
    )
    await publish(
        infra, ARTICLES_PUBLISHED.name, article_id(1), ArticlePublished(article=article(1))
    )
    gone = article(2, 2, status=ArticleStatus.RETRACTED)
    await publish(infra, ARTICLES_PUBLISHED.name, article_id(2), ArticleRetracted(article=gone))
    await until(lambda: _count(data, 2))

    async def updated() -> bool:
        page = await data.articles.page(article_id(1))
        return page is not None and page.article.version == 2

    await until(updated)
    retracted = await data.articles.page(article_id(2))
    assert retracted is not None and retracted.retracted
    assert [c.article_id for c in await data.articles.latest()] == [article_id(3), article_id(1)]


async def _count(data: RenderData, n: int) -> bool:
    return await data.articles.count() == n


async def test_an_undecodable_record_is_dead_lettered_and_the_next_applied(
    render: tuple[Infrastructure, RenderData],
) -> None:
    infra, data = render
    dead: list[Record] = []

    async def collect(record: Record) -> None:
        dead.append(record)

    dlq = await infra.consume(ARTICLES_PUBLISHED.dlq, "test-dlq", collect)
    await dlq.wait_assigned()
    await infra.bus.send(ARTICLES_PUBLISHED.name, article_id(9), b'{"not": "an envelope"}')
    await publish(
        infra, ARTICLES_PUBLISHED.name, article_id(1), ArticlePublished(article=article(1))
    )
    await until(lambda: _count(data, 1))

    async def dead_lettered() -> bool:
        return len(dead) == 1

    await until(dead_lettered)
    assert dead[0].value == b'{"not": "an envelope"}'
    assert dead[0].header("sinmun-dlq-reason") == "undecodable_event"


async def test_every_replica_drops_its_pages_when_any_replica_applies_an_event(
    render: tuple[Infrastructure, RenderData], render_settings: RenderSettings
) -> None:
    infra, data = render
    # A second replica on the same storage that consumes nothing: it learns by revisions.
    other_storage = await infra.open_storage("render")
    other = await open_render_data(other_storage, render_settings, infra.bus)
    try:
        page = CachedPage.of("<p>home</p>")

        async def load() -> CachedPage:
            return page

        await other.cache.get(("home",), load, depends=(ARTICLES,))
        await other.cache.get(("free",), load, depends=(BOARDS,))
        await publish(
            infra, ARTICLES_PUBLISHED.name, article_id(1), ArticlePublished(article=article(1))
        )
        await until(lambda: _count(data, 1))

        async def dropped() -> bool:
            await other.revisions.poll()
            return len(other.cache) == 1

        await until(dropped)
        await publish(infra, BOARDS_EVENTS.name, "p0001", PostCreated(post=post(1)))
        await publish(infra, BOARDS_EVENTS.name, "p0001", CommentAdded(comment=comment(1, "p0001")))

        async def board_dropped() -> bool:
            await other.revisions.poll()
            return len(other.cache) == 0

        await until(board_dropped)

        async def commented() -> bool:
            cards, _ = await data.boards.posts("free")
            return bool(cards) and cards[0].comments == 1

        await until(commented)
    finally:
        await other.stop()
        await other_storage.close()


async def test_most_viewed_counts_readers_once_per_window_and_ranks_them(
    render: tuple[Infrastructure, RenderData],
) -> None:
    infra, data = render
    for n in (1, 2, 3, 4):
        await publish(
            infra, ARTICLES_PUBLISHED.name, article_id(n), ArticlePublished(article=article(n))
        )
    await until(lambda: _count(data, 4))
    views = {1: 2, 2: 5, 3: 3}  # distinct readers per article (and one more for 1 below)
    for n, readers in views.items():
        for r in range(readers):
            for _ in range(3):  # the same reader reloading the page counts once
                await data.views.record_view(article_id(n), "pohang", f"cookie-{r}", CHROME)
    for _ in range(10):  # a crawler counts never
        await data.views.record_view(article_id(4), "pohang", "bot", "Googlebot/2.1")
    await data.views.record_view("not an id!", "pohang", "x", CHROME)  # ignored, not an error
    await data.views.record_view(article_id(1), "Bad Section", "cookie-9", CHROME)  # counted
    await data.views.flush()

    async def ranked() -> bool:
        top = await data.most_viewed.refresh()
        return [(r.article_id, r.views) for r in top] == [
            (article_id(2), 5),
            (article_id(1), 3),
            (article_id(3), 3),
        ]

    await until(ranked)
    top = await data.most_viewed.top(limit=2)
    assert [r.headline for r in top] == ["포항시 기사 2 판 1", "포항시 기사 1 판 1"]

    # A retracted article leaves the ranking.
    gone = article(2, 2, status=ArticleStatus.RETRACTED)
    await publish(infra, ARTICLES_PUBLISHED.name, article_id(2), ArticleRetracted(article=gone))

    async def without_retracted() -> bool:
        return [r.article_id for r in await data.most_viewed.refresh()] == [
            article_id(1),  # a tie of 3 views: the article ids decide, on every replica alike
            article_id(3),
        ]

    await until(without_retracted)


async def test_a_reader_counts_again_after_the_dedup_window(
    render: tuple[Infrastructure, RenderData],
) -> None:
    _, data = render
    now = datetime.now(UTC)
    visitor = "0" * 32

    def view(minutes_ago: float) -> ArticleViewed:
        return ArticleViewed(
            article_id=article_id(1),
            viewed_at=now - timedelta(minutes=minutes_ago),
            client_class=ClientClass.MOBILE,
            visitor=visitor,
        )

    counter = data.counter
    assert await counter.count(view(70), "e1")
    assert not await counter.count(view(70), "e1")  # redelivered
    assert not await counter.count(view(50), "e2")  # 20 minutes later: the same visit
    assert await counter.count(view(35), "e3")  # 35 minutes after the first: a new visit
    assert not await counter.count(view(10), "e4")  # 25 minutes after the last count
    assert not await counter.count(view(60 * 25), "e5")  # outside the 24-hour window
    assert (await counter.totals())[article_id(1)] == 2
    anonymous = ArticleViewed(article_id=article_id(2), viewed_at=now)
    assert await counter.count(anonymous, "e6") and await counter.count(anonymous, "e7")
    assert not await counter.count(anonymous, "e7")


def test_views_decode_with_their_visitor() -> None:
    event = ArticleViewed(article_id=article_id(1), viewed_at=datetime.now(UTC), visitor="a" * 32)
    raw = Envelope.wrap(event, "render").model_dump_json()
    assert decode_envelope(raw).payload.visitor == "a" * 32


async def test_a_batch_counts_each_reader_once_and_dead_letters_garbage(
    render: tuple[Infrastructure, RenderData],
) -> None:
    _, data = render
    now = datetime.now(UTC)

    def record(event: ArticleViewed | None, offset: int) -> Record:
        value = (
            b"garbage"
            if event is None
            else Envelope.wrap(event, "render").model_dump_json().encode()
        )
        key = article_id(1) if event is None else event.article_id  # as render keys views
        return Record("articles.viewed", 0, offset, key, value)

    def view(visitor: str, minutes_ago: float, n: int = 1) -> ArticleViewed:
        return ArticleViewed(
            article_id=article_id(n),
            viewed_at=now - timedelta(minutes=minutes_ago),
            visitor=visitor,
            client_class=ClientClass.DESKTOP,
        )

    batch = [
        record(view("a" * 32, 50), 0),
        record(view("a" * 32, 45), 1),  # the same visit
        record(None, 2),
        record(view("a" * 32, 10), 3),  # 40 minutes after the first: a new visit
        record(view("b" * 32, 5), 4),
        record(view("b" * 32, 5, n=2), 5),
        record(view("c" * 32, 1, n=2).model_copy(update={"client_class": ClientClass.BOT}), 6),
    ]
    results = await data.counter.on_viewed(batch)
    assert [r is None for r in results] == [True, True, False, True, True, True, True]
    assert await data.counter.totals() == {article_id(1): 3, article_id(2): 1}
    await data.counter.on_viewed(batch)  # the whole batch redelivered
    assert await data.counter.totals() == {article_id(1): 3, article_id(2): 1}


async def test_two_replicas_counting_one_article_at_once_lose_no_view(
    render: tuple[Infrastructure, RenderData],
) -> None:
    infra, data = render
    other_storage = await infra.open_storage("render")
    try:
        other = await ViewCounter.open(other_storage, data.counter.window, data.counter.dedup)
        now = datetime.now(UTC)

        def batch(replica: int, n: int) -> list[tuple[ArticleViewed, str]]:
            return [
                (
                    ArticleViewed(
                        article_id=article_id(1 + v % 3),
                        viewed_at=now,
                        visitor=f"{replica}{n:03d}{v:028d}",
                    ),
                    f"r{replica}-{n}-{v}",
                )
                for v in range(30)
            ]

        # Both write the same three count documents at the same moments: conflicts retried.
        counts = await asyncio.gather(
            *(data.counter.count_many(batch(1, n)) for n in range(4)),
            *(other.count_many(batch(2, n)) for n in range(4)),
        )
        assert counts == [30] * 8
        assert await data.counter.totals() == {article_id(n): 80 for n in (1, 2, 3)}
    finally:
        await other_storage.close()
