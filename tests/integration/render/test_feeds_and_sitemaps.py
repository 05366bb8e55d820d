"""Feeds, sitemaps and robots.txt from the articles read model, on SQLite and FerretDB."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.render import feeds, sitemaps
from services.render.page_cache import ARTICLES
from services.render.projections import RENDER_DATA, RenderData, open_render_data
from services.render.settings import RenderSettings
from shared.adapters.local_bus import LocalBus
from shared.ports.storage import DocumentStorage
from shared.schemas import ArticleStatus
from tests.integration.render.factories import article, article_id

ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]
SITE = "https://news.example.kr"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "dc": "http://purl.org/dc/elements/1.1/",
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def site(
    render_storage: DocumentStorage, tmp_path: Path, aiohttp_client: ClientFactory
) -> tuple[TestClient, RenderData]:  # type: ignore[type-arg]
    settings = RenderSettings(
        data_dir=tmp_path, render_public_url=SITE + "/", render_site_name="경북신문"
    )
    data = await open_render_data(render_storage, settings, LocalBus(tmp_path / "bus.sqlite3"))
    app = web.Application()
    feeds.add_routes(app)
    sitemaps.add_routes(app)
    app[RENDER_DATA] = data
    return await aiohttp_client(app), data


async def publish_recent(data: RenderData) -> None:
    """Articles 1-4 from the last hours (2 and 4 in 경주), 5 from three days ago, 6 retracted."""
    for n in (1, 2, 3, 4):
        section = "gyeongju" if n % 2 == 0 else "pohang"
        await data.articles.apply(
            article(n, section=section, published_at=NOW - timedelta(hours=10 - n), tags=["포항"]),
            False,
        )
    await data.articles.apply(article(5, published_at=NOW - timedelta(days=3)), False)
    gone = article(6, version=2, status=ArticleStatus.RETRACTED, published_at=NOW)
    await data.articles.apply(gone, True)


async def test_rss_lists_the_newest_articles_with_validators(
    site: tuple[TestClient, RenderData],  # type: ignore[type-arg]
) -> None:
    client, data = site
    await publish_recent(data)
    response = await client.get("/rss.xml")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(await response.read()).find("channel")
    assert channel is not None
    assert channel.findtext("title") == "경북신문"
    assert channel.findtext("link") == SITE + "/"
    assert channel.findtext("language") == "ko"
    items = channel.findall("item")
    ids = [article_id(n) for n in (4, 3, 2, 1, 5)]  # newest first, the retracted one absent
    assert [i.findtext("link") for i in items] == [f"{SITE}/news/{a}" for a in ids]
    first = items[0]
    assert first.findtext("guid") == f"{SITE}/news/{article_id(4)}"
    assert first.findtext("category") == "경주"
    assert first.findtext("dc:creator", namespaces=NS) == "강동진 기자"
    assert first.findtext("description") == "포항시는 4번째 소식을 전했다. 둘째 문단."
    assert first.findtext("pubDate") is not None

    etag = response.headers["ETag"]
    assert response.headers["Last-Modified"]
    again = await client.get("/rss.xml", headers={"If-None-Match": etag})
    assert again.status == 304
    # A new article: the read model's change drops the cached feed.
    await data.articles.apply(article(7, published_at=NOW), False)
    data.cache.invalidate(ARTICLES)
    fresh = await client.get("/rss.xml", headers={"If-None-Match": etag})
    assert fresh.status == 200 and fresh.headers["ETag"] != etag
    assert article_id(7) in (await fresh.text())


async def test_section_feeds_and_atom(site: tuple[TestClient, RenderData]) -> None:  # type: ignore[type-arg]
    client, data = site
    await publish_recent(data)
    rss = ET.fromstring(await (await client.get("/news/gyeongju/rss.xml")).read())
    assert rss.findtext("channel/title") == "경북신문 - 경주"
    assert [i.findtext("link") for i in rss.iter("item")] == [
        f"{SITE}/news/{article_id(n)}" for n in (4, 2)
    ]
    response = await client.get("/news/pohang/atom.xml")
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    atom = ET.fromstring(await response.read())
    entries = atom.findall("atom:entry", NS)
    assert [e.findtext("atom:id", namespaces=NS) for e in entries] == [
        f"{SITE}/news/{article_id(n)}" for n in (3, 1, 5)
    ]
    assert entries[0].findtext("atom:author/atom:name", namespaces=NS) == "강동진 기자"
    assert atom.find("atom:link[@rel='self']", NS).get("href") == f"{SITE}/news/pohang/atom.xml"  # type: ignore[union-attr]
    assert (await client.get("/atom.xml")).status == 200
    assert (await client.get("/news/nowhere/rss.xml")).status == 404


async def test_sitemap_lists_pages_sections_boards_and_articles(
    site: tuple[TestClient, RenderData],  # type: ignore[type-arg]
) -> None:
    client, data = site
    await publish_recent(data)
    response = await client.get("/sitemap.xml")
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(await response.read())
    locs = [u.findtext("s:loc", namespaces=NS) for u in root.findall("s:url", NS)]
    assert locs[:2] == [SITE + "/", SITE + "/news"]
    assert f"{SITE}/news/pohang" in locs and f"{SITE}/community/free" in locs
    articles = [loc for loc in locs if loc and loc.startswith(f"{SITE}/news/2026")]
    assert articles == [f"{SITE}/news/{article_id(n)}" for n in (4, 3, 2, 1, 5)]
    lastmod = root.find(f"s:url[s:loc='{SITE}/news/{article_id(4)}']/s:lastmod", NS)
    assert lastmod is not None and lastmod.text == (NOW - timedelta(hours=6)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


async def test_news_sitemap_has_the_last_two_days_only(
    site: tuple[TestClient, RenderData],  # type: ignore[type-arg]
) -> None:
    client, data = site
    await publish_recent(data)
    root = ET.fromstring(await (await client.get("/news-sitemap.xml")).read())
    urls = root.findall("s:url", NS)
    assert [u.findtext("s:loc", namespaces=NS) for u in urls] == [
        f"{SITE}/news/{article_id(n)}" for n in (4, 3, 2, 1)
    ]
    news = urls[0].find("news:news", NS)
    assert news is not None
    assert news.findtext("news:publication/news:name", namespaces=NS) == "경북신문"
    assert news.findtext("news:publication/news:language", namespaces=NS) == "ko"
    assert news.findtext("news:title", namespaces=NS) == "포항시 기사 4 판 1"
    assert news.findtext("news:keywords", namespaces=NS) == "포항"
    published = news.findtext("news:publication_date", namespaces=NS)
    assert published == (NOW - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_news_sitemap_stops_at_its_limit(
    site: tuple[TestClient, RenderData],  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, data = site
    await publish_recent(data)
    assert sitemaps.NEWS_LIMIT == 1000
    monkeypatch.setattr(sitemaps, "NEWS_LIMIT", 2)  # 1,000 articles would only make it slow
    root = ET.fromstring(await (await client.get("/news-sitemap.xml")).read())
    assert [u.findtext("s:loc", namespaces=NS) for u in root.findall("s:url", NS)] == [
        f"{SITE}/news/{article_id(n)}" for n in (4, 3)
    ]


async def test_robots_txt(site: tuple[TestClient, RenderData]) -> None:  # type: ignore[type-arg]
    client, _ = site
    response = await client.get("/robots.txt")
    text = await response.text()
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "User-agent: *" in text and "Disallow: /api/" in text and "Disallow: /write" in text
    assert f"Sitemap: {SITE}/sitemap.xml" in text
    assert f"Sitemap: {SITE}/news-sitemap.xml" in text
