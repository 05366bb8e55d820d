"""Comments (one level of replies) and 추천 votes (once per member)."""

from __future__ import annotations

from typing import Any

from shared.ports.storage import Collection, DocumentStorage, DuplicateKeyError, IndexSpec
from shared.schemas.boards import BoardComment


class AlreadyVotedError(Exception):
    pass


class CommentStore:
    def __init__(self, comments: Collection, votes: Collection) -> None:
        self._comments = comments
        self._votes = votes

    @classmethod
    async def open(cls, storage: DocumentStorage) -> CommentStore:
        comments = await storage.collection("comments", [IndexSpec(("post_id", "created_at"))])
        return cls(comments, await storage.collection("votes"))

    async def add(self, comment: BoardComment) -> None:
        doc = comment.model_dump(mode="json")
        doc["_id"] = doc.pop("comment_id")
        await self._comments.insert(doc)

    async def get(self, comment_id: str) -> BoardComment | None:
        doc = await self._comments.get(comment_id)
        return None if doc is None else _comment(doc)

    async def thread(self, post_id: str) -> list[dict[str, Any]]:
        """Top-level comments oldest first, each with its replies oldest first."""
        docs = await self._comments.find({"post_id": post_id}, sort=[("created_at", 1)])
        top: list[dict[str, Any]] = []
        by_id: dict[str, dict[str, Any]] = {}
        for doc in docs:
            item = {**_comment(doc).model_dump(mode="json"), "replies": []}
            if item["parent_id"] is None:
                top.append(item)
                by_id[item["comment_id"]] = item
            elif item["parent_id"] in by_id:
                by_id[item["parent_id"]]["replies"].append(item)
        return top

    async def vote(self, post_id: str, member_id: str) -> None:
        """Record a member's 추천 (the primary key makes it once per member, atomically)."""
        try:
            await self._votes.insert({"_id": f"{post_id}:{member_id}", "post_id": post_id})
        except DuplicateKeyError as exc:
            raise AlreadyVotedError(post_id) from exc


def _comment(doc: dict[str, Any]) -> BoardComment:
    fields = {k: v for k, v in doc.items() if k != "_id"}
    return BoardComment.model_validate({**fields, "comment_id": doc["_id"]})
