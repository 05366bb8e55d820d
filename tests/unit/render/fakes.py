"""In-memory read models with the interfaces render's pages read (fakes over mocks)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.render.app import add_page_routes
from services.render.deps import RENDER, RenderDeps
from services.render.models import ArticleCard, ArticlePage, PostCard, PostPage, RankedArticle
from services.render.read_models import card_of
from services.render.search_client import SearchClient
from services.render.settings import RenderSettings
from services.render.templating import make_environment
from shared.auth import VERIFIER
from shared.schemas import Article
from shared.schemas.boards import Role
from shared.sessions import SessionSigner, SessionVerifier
from shared.web import base_application

ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]
PUBLIC = "https://news.example.kr"


@dataclass
class FakeArticles:
    pages: dict[str, ArticlePage] = field(default_factory=dict)

    def add(self, article: Article, retracted: bool = False) -> None:
        self.pages[article.article_id] = ArticlePage(article, retracted)

    def _listed(self, section: str | None) -> list[ArticleCard]:
        cards = [card_of(p.article) for p in self.pages.values() if not p.retracted]
        cards = [c for c in cards if section is None or c.section == section]
        return sorted(cards, key=lambda c: c.published_at, reverse=True)

    async def page(self, article_id: str) -> ArticlePage | None:
        return self.pages.get(article_id)

    async def latest(
        self, limit: int = 15, offset: int = 0, section: str | None = None
    ) -> list[ArticleCard]:
        return self._listed(section)[offset : offset + limit]

    async def count(self, section: str | None = None) -> int:
        return len(self._listed(section))

    async def last_edited(self) -> datetime | None:
        times = [p.article.updated_at or p.article.published_at for p in self.pages.values()]
        return max(times, default=None)


@dataclass
class FakeBoards:
    pages: dict[str, PostPage] = field(default_factory=dict)

    def _cards(self, board: str) -> list[PostCard]:
        cards = [
            PostCard(
                p.post.post_id,
                p.post.board,
                p.post.title,
                p.post.author_nick,
                p.post.created_at,
                p.post.pinned,
                len(p.comments),
            )
            for p in self.pages.values()
            if p.post.board == board
        ]
        return sorted(cards, key=lambda c: (c.pinned, c.created_at), reverse=True)

    async def posts(self, board: str, page: int = 1, size: int = 20) -> tuple[list[PostCard], int]:
        cards = self._cards(board)
        return cards[(page - 1) * size : page * size], len(cards)

    async def post(self, post_id: str) -> PostPage | None:
        return self.pages.get(post_id)

    async def latest(self, board: str, limit: int = 5) -> list[PostCard]:
        return self._cards(board)[:limit]


@dataclass
class FakeRanking:
    ranked: list[RankedArticle] = field(default_factory=list)

    async def top(self, limit: int = 10) -> list[RankedArticle]:
        return self.ranked[:limit]


@dataclass
class Site:
    client: TestClient  # type: ignore[type-arg]
    articles: FakeArticles
    boards: FakeBoards
    ranking: FakeRanking
    views: list[tuple[str, ...]]
    signer: SessionSigner

    def token(self, nickname: str, role: Role) -> str:
        """A member's session cookie value, signed with the key the site verifies with."""
        return self.signer.issue(f"m-{nickname}", nickname, role)[0]

    def changed(self) -> None:
        """The fakes changed behind the page cache's back (the projections would drop it)."""
        self.client.app[RENDER].cache.clear()

    async def html(self, path: str, status: int = 200, **kwargs: Any) -> str:
        response = await self.client.get(path, **kwargs)
        assert response.status == status, (path, response.status)
        assert response.content_type == "text/html"
        return await response.text()


async def make_site(aiohttp_client: ClientFactory, search_url: str = "http://127.0.0.1:9") -> Site:
    articles, boards, ranking = FakeArticles(), FakeBoards(), FakeRanking()
    views: list[tuple[str, ...]] = []

    async def record(article_id: str, section: str, visitor: str, agent: str) -> None:
        views.append((article_id, section, visitor, agent))

    key = Ed25519PrivateKey.generate()
    app = base_application(["render"])
    add_page_routes(app)
    app[VERIFIER] = SessionVerifier(key.public_key())
    app[RENDER] = RenderDeps(
        settings=RenderSettings(render_public_url=PUBLIC, render_site_name="포항신문"),
        templates=make_environment(),
        articles=articles,
        boards=boards,
        most_viewed=ranking,
        search=SearchClient(search_url, timeout_s=2),
        record_view=record,
    )
    signer = SessionSigner(key, timedelta(hours=1))
    return Site(await aiohttp_client(app), articles, boards, ranking, views, signer)
