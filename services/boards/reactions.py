"""What members do with a post: comments (one level of replies), 추천 votes and 신고 reports
(once per member each, by primary key), and views (counted once per viewer per 24 hours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.boards.outbox import queued
from services.boards.text import to_html
from shared.ports.storage import Collection, DocumentStorage, DuplicateKeyError, IndexSpec
from shared.schemas.boards import BoardComment

VIEW_WINDOW = timedelta(hours=24)


class AlreadyVotedError(Exception):
    pass


class AlreadyReportedError(Exception):
    pass


class ReactionStore:
    def __init__(
        self, comments: Collection, votes: Collection, reports: Collection, views: Collection
    ) -> None:
        self._comments = comments
        self._votes = votes
        self._reports = reports
        self._views = views

    @classmethod
    async def open(cls, storage: DocumentStorage) -> ReactionStore:
        comments = await storage.collection("comments", [IndexSpec(("post_id", "created_at"))])
        return cls(
            comments, await storage.collection("votes"), await storage.collection("reports"),
            await storage.collection("views"),
        )  # fmt: skip

    async def add(self, comment: BoardComment, *events: dict[str, str]) -> dict[str, Any]:
        """Store a new comment, with the events announcing it in its outbox; the document."""
        doc = comment.model_dump(mode="json")
        doc["_id"] = doc.pop("comment_id")
        doc |= {"version": 1} | queued({}, *events)
        await self._comments.insert(doc)
        return doc

    async def get(self, comment_id: str) -> BoardComment | None:
        doc = await self._comments.get(comment_id)
        return None if doc is None else _comment(doc)

    async def thread(self, post_id: str) -> list[dict[str, Any]]:
        """Top-level comments oldest first, each with its replies oldest first."""
        docs = await self._comments.find({"post_id": post_id}, sort=[("created_at", 1)])
        top: list[dict[str, Any]] = []
        by_id: dict[str, dict[str, Any]] = {}
        for doc in docs:
            comment = _comment(doc)
            item = {**comment.model_dump(mode="json"), "body_html": to_html(comment.body_text),
                    "replies": []}  # fmt: skip
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

    async def report(self, post_id: str, member_id: str, reason: str) -> None:
        doc = {"_id": f"{post_id}:{member_id}", "post_id": post_id, "reason": reason,
               "at": datetime.now(UTC).isoformat()}  # fmt: skip
        try:
            await self._reports.insert(doc)
        except DuplicateKeyError as exc:
            raise AlreadyReportedError(post_id) from exc

    async def first_view(self, post_id: str, viewer: str) -> bool:
        """True when `viewer` has not viewed the post in the last 24 hours (and record it)."""
        key, now = f"{post_id}:{viewer}", datetime.now(UTC)
        doc = {"_id": key, "at": now.isoformat(), "version": 1}
        seen = await self._views.get(key)  # a read first: repeats are the common case
        if seen is None:
            try:
                await self._views.insert(doc)
                return True
            except DuplicateKeyError:
                return False  # another request recorded this viewer a moment ago
        if now - datetime.fromisoformat(seen["at"]) < VIEW_WINDOW:
            return False
        return await self._views.compare_and_set(
            {**doc, "version": seen["version"] + 1}, seen["version"]
        )


def _comment(doc: dict[str, Any]) -> BoardComment:
    fields = {k: v for k, v in doc.items() if k in BoardComment.model_fields}
    return BoardComment.model_validate({**fields, "comment_id": doc["_id"]})
