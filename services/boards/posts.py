"""Posts of the community boards: stored by id, listed pinned-first then newest-first."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from shared.ports.storage import Collection, DocumentStorage, IndexSpec
from shared.schemas.boards import BoardPost


def new_post_id(now: datetime) -> str:
    """Time-ordered ids (milliseconds, then randomness): newest sorts last by id too."""
    return f"{int(now.timestamp() * 1000):013d}{secrets.token_hex(4)}"


class PostStore:
    def __init__(self, posts: Collection) -> None:
        self._posts = posts

    @classmethod
    async def open(cls, storage: DocumentStorage) -> PostStore:
        posts = await storage.collection(
            "posts", [IndexSpec(("board", "hidden", "pinned", "created_at"))]
        )
        return cls(posts)

    async def create(self, post: BoardPost) -> None:
        await self._posts.insert(_document(post, hidden=False))

    async def get(self, post_id: str) -> tuple[BoardPost, dict[str, Any]] | None:
        doc = await self._posts.get(post_id)
        if doc is None:
            return None
        return _post(doc), doc

    async def page(self, board: str, offset: int, size: int) -> tuple[int, list[BoardPost]]:
        where = {"board": board, "hidden": False}
        total = await self._posts.count(where)
        docs = await self._posts.find(
            where, sort=[("pinned", -1), ("created_at", -1)], limit=size, skip=offset
        )
        return total, [_post(d) for d in docs]


def _document(post: BoardPost, hidden: bool) -> dict[str, Any]:
    doc = post.model_dump(mode="json")
    doc["_id"] = doc.pop("post_id")
    doc.update({"hidden": hidden, "views": 0, "votes": 0, "comments": 0})
    return doc


def _post(doc: dict[str, Any]) -> BoardPost:
    fields = {k: v for k, v in doc.items() if k in BoardPost.model_fields or k == "_id"}
    fields["post_id"] = fields.pop("_id")
    return BoardPost.model_validate(fields)


def now() -> datetime:
    return datetime.now(UTC)
