"""Taking a submission in: validate, clean, decide, store with its event, publish.

HTTP, the partner topic and the backfill all go through `Ingestor.submit`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

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
from services.ingest.store import ArticleStore, Story, event_id_of
from shared.errors import ServiceError, validation_details
from shared.schemas import (
    ArticlePublished,
    ArticleRetracted,
    ArticleStatus,
    ArticleSubmission,
    TraceContext,
)
from shared.schemas.articles import MAX_BODY_BYTES
from shared.schemas.envelope import envelope_json

MAX_SAVE_ATTEMPTS = 20
GROUP_LIMIT = 256  # submissions taken in together by one group submit
# Loop turns a group under load waits for requests still being read to join it (see
# `_gather`): each group costs a write, a relay batch and their thread hand-offs.
GATHER_TURNS = 3


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


@dataclass(frozen=True)
class _Prepared:
    """A submission cleaned and fingerprinted, waiting for its story."""

    index: int
    clean: ArticleSubmission
    digest: str
    article_id: str
    trace: TraceContext | None


Submission = tuple[ArticleSubmission, TraceContext | None]


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
        self._publishing: set[asyncio.Task[None]] = set()
        # Group submit: what arrives while a group is being stored goes in the next one.
        self._grouped: list[tuple[_Prepared, asyncio.Future[Receipt | ServiceError]]] = []
        self._grouping: asyncio.Task[None] | None = None

    async def submit(
        self,
        submission: ArticleSubmission,
        trace: TraceContext | None = None,
        *,
        wait_published: bool = True,
    ) -> Receipt:
        """Take one submission in; see `submit_many`.

        With `wait_published=False` (HTTP) concurrent submissions are taken in together, a
        group commit: the first goes at once, and those that arrive while a group is being
        stored go in the next, with one story read, one write and one publish batch for all.
        Each caller still gets its own receipt or error.
        """
        if wait_published:
            (result,) = await self.submit_many([(submission, trace)])
        else:
            # Cleaned here, while the group before is being stored: the writer and the
            # event loop work side by side, and a refusal answers at once.
            prepared = self._prepare(0, submission, trace)
            future = asyncio.get_running_loop().create_future()
            self._grouped.append((prepared, future))
            if self._grouping is None:
                self._grouping = asyncio.create_task(self._submit_groups(), name="group submit")
            result = await future
        if isinstance(result, ServiceError):
            raise result
        return result

    async def _submit_groups(self) -> None:
        group: list[tuple[_Prepared, asyncio.Future[Receipt | ServiceError]]] = []
        try:
            while self._grouped:
                await self._gather()
                group = self._grouped[:GROUP_LIMIT]
                del self._grouped[:GROUP_LIMIT]
                results: list[Receipt | ServiceError | None] = [None] * len(group)
                todo = [replace(prepared, index=i) for i, (prepared, _) in enumerate(group)]
                try:
                    await self._store_prepared(todo, results, wait_published=False)
                except Exception as exc:  # the store failed: every caller of the group hears it
                    for _, future in group:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(group, results, strict=True):
                    if not future.done() and result is not None:  # else its caller went away
                        future.set_result(result)
        except asyncio.CancelledError:  # shutting down: nobody is left waiting forever
            for _, future in [*group, *self._grouped]:
                future.cancel()
            raise
        finally:
            self._grouping = None

    async def _gather(self) -> None:
        """Under load (more than one submission waiting), let the event loop turn
        GATHER_TURNS times first: requests whose bodies are being read join this group
        instead of making a group of their own. A lone submission (a quiet newsroom) goes at
        once."""
        if 1 < len(self._grouped) < GROUP_LIMIT:
            for _ in range(GATHER_TURNS):
                await asyncio.sleep(0)

    async def publishing_below(self, batches: int) -> None:
        """Return once fewer than `batches` stored batches are still being published: the
        back-pressure of a caller that does not wait for publishing (`wait_published=False`)."""
        while len(self._publishing) >= batches:
            await asyncio.wait(self._publishing, return_when=asyncio.FIRST_COMPLETED)

    async def submit_many(
        self, submissions: Sequence[Submission], *, wait_published: bool = True
    ) -> list[Receipt | ServiceError]:
        """Take many submissions in: their stories read in one query, saved in one write,
        their events published in one relay batch. Per submission, in order, its receipt or
        the ServiceError it earned; submissions of one story apply in the order given.

        Returns once the events are published (or left to the sweep), or with
        `wait_published=False` as soon as versions and events are stored: the outbox
        publishes them exactly once either way.
        """
        results: list[Receipt | ServiceError | None] = [None] * len(submissions)
        todo: list[_Prepared] = []
        for index, (submission, trace) in enumerate(submissions):
            try:
                todo.append(self._prepare(index, submission, trace))
            except ServiceError as exc:
                results[index] = exc
        await self._store_prepared(todo, results, wait_published=wait_published)
        return [r for r in results if r is not None]

    async def _store_prepared(
        self,
        todo: list[_Prepared],
        results: list[Receipt | ServiceError | None],
        *,
        wait_published: bool,
    ) -> None:
        """Store prepared submissions, each one's outcome at its index in `results`."""
        saved: list[Story] = []
        while todo:  # rounds of at most one submission per story, so each sees the one before
            this_round: list[_Prepared] = []
            later: list[_Prepared] = []
            ids: set[str] = set()
            for prepared in todo:
                (later if prepared.article_id in ids else this_round).append(prepared)
                ids.add(prepared.article_id)
            saved += await self._save_round(this_round, results)
            todo = later
        if saved and wait_published:
            await self._relay.publish(saved)
        elif saved:
            task = asyncio.create_task(self._relay.publish(saved))
            self._publishing.add(task)  # a reference, so the task is not collected mid-way
            task.add_done_callback(self._publishing.discard)

    def _prepare(
        self, index: int, submission: ArticleSubmission, trace: TraceContext | None
    ) -> _Prepared:
        clean = clean_submission(submission)
        if clean.section not in self._sections:
            raise ServiceError(
                422, "unknown_section", f"section {clean.section!r} is not one of this paper's",
                [{"field": "section", "message": f"one of {sorted(self._sections)}",
                  "type": "enum"}],
            )  # fmt: skip
        article_id = article_id_for(clean.source, clean.guid)
        return _Prepared(index, clean, fingerprint(clean), article_id, trace)

    async def _save_round(
        self, todo: list[_Prepared], results: list[Receipt | ServiceError | None]
    ) -> list[Story]:
        # A new story needs no read: its insert finds out if it exists after all (then it is
        # read and decided again). Only a retraction must know the story first.
        current: dict[str, Story | None] = {p.article_id: None for p in todo}
        retractions = [p.article_id for p in todo if p.clean.status is ArticleStatus.RETRACTED]
        if retractions:
            current.update(await self._store.stories(retractions))
        saved: list[Story] = []
        for _ in range(MAX_SAVE_ATTEMPTS):
            changes: list[tuple[Story | None, Story]] = []
            waiting: list[tuple[_Prepared, Receipt]] = []
            for prepared in todo:
                outcome = self._change(prepared, current[prepared.article_id])
                if isinstance(outcome, tuple):
                    changes.append(outcome[1])
                    waiting.append((prepared, outcome[0]))
                else:
                    results[prepared.index] = outcome
            won = await self._store.save_many(changes) if changes else []
            todo = []
            for (prepared, receipt), (_, story), ok in zip(waiting, changes, won, strict=True):
                if ok:
                    results[prepared.index] = receipt
                    saved.append(story)
                else:
                    todo.append(prepared)  # another writer came first: read and decide again
            if not todo:
                return saved
            fresh = await self._store.stories([p.article_id for p in todo])
            current.update({p.article_id: fresh.get(p.article_id) for p in todo})
        for prepared in todo:
            results[prepared.index] = ServiceError(
                409, "conflict", "the story is being changed concurrently; try again"
            )
        return saved

    def _change(
        self, prepared: _Prepared, current: Story | None
    ) -> Receipt | ServiceError | tuple[Receipt, tuple[Story | None, Story]]:
        """What the submission does to `current`: a receipt alone (nothing to store), an
        error, or a receipt with the story to save."""
        try:
            decision = self._decide(current, prepared.clean, prepared.digest, prepared.article_id)
        except ServiceError as exc:
            return exc
        article = decision.article
        receipt = Receipt(
            article.article_id, article.version, article.status.value, decision.outcome
        )
        if decision.outcome is Outcome.UNCHANGED:
            return receipt
        article_json = article.model_dump(mode="json")
        event = self._event(decision, article_json, prepared.trace)
        # A story written before the outbox collection may still hold events: they move on
        # to the outbox with this one.
        outbox = (*(current.outbox if current else ()), event)
        events = (*(current.events if current else ()), *map(event_id_of, outbox))
        revision = (current.revision + 1) if current else 1
        story = Story(article, prepared.digest, revision, outbox, tuple(dict.fromkeys(events)))
        story.__dict__["article_json"] = article_json  # one dump for story, event and history
        return receipt, (current, story)

    def _decide(
        self, current: Story | None, clean: ArticleSubmission, digest: str, article_id: str
    ) -> Decision:
        try:
            return decide(
                current.article if current else None,
                current.fingerprint if current else None,
                clean,
                self._clock(),
                digest,
                article_id=article_id,
            )
        except RetractionOfUnknownStoryError as exc:
            raise ServiceError(
                404, "unknown_story", f"cannot retract {exc}: no such story",
                [{"field": "guid", "message": "no stored story", "type": "not_found"}],
            ) from exc  # fmt: skip

    @staticmethod
    def _event(decision: Decision, article_json: dict[str, Any], trace: TraceContext | None) -> str:
        """The event of a new version, from the article as it is stored (dumped once)."""
        if decision.outcome is Outcome.RETRACTED:
            return envelope_json(
                ArticleRetracted, {"article": article_json, "reason": None}, "ingest", trace
            )
        return envelope_json(ArticlePublished, {"article": article_json}, "ingest", trace)
