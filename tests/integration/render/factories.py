"""Articles, posts and comments as render receives them in events (test data builders)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.schemas import Article, ArticleStatus, BoardComment, BoardPost

T0 = datetime(2026, 9, 2, 1, 15, tzinfo=UTC)


def article_id(n: int) -> str:
    return f"{2026090200000000 + n:016d}"


def article(n: int, version: int = 1, section: str = "pohang", **extra: Any) -> Article:
    fields: dict[str, Any] = {
        "article_id": article_id(n),
        "guid": f"dev-{n:04d}",
        "source": "newsroom",
        "version": version,
        "status": ArticleStatus.PUBLISHED,
        "headline": f"포항시 기사 {n} 판 {version}",
        "section": section,
        "byline": "강동진 기자",
        "body_html": f"<p>포항시는 {n}번째 소식을 전했다.</p><p>둘째 문단.</p>",
        "published_at": T0 + timedelta(minutes=n),
        "updated_at": None if version == 1 else T0 + timedelta(minutes=n, hours=version),
    }
    return Article.model_validate(fields | extra)


def post(n: int, board: str = "free", version: int = 1, **extra: Any) -> BoardPost:
    fields: dict[str, Any] = {
        "post_id": f"p{n:04d}",
        "board": board,
        "title": f"자유게시판 글 {n} 판 {version}",
        "body_text": "본문입니다.",
        "author_id": "m0001",
        "author_nick": "포항사람",
        "created_at": T0 + timedelta(minutes=n),
        "version": version,
    }
    return BoardPost.model_validate(fields | extra)


def comment(n: int, post_id: str, parent_id: str | None = None, minute: int = 0) -> BoardComment:
    return BoardComment(
        comment_id=f"c{n:04d}",
        post_id=post_id,
        parent_id=parent_id,
        board="free",
        body_text=f"댓글 {n}",
        author_id="m0002",
        author_nick="영일만",
        created_at=T0 + timedelta(hours=1, minutes=minute or n),
    )
