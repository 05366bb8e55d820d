"""The consumer of `articles.published`: applies each event to the index, idempotently.

The index itself refuses a version older than (or equal to) the stored one, so redelivered,
duplicated or replayed events change nothing; a retraction leaves a versioned tombstone.
"""

from __future__ import annotations

import structlog

from services.search.analysis import Analyzer
from services.search.documents import index_document
from shared.metrics import PUBLISH_TO_INDEX, observe_freshness
from shared.ports.bus import Record
from shared.ports.search import IndexDocument, SearchIndex
from shared.records import decode_record
from shared.schemas import ArticlePublished, ArticleRetracted

log = structlog.get_logger("sinmun.search")


class ArticleIndexer:
    def __init__(
        self, index: SearchIndex, analyzer: Analyzer, generation: str | None = None
    ) -> None:
        self._index = index
        self._analyzer = analyzer
        self._generation = generation  # None: the live alias; else a generation being rebuilt

    async def on_published(self, record: Record) -> None:
        envelope = decode_record(record)
        event = envelope.payload
        if isinstance(event, ArticlePublished):
            doc = index_document(event.article, self._analyzer)
            applied = await self._upsert(doc)
            if applied and self._generation is None:  # live, not a rebuild
                observe_freshness(PUBLISH_TO_INDEX, envelope.occurred_at)
        elif isinstance(event, ArticleRetracted):
            applied = await self._retract(event.article.article_id, event.article.version)
        else:
            return
        if not applied:
            log.debug("stale_event_skipped", event_id=str(envelope.event_id))

    async def _upsert(self, doc: IndexDocument) -> bool:
        return await self._index.upsert(doc, generation=self._generation)

    async def _retract(self, doc_id: str, version: int) -> bool:
        return await self._index.retract(doc_id, version, generation=self._generation)
