"""Ingest's repository: stories (current version + outbox), their versions, API tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from shared.ports.storage import (
    Collection,
    CompareAndSet,
    DocumentStorage,
    IndexSpec,
    Insert,
    Put,
    WriteOp,
    WriteResult,
)
from shared.schemas import Article


@dataclass(frozen=True)
class Story:
    """One story as stored: its current article, the fingerprint of the submission that made
    it, the document's revision (for compare-and-set) and events not yet published."""

    article: Article
    fingerprint: str
    revision: int
    outbox: tuple[str, ...] = field(default_factory=tuple)

    @cached_property
    def article_json(self) -> dict[str, Any]:
        """The article as stored (dumped once, shared by the story and version documents)."""
        return self.article.model_dump(mode="json")

    def document(self) -> dict[str, Any]:
        return {
            "_id": self.article.article_id,
            "source": self.article.source,
            "guid": self.article.guid,
            "version": self.revision,
            "fingerprint": self.fingerprint,
            "article": self.article_json,
            "outbox": list(self.outbox),
            "outbox_pending": bool(self.outbox),
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Story:
        story = cls(
            article=Article.model_validate(doc["article"]),
            fingerprint=doc["fingerprint"],
            revision=doc["version"],
            outbox=tuple(doc.get("outbox", ())),
        )
        story.__dict__["article_json"] = doc["article"]  # as stored: no second dump
        return story

    def version_document(self) -> dict[str, Any]:
        """The article as one entry of the revision history."""
        article = self.article
        return {
            "_id": f"{article.article_id}:{article.version:06d}",
            "article_id": article.article_id,
            "version": article.version,
            "article": self.article_json,
        }


class ArticleStore:
    def __init__(self, stories: Collection, versions: Collection) -> None:
        self._stories = stories
        self._versions = versions

    @classmethod
    async def open(cls, storage: DocumentStorage) -> ArticleStore:
        stories = await storage.collection(
            "stories",
            [IndexSpec(("source", "guid"), unique=True), IndexSpec(("outbox_pending",))],
        )
        versions = await storage.collection("versions", [IndexSpec(("article_id", "version"))])
        return cls(stories, versions)

    async def story(self, article_id: str) -> Story | None:
        doc = await self._stories.get(article_id)
        return None if doc is None else Story.from_document(doc)

    async def stories(self, article_ids: list[str]) -> dict[str, Story]:
        """Many stories by id in one query (the ones that exist)."""
        if len(article_ids) == 1:
            one = await self.story(article_ids[0])
            return {} if one is None else {article_ids[0]: one}
        docs = await self._stories.find({"_id": {"$in": article_ids}})
        return {d["_id"]: Story.from_document(d) for d in docs}

    async def versions(self, article_id: str) -> list[Article]:
        """Every version, oldest first: the history documents and the story's current one."""
        # The story first: a version saved in between is then either in both or in neither.
        current = await self.story(article_id)
        docs = await self._versions.find({"article_id": article_id}, sort=[("version", 1)])
        by_version = {d["version"]: Article.model_validate(d["article"]) for d in docs}
        if current is not None:
            by_version[current.article.version] = current.article
        return [by_version[v] for v in sorted(by_version)]

    async def save(self, previous: Story | None, story: Story) -> bool:
        """Store a new version and its outbox entry; False when another writer came first."""
        return (await self.save_many([(previous, story)]))[0]

    async def save_many(self, changes: list[tuple[Story | None, Story]]) -> list[bool]:
        """Store new versions (each with its outbox entry); per change, False when another
        writer came first.

        The story document holds the current version, so a new story is one insert. A
        change to a stored story first files the version it replaces in the history (an
        idempotent put of what is already stored), then writes the story by compare-and-set:
        the commit point, which stores the new version and its event in one document.
        """
        superseded = [Put(prev.version_document()) for prev, _ in changes if prev is not None]
        if superseded:
            await self._versions.write_many(superseded)
        ops: list[WriteOp] = [
            Insert(new.document()) if prev is None else CompareAndSet(new.document(), prev.revision)
            for prev, new in changes
        ]
        return [r is WriteResult.OK for r in await self._stories.write_many(ops)]

    async def with_pending_events(self, limit: int = 100) -> list[Story]:
        docs = await self._stories.find({"outbox_pending": True}, limit=limit)
        return [Story.from_document(d) for d in docs]

    async def mark_published(self, stories: list[tuple[Story, int]]) -> list[bool]:
        """Drop each story's first `n` outbox entries (compare-and-set on its revision); per
        story, False when it changed meanwhile (re-read it and try again)."""
        ops: list[WriteOp] = []
        for story, published in stories:
            remaining = story.outbox[published:]
            updated = {
                **story.document(),
                "version": story.revision + 1,
                "outbox": list(remaining),
                "outbox_pending": bool(remaining),
            }
            ops.append(CompareAndSet(updated, story.revision))
        return [r is WriteResult.OK for r in await self._stories.write_many(ops)]
