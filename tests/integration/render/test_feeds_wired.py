"""Feeds and sitemaps in the running platform: an article posted to ingest's API reaches
/rss.xml, a section's Atom feed, /sitemap.xml and /news-sitemap.xml through the events, and a
retraction takes it out again. On both backends (embedded; Kafka + FerretDB)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.bootstrap import create_app
from services.render.settings import RenderSettings
from tests.backends import backend_settings, drop_run_data, reporter_token

ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]
SITE = "https://news.example.kr"
SERVICES = ["ingest", "render"]


@pytest.fixture(params=["embedded", "distributed"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> RenderSettings:
    return backend_settings(
        RenderSettings, request.param, tmp_path,
        consumer_retry_backoff_s=0.01, render_public_url=SITE,
    )  # fmt: skip


@pytest.fixture
async def platform(
    settings: RenderSettings, aiohttp_client: ClientFactory
) -> AsyncIterator[tuple[TestClient, str]]:  # type: ignore[type-arg]
    app = create_app(settings, SERVICES)
    client = await aiohttp_client(app)
    token = await reporter_token(app)
    yield client, token
    await client.close()
    await drop_run_data(settings, SERVICES)


async def until_in(client: TestClient, path: str, needle: str, present: bool = True) -> str:  # type: ignore[type-arg]
    async with asyncio.timeout(30):
        while True:
            response = await client.get(path)
            assert response.status == 200, path
            text = await response.text()
            if (needle in text) is present:
                return text
            await asyncio.sleep(0.05)


async def test_a_published_article_reaches_the_feeds_and_sitemaps(
    platform: tuple[TestClient, str],  # type: ignore[type-arg]
) -> None:
    client, token = platform
    story = {
        "guid": "feed-0001",
        "source": "newsroom",
        "headline": "포항시, 영일만 해상 케이블카 착공",
        "section": "pohang",
        "byline": "강동진 기자",
        "body_html": "<p>포항시가 영일만 해상 케이블카를 착공했다.</p>",
        "published_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }
    auth = {"Authorization": f"Bearer {token}"}
    response = await client.post("/api/articles", json=story, headers=auth)
    assert response.status in (200, 201, 202), await response.text()
    url = f"{SITE}/news/{(await response.json())['article_id']}"

    rss = await until_in(client, "/rss.xml", url)
    assert "포항시, 영일만 해상 케이블카 착공" in rss
    assert url in await until_in(client, "/news/pohang/atom.xml", url)
    assert url not in await until_in(client, "/news/daegu/rss.xml", "<channel>")
    assert url in await until_in(client, "/sitemap.xml", url)
    assert "<news:title>포항시, 영일만 해상 케이블카 착공</news:title>" in await until_in(
        client, "/news-sitemap.xml", url
    )
    robots = await client.get("/robots.txt")
    assert f"Sitemap: {SITE}/news-sitemap.xml" in await robots.text()

    retraction = {**story, "status": "retracted"}
    response = await client.post("/api/articles", json=retraction, headers=auth)
    assert response.status in (200, 201, 202), await response.text()
    await until_in(client, "/rss.xml", url, present=False)
    await until_in(client, "/news-sitemap.xml", url, present=False)
