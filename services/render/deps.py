"""What render's pages need, in one value the app holds (`request.app[RENDER]`).

The read models are described by the protocols below, so pages, feeds and tests depend on what
a page asks for, not on how a read model stores it (SQLite or MongoDB through the storage port).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import jinja2
from aiohttp import web

from services.render.models import ArticleCard, ArticlePage, PostCard, PostPage, RankedArticle
from services.render.page_cache import PageCache
from services.render.search_client import SearchClient
from services.render.settings import RenderSettings


class ArticleReads(Protocol):
    async def page(self, article_id: str) -> ArticlePage | None: ...

    async def latest(
        self, limit: int = 15, offset: int = 0, section: str | None = None
    ) -> list[ArticleCard]: ...

    async def count(self, section: str | None = None) -> int: ...

    async def last_edited(self) -> datetime | None: ...


class BoardReads(Protocol):
    async def posts(
        self, board: str, page: int = 1, size: int = 20
    ) -> tuple[list[PostCard], int]: ...

    async def post(self, post_id: str) -> PostPage | None: ...

    async def latest(self, board: str, limit: int = 5) -> list[PostCard]: ...


class MostViewed(Protocol):
    async def top(self, limit: int = 10) -> list[RankedArticle]: ...


ViewRecorder = Callable[[str, str, str, str], Awaitable[None]]
"""record_view(article_id, section, visitor_id, user_agent): counts a view (bots excluded)."""


async def no_views(article_id: str, section: str, visitor_id: str, user_agent: str) -> None:
    """A recorder that counts nothing (tests of pages alone)."""


@dataclass
class RenderDeps:
    settings: RenderSettings
    templates: jinja2.Environment
    articles: ArticleReads
    boards: BoardReads
    most_viewed: MostViewed
    search: SearchClient
    cache: PageCache = field(default_factory=PageCache)
    record_view: ViewRecorder = no_views


RENDER = web.AppKey("render", RenderDeps)
