"""Board posts in search: the consumer of `boards.events` and the posts' index documents.

Posts live in an index of their own (beside the articles', same adapters, same Korean
analysis and ranking), so a busy free board never shifts the articles' BM25 statistics and
`/api/search` keeps answering articles alone. A post is stored in the article fields the
index already knows: title as headline, board as section, the author's nickname as byline,
the creation time as published_at.

Versions: boards publishes PostCreated and PostUpdated with the post, and PostHidden without
a version; a staff restore sends PostUpdated with the post's unchanged version. What orders
a post's events is the topic itself (key `post_id`: one partition, in order), so the index
version of an event is its offset + 1 — a redelivered or replayed event is never newer than
what it already produced, and a restore after a hide is. A rebuild replays the same offsets.
"""

from __future__ import annotations

import structlog

from services.search.analysis import Analyzer
from services.search.documents import analyzed_fields
from shared.ports.bus import Record
from shared.ports.search import (
    SUGGEST_GRAMS,
    SUGGEST_KEYS,
    IndexDocument,
    SearchIndex,
)
from shared.records import decode_record
from shared.schemas import (
    BoardPost,
    PostCreated,
    PostHidden,
    PostUpdated,
)

log = structlog.get_logger("sinmun.search.posts")


def post_document(post: BoardPost, version: int, analyzer: Analyzer) -> IndexDocument:
    """A post as the index stores it, at the index version `version`."""
    fields: dict[str, object] = {
        "article_id": post.post_id,
        "version": version,
        "headline": post.title,
        "subhead": "",
        "body": post.body_text,
        "byline": post.author_nick,
        "section": post.board,
        "tags": [],
        "published_at": post.created_at.isoformat(),
        "updated_at": post.updated_at.isoformat() if post.updated_at else None,
    }
    texts = {"headline": post.title, "subhead": "", "tags": "", "body": post.body_text}
    fields.update(analyzed_fields(texts, analyzer))
    fields[SUGGEST_KEYS] = []  # suggestions complete article headlines only
    fields[SUGGEST_GRAMS] = ""
    return IndexDocument(post.post_id, version, fields)


def event_version(record: Record) -> int:
    """The index version of a board event: its place in the post's partition."""
    return record.offset + 1


class PostIndexer:
    def __init__(
        self, index: SearchIndex, analyzer: Analyzer, generation: str | None = None
    ) -> None:
        self._index = index
        self._analyzer = analyzer
        self._generation = generation  # None: the live alias; else a generation being rebuilt

    async def on_board_event(self, record: Record) -> None:
        envelope = decode_record(record)
        event = envelope.payload
        version = event_version(record)
        if isinstance(event, PostCreated | PostUpdated):
            doc = post_document(event.post, version, self._analyzer)
            applied = await self._index.upsert(doc, generation=self._generation)
        elif isinstance(event, PostHidden):
            applied = await self._index.retract(event.post_id, version, self._generation)
        else:
            return  # comments are not searched
        if not applied:
            log.debug("stale_event_skipped", event_id=str(envelope.event_id))
