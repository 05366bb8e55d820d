"""What render's pages show: plain values built from events, shared by read models and templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.schemas import Article, BoardComment, BoardPost


@dataclass(frozen=True)
class ArticleCard:
    """An article in a list (home blocks, section pages, 최신뉴스, feeds)."""

    article_id: str
    headline: str
    section: str
    published_at: datetime
    updated_at: datetime | None = None
    subhead: str | None = None
    byline: str | None = None
    lead: str = ""  # the body's first plain-text characters
    image_url: str | None = None
    image_alt: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticlePage:
    """One article as its page shows it; `retracted` pages answer 410."""

    article: Article
    retracted: bool = False

    @property
    def card(self) -> ArticleCard:
        a = self.article
        image = a.images[0] if a.images else None
        return ArticleCard(
            article_id=a.article_id,
            headline=a.headline,
            section=a.section,
            published_at=a.published_at,
            updated_at=a.updated_at,
            subhead=a.subhead,
            byline=a.byline,
            image_url=str(image.url) if image else None,
            image_alt=image.alt if image else None,
            tags=tuple(a.tags),
        )


@dataclass(frozen=True)
class RankedArticle:
    """A line of 실시간 많이본 뉴스."""

    article_id: str
    headline: str
    views: int


@dataclass(frozen=True)
class PostCard:
    """A post in a board list."""

    post_id: str
    board: str
    title: str
    author_nick: str
    created_at: datetime
    pinned: bool = False
    comments: int = 0


@dataclass(frozen=True)
class PostPage:
    """A board post with its comments (replies under their parent), from boards.events."""

    post: BoardPost
    comments: tuple[BoardComment, ...] = field(default_factory=tuple)
