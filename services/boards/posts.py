"""Posts of the community boards: stored by id, listed pinned-first then newest-first.

A post document's `version` is its storage revision (the compare-and-set field: counters of
views, votes and comments change it); the post's own content version is `post_version`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from shared.ports.storage import Collection, DocumentStorage, IndexSpec
from shared.schemas.boards import BoardPost

COUNTERS = ("views", "votes", "comments")
MAX_TRIES = 20


def new_id(now: datetime) -> str:
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
        await self._posts.insert(_document(post))

    async def get(self, post_id: str) -> tuple[BoardPost, dict[str, Any]] | None:
        doc = await self._posts.get(post_id)
        return None if doc is None else (_post(doc), counters(doc))

    async def page(
        self, board: str, offset: int, size: int
    ) -> tuple[int, list[tuple[BoardPost, dict[str, Any]]]]:
        where = {"board": board, "hidden": False}
        total = await self._posts.count(where)
        docs = await self._posts.find(
            where, sort=[("pinned", -1), ("created_at", -1)], limit=size, skip=offset
        )
        return total, [(_post(d), counters(d)) for d in docs]

    async def bump(self, post_id: str, counter: str, by: int = 1) -> bool:
        """Add to a post's counter (compare-and-set, retried); False if the post is gone."""
        for _ in range(MAX_TRIES):
            doc = await self._posts.get(post_id)
            if doc is None:
                return False
            changed = {**doc, counter: doc.get(counter, 0) + by, "version": doc["version"] + 1}
            if await self._posts.compare_and_set(changed, doc["version"]):
                return True
        raise RuntimeError(f"post {post_id} is changing too fast to count")


def counters(doc: dict[str, Any]) -> dict[str, Any]:
    return {name: int(doc.get(name, 0)) for name in COUNTERS} | {"hidden": doc.get("hidden")}


def _document(post: BoardPost) -> dict[str, Any]:
    doc = post.model_dump(mode="json")
    doc["_id"] = doc.pop("post_id")
    doc["post_version"] = doc.pop("version")
    doc.update({"version": 1, "hidden": False, "views": 0, "votes": 0, "comments": 0})
    return doc


def _post(doc: dict[str, Any]) -> BoardPost:
    fields = {k: v for k, v in doc.items() if k in BoardPost.model_fields and k != "version"}
    return BoardPost.model_validate(
        {**fields, "post_id": doc["_id"], "version": doc.get("post_version", 1)}
    )


def now() -> datetime:
    return datetime.now(UTC)
