"""Ingest's repository: stories (current version + outbox), their versions, API tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from shared.ports.storage import Collection, DocumentStorage, DuplicateKeyError, IndexSpec
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
        return cls(
            article=Article.model_validate(doc["article"]),
            fingerprint=doc["fingerprint"],
            revision=doc["version"],
            outbox=tuple(doc.get("outbox", ())),
        )


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

    async def versions(self, article_id: str) -> list[Article]:
        docs = await self._versions.find({"article_id": article_id}, sort=[("version", 1)])
        return [Article.model_validate(d["article"]) for d in docs]

    async def save(self, previous: Story | None, story: Story) -> bool:
        """Store a new version and its outbox entry; False when another writer came first.

        The version document goes first (an idempotent put), then the story document by
        compare-and-set, which is the commit point: a version whose story write lost is
        overwritten by the winner's identical id or by the next try.
        """
        article = story.article
        await self._versions.put(
            {
                "_id": f"{article.article_id}:{article.version:06d}",
                "article_id": article.article_id,
                "version": article.version,
                "article": story.article_json,
            }
        )
        if previous is None:
            try:
                await self._stories.insert(story.document())
            except DuplicateKeyError:
                return False
            return True
        return await self._stories.compare_and_set(story.document(), previous.revision)

    async def with_pending_events(self, limit: int = 100) -> list[Story]:
        docs = await self._stories.find({"outbox_pending": True}, limit=limit)
        return [Story.from_document(d) for d in docs]

    async def mark_published(self, story: Story, published: int) -> bool:
        """Drop the first `published` outbox entries (compare-and-set on the revision)."""
        remaining = story.outbox[published:]
        updated = {
            **story.document(),
            "version": story.revision + 1,
            "outbox": list(remaining),
            "outbox_pending": bool(remaining),
        }
        return await self._stories.compare_and_set(updated, story.revision)
