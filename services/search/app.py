"""Search: the Korean search projections of `articles.published` and `boards.events`, and
their HTTP API."""

from __future__ import annotations

import asyncio

from aiohttp import web

from services.search import api, openapi
from services.search.analysis import KiwiAnalyzer, user_words
from services.search.indexer import ArticleIndexer
from services.search.posts import PostIndexer
from shared.adapters.engine_client import engine_client
from shared.adapters.engine_search import EngineSearchIndex
from shared.adapters.sqlite_search import SqliteSearchIndex
from shared.openapi import serve_document
from shared.ports.search import SearchIndex
from shared.service import Infrastructure
from shared.settings import Mode, SearchEngine, SinmunSettings
from shared.topics import ARTICLES_PUBLISHED, BOARDS_EVENTS
from shared.web import PROBES

CONSUMER_GROUP = "search"
POSTS_CONSUMER_GROUP = "search-posts"
ARTICLES = "articles"
POSTS = "posts"


def open_index(settings: SinmunSettings, kind: str = ARTICLES) -> SearchIndex:
    """The configured index of articles or of board posts: SQLite FTS5 under the data dir
    (always, when embedded), or the engine at search_url."""
    if kind not in (ARTICLES, POSTS):
        raise ValueError(f"no {kind!r} index; {ARTICLES} or {POSTS}")
    if settings.mode is Mode.EMBEDDED or settings.search_engine is SearchEngine.LOCAL:
        name = "search.sqlite3" if kind == ARTICLES else "search_posts.sqlite3"
        return SqliteSearchIndex(settings.data_dir / name)
    client = engine_client(settings.search_engine.value, settings.search_url)
    return EngineSearchIndex(
        client,
        alias=f"{settings.search_index_prefix}sinmun-{kind}".lower(),
        user_words=user_words(),
    )


class SearchService:
    name = "search"

    def __init__(self) -> None:
        self.index: SearchIndex | None = None
        self.posts: SearchIndex | None = None
        self.analyzer: KiwiAnalyzer | None = None

    def add_routes(self, app: web.Application) -> None:
        api.add_routes(app)
        serve_document(app, self.name, openapi.document)

    async def start(self, infra: Infrastructure, app: web.Application) -> None:
        self.index = open_index(infra.settings)
        await self.index.ensure()
        self.posts = open_index(infra.settings, POSTS)
        await self.posts.ensure()
        app[PROBES][f"{self.name}.index"] = self.index.ping
        app[PROBES][f"{self.name}.posts"] = self.posts.ping
        # Loading Kiwi's model takes about a second: off the event loop.
        analyzer = self.analyzer = await asyncio.to_thread(KiwiAnalyzer)
        app[api.DEPS] = api.SearchDeps(
            self.index, analyzer, dict(infra.settings.sections), posts=self.posts
        )
        indexer = ArticleIndexer(self.index, analyzer)
        await infra.consume(ARTICLES_PUBLISHED.name, CONSUMER_GROUP, indexer.on_published)
        posts = PostIndexer(self.posts, analyzer)
        await infra.consume(BOARDS_EVENTS.name, POSTS_CONSUMER_GROUP, posts.on_board_event)

    async def stop(self) -> None:
        for index in (self.index, self.posts):
            if index is not None:
                await index.close()
        if self.analyzer is not None:
            self.analyzer.close()
