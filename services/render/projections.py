"""Render's consumers: events in, read models and page invalidation out.

`start_projections` is the one call the render service makes at start-up (from its `start`):

    data = await start_projections(infra, storage, settings, app)
    ...  # RenderDeps(articles=data.articles, boards=data.boards,
    ...  #            most_viewed=data.most_viewed, record_view=data.views.record_view, ...)
    await data.stop()  # in the service's stop(), before the storage closes

It opens the read models on render's storage, joins the consumer groups (`render-articles` on
articles.published, `render-boards` on boards.events, `render-views` on articles.viewed: every
replica of render shares each group, so each event is applied once), and starts the background
tasks (view publishing, most-viewed refresh, revision polling for page invalidation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from aiohttp import web

from services.render.most_viewed import MostViewed, ViewCounter, ViewPublisher
from services.render.page_cache import ARTICLES, BOARDS, MOST_VIEWED, PageCache, Revisions
from services.render.read_models import ArticleReadModel, BoardReadModel
from services.render.settings import RenderSettings
from shared.metrics import PUBLISH_TO_PAGE, observe_freshness
from shared.ports.bus import EventBus, PoisonRecordError, Record, Subscription
from shared.ports.storage import DocumentStorage
from shared.records import decode_batch
from shared.sanitize import clean_html
from shared.schemas import (
    Article,
    ArticlePublished,
    ArticleRetracted,
    CommentAdded,
    PostCreated,
    PostHidden,
    PostUpdated,
)
from shared.service import Infrastructure
from shared.topics import ARTICLES_PUBLISHED, ARTICLES_VIEWED, BOARDS_EVENTS

log = structlog.get_logger("sinmun.render")

ARTICLES_GROUP = "render-articles"
BOARDS_GROUP = "render-boards"
VIEWS_GROUP = "render-views"


BatchResults = list[PoisonRecordError | None]


class ArticleProjection:
    """articles.published → ArticleReadModel; a change drops the pages that show articles
    (one revision write a batch, so a replay of the whole stream is not a write per event)."""

    def __init__(self, articles: ArticleReadModel, revisions: Revisions) -> None:
        self._articles = articles
        self._revisions = revisions

    async def on_published(self, records: Sequence[Record]) -> BatchResults:
        results, envelopes = decode_batch(records)
        events = [
            (e.occurred_at, e.payload)
            for e in envelopes
            if isinstance(e.payload, ArticlePublished | ArticleRetracted)
        ]
        changed = await self._articles.apply_many([held(event) for _, event in events])
        applied = [at for (at, _), change in zip(events, changed, strict=True) if change]
        if applied:
            await self._revisions.touch(ARTICLES)
            for occurred_at in applied:
                observe_freshness(PUBLISH_TO_PAGE, occurred_at)
        return results


def held(event: ArticlePublished | ArticleRetracted) -> tuple[Article, bool]:
    """The article as render holds it, and whether it is retracted. Pages show the body
    unescaped: it is cleaned here too, whoever wrote the event."""
    article = event.article.model_copy(update={"body_html": clean_html(event.article.body_html)})
    return article, isinstance(event, ArticleRetracted)


class BoardProjection:
    """boards.events → BoardReadModel; a change drops the pages that show boards."""

    def __init__(self, boards: BoardReadModel, revisions: Revisions) -> None:
        self._boards = boards
        self._revisions = revisions

    async def on_event(self, records: Sequence[Record]) -> BatchResults:
        results, envelopes = decode_batch(records)
        changed = False
        for event in (e.payload for e in envelopes):
            if isinstance(event, PostCreated | PostUpdated | PostHidden | CommentAdded):
                changed |= await self._boards.apply(event)
        if changed:
            await self._revisions.touch(BOARDS)
        return results


@dataclass
class RenderData:
    """Everything render's pages read, and the tasks that keep it current."""

    settings: RenderSettings
    articles: ArticleReadModel
    boards: BoardReadModel
    most_viewed: MostViewed
    views: ViewPublisher
    counter: ViewCounter
    cache: PageCache
    revisions: Revisions
    subscriptions: list[Subscription] = field(default_factory=list)

    async def stop(self) -> None:
        """Stop the background tasks (the infrastructure stops the consumers itself)."""
        await self.views.stop()
        await self.most_viewed.stop()
        await self.revisions.stop()


RENDER_DATA = web.AppKey("render.data", RenderData)


async def open_render_data(
    storage: DocumentStorage, settings: RenderSettings, bus: EventBus
) -> RenderData:
    """The read models, cache and view pipeline on `storage`, nothing consuming yet."""
    cache = PageCache()
    revisions = await Revisions.open(storage, cache)
    articles = await ArticleReadModel.open(storage)
    cache.on_invalidate(ARTICLES, articles.forget)
    revisions.on_remote_change(ARTICLES, articles.forget_pages)
    counter = await ViewCounter.open(
        storage,
        window=timedelta(hours=settings.render_most_viewed_window_h),
        dedup=timedelta(minutes=settings.render_view_dedup_min),
    )
    most_viewed = MostViewed(
        counter,
        articles,
        refresh_s=settings.render_most_viewed_refresh_s,
        on_change=lambda: cache.invalidate(MOST_VIEWED),
    )
    boards = await BoardReadModel.open(storage)
    cache.on_invalidate(BOARDS, boards.forget)
    return RenderData(
        settings=settings,
        articles=articles,
        boards=boards,
        most_viewed=most_viewed,
        views=ViewPublisher(bus, dedup=timedelta(minutes=settings.render_view_dedup_min)),
        counter=counter,
        cache=cache,
        revisions=revisions,
    )


async def start_projections(
    infra: Infrastructure,
    storage: DocumentStorage,
    settings: RenderSettings | None = None,
    app: web.Application | None = None,
) -> RenderData:
    """Open the read models, join render's consumer groups, start the background tasks;
    with `app`, also put the result in `app[RENDER_DATA]` (feeds and sitemaps read it)."""
    settings = settings or RenderSettings(**infra.settings.model_dump())
    data = await open_render_data(storage, settings, infra.bus)
    articles = ArticleProjection(data.articles, data.revisions)
    boards = BoardProjection(data.boards, data.revisions)
    data.subscriptions = [
        await infra.consume_batches(ARTICLES_PUBLISHED.name, ARTICLES_GROUP, articles.on_published),
        await infra.consume_batches(BOARDS_EVENTS.name, BOARDS_GROUP, boards.on_event),
        await infra.consume_batches(ARTICLES_VIEWED.name, VIEWS_GROUP, data.counter.on_viewed),
    ]
    data.views.start()
    data.most_viewed.start()
    data.revisions.start()
    if app is not None:
        app[RENDER_DATA] = data
    log.info("render_projections_started", groups=[ARTICLES_GROUP, BOARDS_GROUP, VIEWS_GROUP])
    return data
