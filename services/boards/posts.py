"""Posts of the community boards: stored by id, listed pinned-first then newest-first.

A post document's `version` is its storage revision (the compare-and-set field: counters of
views, votes and comments change it); the post's own content version is `post_version`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from services.boards.outbox import queued
from shared.ports.storage import Collection, DocumentStorage, IndexSpec
from shared.schemas.boards import BoardPost

COUNTERS = ("views", "votes", "comments", "reports")
SEARCH_SCAN = 5000  # the newest posts a title search looks through
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

    async def create(self, post: BoardPost, *events: dict[str, str]) -> dict[str, Any]:
        """Store a new post, with the events announcing it in its outbox; the document."""
        doc = _document(post) | queued({}, *events)
        await self._posts.insert(doc)
        return doc

    async def get(self, post_id: str) -> tuple[BoardPost, dict[str, Any]] | None:
        doc = await self._posts.get(post_id)
        return None if doc is None else (post_of(doc), counters(doc))

    async def page(
        self, board: str, offset: int, size: int, hidden: bool = False
    ) -> tuple[int, list[tuple[BoardPost, dict[str, Any]]]]:
        where = {"board": board, "hidden": hidden}
        total = await self._posts.count(where)
        docs = await self._posts.find(
            where, sort=[("pinned", -1), ("created_at", -1)], limit=size, skip=offset
        )
        return total, [(post_of(d), counters(d)) for d in docs]

    async def bump(self, post_id: str, counter: str, by: int = 1) -> bool:
        """Add to a post's counter; False if the post is gone."""
        changed = await self.change(post_id, lambda d: {counter: d.get(counter, 0) + by})
        return changed is not None

    async def change(
        self, post_id: str, update: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> dict[str, Any] | None:
        """Apply `update(doc)` (the fields to change, or None to change nothing) by
        compare-and-set, retried; the new document, or None if the post is gone or unchanged."""
        for _ in range(MAX_TRIES):
            doc = await self._posts.get(post_id)
            if doc is None:
                return None
            fields = update(doc)
            if fields is None:
                return None
            changed = {**doc, **fields, "version": doc["version"] + 1}
            if await self._posts.compare_and_set(changed, doc["version"]):
                return changed
        raise RuntimeError(f"post {post_id} is changing too fast")

    async def search(
        self, board: str, q: str, by: str, offset: int, size: int
    ) -> tuple[int, list[tuple[BoardPost, dict[str, Any]]]]:
        """A page of a board's posts whose title contains `q` (case-insensitive, among the
        newest SEARCH_SCAN) or whose author is `q`, newest first, and how many match."""
        if by == "author":
            where = {"board": board, "hidden": False, "author_nick": q}
            total = await self._posts.count(where)
            docs = await self._posts.find(where, sort=[("created_at", -1)], limit=size, skip=offset)
            return total, [(post_of(d), counters(d)) for d in docs]
        needle = q.casefold()
        docs = await self._posts.find(
            {"board": board, "hidden": False}, sort=[("created_at", -1)], limit=SEARCH_SCAN
        )
        hits = [d for d in docs if needle in str(d["title"]).casefold()]
        return len(hits), [(post_of(d), counters(d)) for d in hits[offset : offset + size]]


def counters(doc: dict[str, Any]) -> dict[str, Any]:
    return {name: int(doc.get(name, 0)) for name in COUNTERS} | {
        "hidden": bool(doc.get("hidden")), "hidden_reason": doc.get("hidden_reason"),
    }  # fmt: skip


def _document(post: BoardPost) -> dict[str, Any]:
    doc = post.model_dump(mode="json")
    doc["_id"] = doc.pop("post_id")
    doc["post_version"] = doc.pop("version")
    doc.update({"version": 1, "hidden": False, "views": 0, "votes": 0, "comments": 0,
                "reports": 0, "hidden_reason": None})  # fmt: skip
    return doc


def post_of(doc: dict[str, Any]) -> BoardPost:
    fields = {k: v for k, v in doc.items() if k in BoardPost.model_fields and k != "version"}
    return BoardPost.model_validate(
        {**fields, "post_id": doc["_id"], "version": doc.get("post_version", 1)}
    )


def now() -> datetime:
    return datetime.now(UTC)
