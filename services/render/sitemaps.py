"""`/sitemap.xml`, `/news-sitemap.xml` (Google News) and `/robots.txt`.

The sitemap lists the site's fixed pages, sections, boards and its newest articles (up to
`SITEMAP_ARTICLES`, below the protocol's 50,000 URLs). The news sitemap lists the articles first
published in the last two days, at most 1,000, as Google News asks. Both are cached until the
articles change, with ETag and Last-Modified.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

from aiohttp import web

from services.render.formatting import article_path, xml_text
from services.render.page_cache import ARTICLES, CachedPage, respond
from services.render.projections import RENDER_DATA, RenderData

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
SITEMAP_ARTICLES = 45_000
NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = 1000
XML_TYPE = "application/xml; charset=utf-8"
# Forms, account pages and API calls are no content for a crawler; search result pages
# would be an endless space of thin pages.
ROBOTS_DISALLOW = ("/api/", "/search", "/write", "/login", "/signup", "/community/*/write")

ET.register_namespace("", SITEMAP_NS)
ET.register_namespace("news", NEWS_NS)


def _w3c(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _url(urlset: ET.Element, loc: str, lastmod: datetime | None = None) -> ET.Element:
    url = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
    ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = loc
    if lastmod is not None:
        ET.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = _w3c(lastmod)
    return url


def _bytes(root: ET.Element) -> bytes:
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


async def render_sitemap(data: RenderData) -> CachedPage:
    site = data.settings.render_public_url.rstrip("/")
    last = await data.articles.last_edited()
    urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    _url(urlset, site + "/", last)
    _url(urlset, site + "/news", last)
    for section in data.settings.sections:
        _url(urlset, f"{site}/news/{section}")
    for board in data.settings.render_boards:
        _url(urlset, f"{site}/community/{board}")
    for card in await data.articles.latest(limit=SITEMAP_ARTICLES):
        _url(urlset, site + article_path(card.article_id), card.updated_at or card.published_at)
    return CachedPage.of(_bytes(urlset), XML_TYPE, last)


async def render_news_sitemap(data: RenderData, now: datetime | None = None) -> CachedPage:
    site = data.settings.render_public_url.rstrip("/")
    now = now or datetime.now(UTC)
    cards = await data.articles.since(now - NEWS_WINDOW, limit=NEWS_LIMIT)
    urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for card in cards:
        url = _url(urlset, site + article_path(card.article_id))
        news = ET.SubElement(url, f"{{{NEWS_NS}}}news")
        publication = ET.SubElement(news, f"{{{NEWS_NS}}}publication")
        ET.SubElement(publication, f"{{{NEWS_NS}}}name").text = data.settings.render_site_name
        ET.SubElement(publication, f"{{{NEWS_NS}}}language").text = "ko"
        ET.SubElement(news, f"{{{NEWS_NS}}}publication_date").text = _w3c(card.published_at)
        ET.SubElement(news, f"{{{NEWS_NS}}}title").text = xml_text(card.headline)
        if card.tags:
            ET.SubElement(news, f"{{{NEWS_NS}}}keywords").text = xml_text(", ".join(card.tags))
    newest = max((c.updated_at or c.published_at for c in cards), default=None)
    return CachedPage.of(_bytes(urlset), XML_TYPE, newest)


def robots_txt(data: RenderData) -> str:
    site = data.settings.render_public_url.rstrip("/")
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "Allow: /", ""]
    lines += [f"Sitemap: {site}/sitemap.xml", f"Sitemap: {site}/news-sitemap.xml", ""]
    return "\n".join(lines)


async def sitemap(request: web.Request) -> web.StreamResponse:
    data = request.app[RENDER_DATA]

    async def load() -> CachedPage:
        return await render_sitemap(data)

    return respond(request, await data.cache.get(("sitemap",), load, depends=(ARTICLES,)))


async def news_sitemap(request: web.Request) -> web.StreamResponse:
    data = request.app[RENDER_DATA]

    async def load() -> CachedPage:
        return await render_news_sitemap(data)

    # Articles leave it by age too: the cache's age limit refreshes it without an event.
    return respond(request, await data.cache.get(("news-sitemap",), load, depends=(ARTICLES,)))


async def robots(request: web.Request) -> web.StreamResponse:
    page = CachedPage.of(robots_txt(request.app[RENDER_DATA]), "text/plain; charset=utf-8")
    return respond(request, page, cache_control="public, max-age=3600")


def add_routes(app: web.Application) -> None:
    """The sitemap and robots routes (they need `app[RENDER_DATA]`)."""
    app.router.add_get("/sitemap.xml", sitemap)
    app.router.add_get("/news-sitemap.xml", news_sitemap)
    app.router.add_get("/robots.txt", robots)
