"""Taking a submission in: validate, clean, decide, store with its event, publish.

HTTP, the partner topic and the backfill all go through `Ingestor.submit`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError

from services.ingest.domain import (
    Decision,
    Outcome,
    RetractionOfUnknownStoryError,
    article_id_for,
    decide,
    fingerprint,
)
from services.ingest.outbox import OutboxRelay
from services.ingest.sanitize import clean_submission
from services.ingest.store import ArticleStore, Story
from shared.errors import ServiceError, validation_details
from shared.schemas import (
    ArticlePublished,
    ArticleRetracted,
    ArticleSubmission,
    Envelope,
    TraceContext,
)
from shared.schemas.articles import MAX_BODY_BYTES

MAX_SAVE_ATTEMPTS = 20
log = structlog.get_logger("sinmun.ingest")


@dataclass(frozen=True)
class Receipt:
    article_id: str
    version: int
    status: str
    outcome: Outcome

    def body(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "version": self.version,
            "status": self.status,
            "outcome": self.outcome.value,
        }


def parse_submission(document: Mapping[str, Any]) -> ArticleSubmission:
    """Validate a submission; ServiceError 413 for an oversize body, 422 with field paths."""
    body = document.get("body_html")
    if isinstance(body, str) and len(body.encode()) > MAX_BODY_BYTES:
        raise ServiceError(
            413, "payload_too_large", f"body_html is larger than {MAX_BODY_BYTES} bytes",
            [{"field": "body_html", "message": "too large", "type": "too_large"}],
        )  # fmt: skip
    try:
        return ArticleSubmission.model_validate(document)
    except ValidationError as exc:
        raise ServiceError(
            422, "invalid_submission", "the submission does not match the schema",
            validation_details(exc),
        ) from exc  # fmt: skip


class Ingestor:
    def __init__(
        self,
        store: ArticleStore,
        relay: OutboxRelay,
        sections: Mapping[str, str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._relay = relay
        self._sections = sections
        self._clock = clock

    async def submit(
        self, submission: ArticleSubmission, trace: TraceContext | None = None
    ) -> Receipt:
        clean = clean_submission(submission)
        if clean.section not in self._sections:
            raise ServiceError(
                422, "unknown_section", f"section {clean.section!r} is not one of this paper's",
                [{"field": "section", "message": f"one of {sorted(self._sections)}",
                  "type": "enum"}],
            )  # fmt: skip
        digest = fingerprint(clean)
        for _ in range(MAX_SAVE_ATTEMPTS):
            # The id derives from (source, guid): a primary-key read, fast on every backend.
            current = await self._store.story(article_id_for(clean.source, clean.guid))
            decision = self._decide(current, clean, digest)
            receipt = Receipt(
                decision.article.article_id,
                decision.article.version,
                decision.article.status.value,
                decision.outcome,
            )
            if decision.outcome is Outcome.UNCHANGED:
                return receipt
            outbox = (*(current.outbox if current else ()), self._event(decision, trace))
            story = Story(
                decision.article, digest, (current.revision + 1) if current else 1, outbox
            )
            if await self._store.save(current, story):
                try:
                    await self._relay.flush(story.article.article_id, story)
                except Exception as exc:  # stored; the relay's sweep publishes it later
                    log.warning("publish_deferred", article_id=receipt.article_id, error=repr(exc))
                    self._relay.request_sweep()
                return receipt
        raise ServiceError(409, "conflict", "the story is being changed concurrently; try again")

    def _decide(self, current: Story | None, clean: ArticleSubmission, digest: str) -> Decision:
        try:
            return decide(
                current.article if current else None,
                current.fingerprint if current else None,
                clean,
                self._clock(),
                digest,
            )
        except RetractionOfUnknownStoryError as exc:
            raise ServiceError(
                404, "unknown_story", f"cannot retract {exc}: no such story",
                [{"field": "guid", "message": "no stored story", "type": "not_found"}],
            ) from exc  # fmt: skip

    @staticmethod
    def _event(decision: Decision, trace: TraceContext | None) -> str:
        event: ArticlePublished | ArticleRetracted
        if decision.outcome is Outcome.RETRACTED:
            event = ArticleRetracted(article=decision.article)
        else:
            event = ArticlePublished(article=decision.article)
        return Envelope.wrap(event, "ingest", trace).model_dump_json()
