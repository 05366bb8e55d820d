"""Render: the public site — pages from render's own read models, fed only by events."""

from __future__ import annotations

import structlog
from aiohttp import web

from services.render import (
    community,
    feeds,
    forms,
    notices,
    openapi,
    pages,
    search_page,
    sitemaps,
)
from services.render.deps import RENDER, RenderDeps
from services.render.projections import RenderData, start_projections
from services.render.search_client import SearchClient
from services.render.settings import RenderSettings
from services.render.templating import STATIC, make_environment
from shared.openapi import serve_document
from shared.ports.storage import DocumentStorage
from shared.service import Infrastructure
from shared.web import PROBES

log = structlog.get_logger("sinmun.render")

ARTICLE = r"{article_id:\d{16}}"
SECTION = r"{section:[a-z][a-z0-9-]{0,39}}"
BOARD = r"{board:[a-z][a-z0-9-]{0,39}}"


def add_page_routes(app: web.Application) -> None:
    """Every HTML page of the site, in one table. The router tries the resources of a prefix
    (/news) in the order they were added: the most read page of the site comes first."""
    r = app.router
    r.add_get(f"/news/{ARTICLE}", pages.article)
    r.add_get(f"/news/{ARTICLE}/{{slug}}", pages.article)
    r.add_get("/", pages.home)
    r.add_get("/news", pages.news)
    r.add_get(f"/news/{SECTION}", pages.news)
    r.add_get("/search", search_page.search)
    r.add_get(f"/community/{BOARD}", community.board_list)
    r.add_get(f"/community/{BOARD}/write", community.write_post)
    r.add_get(f"/community/{BOARD}/{{post_id:{community.POST_ID}}}", community.post_page)
    r.add_get("/signup", forms.signup)
    r.add_get("/login", forms.login)
    r.add_get("/write", forms.write)
    r.add_get("/about", notices.about)
    r.add_get("/about/{page:[a-z-]+}", notices.about)
    r.add_get("/api/render/ready", pages.page_ready)
    r.add_static("/static", STATIC, append_version=False)
    app.middlewares.append(notices.site_middleware)


class RenderService:
    name = "render"

    def __init__(self) -> None:
        self.storage: DocumentStorage | None = None
        self.data: RenderData | None = None
        self.search: SearchClient | None = None

    def add_routes(self, app: web.Application) -> None:
        # The pages first (the article page is the most read); no page route matches a feed's
        # address (/news/{section}/rss.xml: a section is no 16 digits and has no "/").
        add_page_routes(app)
        feeds.add_routes(app)
        sitemaps.add_routes(app)
        serve_document(app, self.name, openapi.document)

    async def start(self, infra: Infrastructure, app: web.Application) -> None:
        settings = RenderSettings(**infra.settings.model_dump())
        self.storage = await infra.open_storage(self.name)
        app[PROBES][f"{self.name}.storage"] = self.storage.ping
        self.data = await start_projections(infra, self.storage, settings, app)
        self.search = SearchClient(settings.render_search_api_url)
        app[RENDER] = RenderDeps(
            settings=settings,
            templates=make_environment(),
            articles=self.data.articles,
            boards=self.data.boards,
            most_viewed=self.data.most_viewed,
            search=self.search,
            cache=self.data.cache,
            record_view=self.data.views.record_view,
        )

    async def stop(self) -> None:
        if self.search is not None:
            await self.search.close()
        if self.data is not None:
            await self.data.stop()
        if self.storage is not None:
            await self.storage.close()
