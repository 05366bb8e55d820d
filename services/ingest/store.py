"""Ingest's repository: stories (the current version), their versions, the outbox of events."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import orjson

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


def event_id_of(raw: str) -> str:
    """The `event_id` of a serialised envelope (`envelope_json` writes it first)."""
    if raw.startswith(EVENT_ID_HEAD) and raw[EVENT_ID_END : EVENT_ID_END + 2] == '",':
        return raw[len(EVENT_ID_HEAD) : EVENT_ID_END]
    return str(orjson.loads(raw)["event_id"])


EVENT_ID_HEAD = '{"event_id":"'
EVENT_ID_END = len(EVENT_ID_HEAD) + 36  # a UUID's text


@dataclass(frozen=True)
class Story:
    """One story as stored: its current article, the fingerprint of the submission that made
    it, the document's revision (for compare-and-set), the ids of the events of every version
    it stored (`events`), and the events to publish (`outbox`: the new version's event when
    just saved; the pending ones when read back by the sweep).

    The events themselves wait in the `outbox` collection, one document each, written before
    the story: the story write is the commit point, and an outbox entry counts only while its
    story lists its id. `legacy_outbox`: a story written before the outbox collection, whose
    pending events are still inside its document."""

    article: Article
    fingerprint: str
    revision: int
    outbox: tuple[str, ...] = field(default_factory=tuple)
    events: tuple[str, ...] = field(default_factory=tuple)
    legacy_outbox: bool = False

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
            "events": list(self.events),
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Story:
        legacy = bool(doc.get("outbox_pending"))
        story = cls(
            article=Article.model_validate(doc["article"]),
            fingerprint=doc["fingerprint"],
            revision=doc["version"],
            outbox=tuple(doc.get("outbox", ())) if legacy else (),
            events=tuple(doc.get("events", ())),
            legacy_outbox=legacy,
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

    def outbox_documents(self) -> list[dict[str, Any]]:
        """This save's events as outbox entries."""
        return [
            {"_id": event_id_of(raw), "article_id": self.article.article_id,
             "revision": self.revision, "event": raw}
            for raw in self.outbox
        ]  # fmt: skip


