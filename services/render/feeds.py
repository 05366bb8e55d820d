"""RSS 2.0 and Atom feeds of the newest articles: the whole paper and each section.

`/rss.xml`, `/atom.xml`, `/news/{section}/rss.xml`, `/news/{section}/atom.xml` (feedgen). Feeds are
rendered once per change of the articles read model (page cache) and carry ETag and
Last-Modified, so feed readers polling every few minutes mostly get 304s. Every time in a feed
comes from the articles, never the clock, so equal content gives equal bytes on every replica.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from feedgen.feed import FeedGenerator

from services.render.formatting import article_path, xml_text
from services.render.models import ArticleCard
from services.render.page_cache import ARTICLES, CachedPage, respond
from services.render.projections import RENDER_DATA, RenderData

FEED_ITEMS = 30
SECTION = r"{section:[a-z][a-z0-9-]{0,39}}"
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def base_url(data: RenderData) -> str:
    return data.settings.render_public_url.rstrip("/")


def build_feed(
    data: RenderData,
    cards: list[ArticleCard],
    section: str | None,
    self_path: str,
    updated: datetime | None,
) -> FeedGenerator:
    """The feed of `cards` (newest first) for the paper or one section."""
    settings = data.settings
    site = base_url(data)
    home = site + (f"/news/{section}" if section else "/")
    title = settings.render_site_name
    if section:
        title = f"{title} - {settings.sections.get(section, section)}"
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(home)
    fg.title(title)
    fg.link(href=site + self_path, rel="self")
    fg.link(href=home, rel="alternate")  # RSS's channel <link>: the last one given
    fg.description(f"{title} 최신 기사")
    fg.language("ko")
    fg.generator("Sinmun")
    when = updated or (cards[0].updated_at or cards[0].published_at if cards else None)
    if when is not None:
        fg.updated(when)
        fg.lastBuildDate(when)
    for card in cards:
        url = site + article_path(card.article_id)
        entry = fg.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(xml_text(card.headline))
        entry.link(href=url)
        entry.summary(xml_text(card.lead or card.subhead or card.headline))
        entry.published(card.published_at)
        entry.updated(card.updated_at or card.published_at)
        entry.category(term=card.section, label=settings.sections.get(card.section, card.section))
        if card.byline:
            entry.author(name=xml_text(card.byline))
            entry.dc.dc_creator(xml_text(card.byline))
    return fg


async def render_feed(data: RenderData, section: str | None, kind: str) -> CachedPage:
    """One feed (`kind` "rss" or "atom") rendered to bytes with its validators."""
    cards = await data.articles.latest(limit=FEED_ITEMS, section=section)
    updated = await data.articles.last_edited() if section is None else None
    path = (f"/news/{section}" if section else "") + f"/{kind}.xml"
    fg = build_feed(data, cards, section, path, updated)
    if kind == "rss":
        return CachedPage.of(fg.rss_str(pretty=True), RSS_TYPE, updated or _newest(cards))
    return CachedPage.of(fg.atom_str(pretty=True), ATOM_TYPE, updated or _newest(cards))


def _newest(cards: list[ArticleCard]) -> datetime | None:
    return max((c.updated_at or c.published_at for c in cards), default=None)


def _handler(kind: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def feed(request: web.Request) -> web.StreamResponse:
        data = request.app[RENDER_DATA]
        section = request.match_info.get("section")
        if section is not None and section not in data.settings.sections:
            raise web.HTTPNotFound()

        async def load() -> CachedPage:
            return await render_feed(data, section, kind)

        page = await data.cache.get(("feed", kind, section), load, depends=(ARTICLES,))
        return respond(request, page)

    return feed


def add_routes(app: web.Application) -> None:
    """The feed routes (before the page routes' catch-alls; they need `app[RENDER_DATA]`)."""
    app.router.add_get("/rss.xml", _handler("rss"))
    app.router.add_get("/atom.xml", _handler("atom"))
    app.router.add_get(f"/news/{SECTION}/rss.xml", _handler("rss"))
    app.router.add_get(f"/news/{SECTION}/atom.xml", _handler("atom"))
