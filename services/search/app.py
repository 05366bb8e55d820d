"""Search: the Korean search projection of `articles.published`, and its HTTP API."""

from __future__ import annotations

import asyncio

from aiohttp import web

from services.search import api
from services.search.analysis import KiwiAnalyzer, user_words
from services.search.indexer import ArticleIndexer
from shared.adapters.engine_client import engine_client
from shared.adapters.engine_search import EngineSearchIndex
from shared.adapters.sqlite_search import SqliteSearchIndex
from shared.ports.search import SearchIndex
from shared.service import Infrastructure
from shared.settings import Mode, SearchEngine, SinmunSettings
from shared.topics import ARTICLES_PUBLISHED
from shared.web import PROBES

CONSUMER_GROUP = "search"


def open_index(settings: SinmunSettings) -> SearchIndex:
    """The configured index: SQLite FTS5 under the data dir (always, when embedded), or the
    engine at search_url."""
    if settings.mode is Mode.EMBEDDED or settings.search_engine is SearchEngine.LOCAL:
        return SqliteSearchIndex(settings.data_dir / "search.sqlite3")
    client = engine_client(settings.search_engine.value, settings.search_url)
    return EngineSearchIndex(
        client,
        alias=f"{settings.search_index_prefix}sinmun-articles".lower(),
        user_words=user_words(),
    )


class SearchService:
    name = "search"

    def __init__(self) -> None:
        self.index: SearchIndex | None = None

    def add_routes(self, app: web.Application) -> None:
        api.add_routes(app)

    async def start(self, infra: Infrastructure, app: web.Application) -> None:
        self.index = open_index(infra.settings)
        await self.index.ensure()
        app[PROBES][f"{self.name}.index"] = self.index.ping
        # Loading Kiwi's model takes about a second: off the event loop.
        analyzer = await asyncio.to_thread(KiwiAnalyzer)
        app[api.DEPS] = api.SearchDeps(self.index, analyzer, dict(infra.settings.sections))
        indexer = ArticleIndexer(self.index, analyzer)
        await infra.consume(ARTICLES_PUBLISHED.name, CONSUMER_GROUP, indexer.on_published)

    async def stop(self) -> None:
        if self.index is not None:
            await self.index.close()