class ArticleStore:
    def __init__(
        self,
        storage: DocumentStorage,
        stories: Collection,
        versions: Collection,
        outbox: Collection,
    ) -> None:
        self._storage = storage
        self._stories = stories
        self._versions = versions
        self._outbox = outbox

    @classmethod
    async def open(cls, storage: DocumentStorage) -> ArticleStore:
        stories = await storage.collection(
            "stories",
            # outbox_pending: stories written before the outbox collection (legacy_outbox)
            [IndexSpec(("source", "guid"), unique=True), IndexSpec(("outbox_pending",))],
        )
        versions = await storage.collection("versions", [IndexSpec(("article_id", "version"))])
        # Kept small (entries go once published), so it needs no index beyond `_id`.
        outbox = await storage.collection("outbox")
        return cls(storage, stories, versions, outbox)

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
        """Store a new version and its event; False when another writer came first."""
        return (await self.save_many([(previous, story)]))[0]

    async def save_many(self, changes: list[tuple[Story | None, Story]]) -> list[bool]:
        """Store new versions, each with its events (`story.outbox`, whose ids `story.events`
        lists); per change, False when another writer came first.

        The story document holds the current version, so a new story is one insert. A
        change to a stored story first files the version it replaces in the history (an
        idempotent put of what is already stored). The events go to the outbox before the
        stories (`write_in_order`: one transaction on SQLite): the story write (insert, or
        compare-and-set) is the commit point, and an entry whose story does not list it is
        no event (the entries of a lost write are deleted at once; a crash's are found by
        the sweep).
        """
        superseded: list[WriteOp] = [
            Put(prev.version_document()) for prev, _ in changes if prev is not None
        ]
        # An entry left by an earlier try of the same event (a duplicate) counts as written.
        entries: list[WriteOp] = [Insert(d) for _, new in changes for d in new.outbox_documents()]
        ops: list[WriteOp] = [
            Insert(new.document()) if prev is None else CompareAndSet(new.document(), prev.revision)
            for prev, new in changes
        ]
        # In this order, and on SQLite in one transaction.
        *_, results = await self._storage.write_in_order(
            [(self._versions, superseded), (self._outbox, entries), (self._stories, ops)]
        )
        won = [r is WriteResult.OK for r in results]
        lost = [
            event_id_of(raw) for (_, new), ok in zip(changes, won, strict=True) if not ok
            for raw in new.outbox
        ]  # fmt: skip
        if lost:
            await self._outbox.delete_many(lost)
        return won

    async def with_pending_events(self, limit: int = 100) -> list[Story]:
        """Stories with events to publish, each with them in order (`outbox`). Entries whose
        story moved past them without listing them (a write that lost, or died before its
        story was written) are deleted; those whose story may still be on its way stay."""
        entries = await self._outbox.find(limit=limit)
        by_story: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            by_story.setdefault(entry["article_id"], []).append(entry)
        stories = await self.stories(list(by_story)) if by_story else {}
        pending: list[Story] = []
        orphans: list[str] = []
        for article_id, its in by_story.items():
            story = stories.get(article_id)
            listed = set(story.events) if story is not None else set()
            valid = sorted((e for e in its if e["_id"] in listed), key=lambda e: e["revision"])
            orphans += [
                e["_id"] for e in its
                if e["_id"] not in listed and story is not None and story.revision >= e["revision"]
            ]  # fmt: skip
            if story is not None and valid:
                pending.append(replace(story, outbox=tuple(e["event"] for e in valid)))
        if orphans:
            await self._outbox.delete_many(orphans)
        legacy = await self._stories.find({"outbox_pending": True}, limit=limit)
        return pending + [Story.from_document(d) for d in legacy]

    async def pending_for(self, stories: list[Story]) -> list[Story]:
        """These stories with every event of theirs still waiting, oldest first: an earlier
        version's event a crash left behind goes out before the new one (one key, in order)."""
        updated = [s.article.article_id for s in stories if s.revision > 1]
        if not updated:
            return stories
        waiting: dict[str, list[dict[str, Any]]] = {}
        for entry in await self._outbox.find({"article_id": {"$in": updated}}):
            waiting.setdefault(entry["article_id"], []).append(entry)
        out: list[Story] = []
        for story in stories:
            listed = set(story.events)
            older = sorted(
                (e for e in waiting.get(story.article.article_id, ())
                 if e["_id"] in listed and e["event"] not in story.outbox),
                key=lambda e: e["revision"],
            )  # fmt: skip
            out.append(replace(story, outbox=(*(e["event"] for e in older), *story.outbox)))
        return out

    async def mark_published(self, stories: list[tuple[Story, int]]) -> list[bool]:
        """Drop each story's first `n` events from the outbox (one delete for all); per story,
        False when it changed meanwhile (a legacy story's compare-and-set lost: re-read it)."""
        published = [
            event_id_of(raw) for story, n in stories if not story.legacy_outbox
            for raw in story.outbox[:n]
        ]  # fmt: skip
        if published:
            await self._outbox.delete_many(published)
        legacy = [(story, n) for story, n in stories if story.legacy_outbox]
        marked = iter(await self._mark_legacy(legacy) if legacy else [])
        return [next(marked) if story.legacy_outbox else True for story, _ in stories]

    async def _mark_legacy(self, stories: list[tuple[Story, int]]) -> list[bool]:
        ops: list[WriteOp] = []
        for story, published in stories:
            remaining = story.outbox[published:]
            updated = {
                **story.document(),
                "version": story.revision + 1,
                "events": [event_id_of(raw) for raw in remaining],
                "outbox": list(remaining),
                "outbox_pending": bool(remaining),
            }
            ops.append(CompareAndSet(updated, story.revision))
        return [r is WriteResult.OK for r in await self._stories.write_many(ops)]
