"""Ingest's rules, with no I/O: story identity, content fingerprints, what a submission does."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import orjson

from shared.schemas import Article, ArticleStatus, ArticleSubmission

ARTICLE_ID_DIGITS = 16
# A submission's fields an article takes over as they are (named once: reading
# `model_fields` goes through a pydantic property on every access).
CARRIED_FIELDS = tuple(
    name
    for name in ArticleSubmission.model_fields
    if name not in {"status", "published_at", "updated_at"}
)


def article_id_for(source: str, guid: str) -> str:
    """A stable id from `(source, guid)`: digits, so it never collides with a section slug.

    Deterministic, so two racing first submissions of one story agree on the id and the
    store's primary key lets exactly one of them create it.
    """
    digest = hashlib.sha256(f"{source}\x1f{guid}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**ARTICLE_ID_DIGITS).zfill(ARTICLE_ID_DIGITS)


def fingerprint(submission: ArticleSubmission) -> str:
    """What makes two submissions "identical": every editorial field, in canonical JSON."""
    content = submission.model_dump(mode="json", exclude={"updated_at"})
    # Sorted keys, no spaces, UTF-8: byte for byte what json.dumps(sort_keys=True,
    # separators=(",", ":"), ensure_ascii=False) wrote before, so stored fingerprints hold.
    canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    RETRACTED = "retracted"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    article: Article  # the article as it stands after the submission


class RetractionOfUnknownStoryError(ValueError):
    """A retraction names a story ingest never stored."""


def decide(
    current: Article | None,
    current_fingerprint: str | None,
    submission: ArticleSubmission,
    now: datetime,
    digest: str | None = None,
    *,
    article_id: str | None = None,
) -> Decision:
    """What a (clean) submission does to the story it names (`digest`: its fingerprint,
    `article_id`: its `article_id_for`, when the caller has them already)."""
    digest = digest or fingerprint(submission)
    if current is None:
        if submission.status is ArticleStatus.RETRACTED:
            raise RetractionOfUnknownStoryError(f"{submission.source}:{submission.guid}")
        article_id = article_id or article_id_for(submission.source, submission.guid)
        return Decision(Outcome.CREATED, _article(submission, 1, now, None, article_id))
    if digest == current_fingerprint:
        return Decision(Outcome.UNCHANGED, current)
    if submission.status is ArticleStatus.RETRACTED:
        if current.status is ArticleStatus.RETRACTED:
            return Decision(Outcome.UNCHANGED, current)
        retracted = current.model_copy(
            update={"status": ArticleStatus.RETRACTED, "version": current.version + 1,
                    "updated_at": now}
        )  # fmt: skip
        return Decision(Outcome.RETRACTED, retracted)
    return Decision(
        Outcome.UPDATED,
        _article(submission, current.version + 1, now, current, current.article_id),
    )


def _article(
    submission: ArticleSubmission,
    version: int,
    now: datetime,
    previous: Article | None,
    article_id: str,
) -> Article:
    first_published = (
        previous.published_at if previous is not None else (submission.published_at or now)
    )
    # The submission was validated and cleaned: its fields are built into the article as they
    # are (nested images stay the validated models), without validating them a second time.
    fields = {name: getattr(submission, name) for name in CARRIED_FIELDS}
    return Article.model_construct(
        **fields,
        article_id=article_id,
        version=version,
        status=ArticleStatus.PUBLISHED,
        published_at=first_published,
        updated_at=None if previous is None else (submission.updated_at or now),
    )
