"""Ingest's rules: story identity, fingerprints, what a submission does to a story."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.ingest.domain import (
    Outcome,
    RetractionOfUnknownStoryError,
    article_id_for,
    decide,
    fingerprint,
)
from shared.schemas import Article, ArticleStatus, ArticleSubmission

DATA = Path(__file__).parents[2] / "data"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def seed() -> ArticleSubmission:
    return ArticleSubmission.model_validate_json((DATA / "seed_article.json").read_text("utf-8"))


def test_article_ids_are_stable_digits_per_source_and_guid() -> None:
    first = article_id_for("newsroom", "dev-0001")
    assert first == article_id_for("newsroom", "dev-0001")
    assert first.isdigit() and len(first) == 16
    assert first != article_id_for("경북통신", "dev-0001")
    assert first != article_id_for("newsroom", "dev-0002")


def test_the_fingerprint_ignores_updated_at_but_not_content(seed: ArticleSubmission) -> None:
    assert fingerprint(seed) == fingerprint(seed.model_copy(update={"updated_at": LATER}))
    assert fingerprint(seed) != fingerprint(seed.model_copy(update={"headline": "고친 제목"}))
    assert fingerprint(seed) != fingerprint(seed.model_copy(update={"tags": ["포항시"]}))


def test_a_new_story_becomes_version_one(seed: ArticleSubmission) -> None:
    decision = decide(None, None, seed, NOW)
    assert decision.outcome is Outcome.CREATED
    article = decision.article
    assert (article.version, article.status) == (1, ArticleStatus.PUBLISHED)
    assert article.published_at == seed.published_at
    assert article.updated_at is None
    assert article.article_id == article_id_for("newsroom", seed.guid)


def test_an_identical_resubmission_changes_nothing(seed: ArticleSubmission) -> None:
    first = decide(None, None, seed, NOW).article
    again = decide(first, fingerprint(seed), seed, LATER)
    assert again.outcome is Outcome.UNCHANGED
    assert again.article == first


def test_changed_content_makes_the_next_version(seed: ArticleSubmission) -> None:
    first = decide(None, None, seed, NOW).article
    changed = seed.model_copy(update={"headline": "포항시, 플랫폼시티 추진 (수정)"})
    decision = decide(first, fingerprint(seed), changed, LATER)
    assert decision.outcome is Outcome.UPDATED
    assert (decision.article.version, decision.article.updated_at) == (2, LATER)
    assert decision.article.published_at == first.published_at  # first publication time stays
    assert decision.article.article_id == first.article_id


def test_a_retraction_withdraws_the_story_once(seed: ArticleSubmission) -> None:
    first = decide(None, None, seed, NOW).article
    retraction = seed.model_copy(update={"status": ArticleStatus.RETRACTED})
    decision = decide(first, fingerprint(seed), retraction, LATER)
    assert decision.outcome is Outcome.RETRACTED
    assert (decision.article.status, decision.article.version) == (ArticleStatus.RETRACTED, 2)
    assert decision.article.headline == first.headline
    again = decide(decision.article, fingerprint(retraction), retraction, LATER)
    assert again.outcome is Outcome.UNCHANGED


def test_retracting_an_unknown_story_is_refused(seed: ArticleSubmission) -> None:
    with pytest.raises(RetractionOfUnknownStoryError):
        decide(None, None, seed.model_copy(update={"status": ArticleStatus.RETRACTED}), NOW)


def test_the_fingerprint_is_the_sha256_of_canonical_json(seed: ArticleSubmission) -> None:
    # Stored stories keep the fingerprints the json module made: the bytes must not change.
    content = seed.model_dump(mode="json", exclude={"updated_at"})
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert fingerprint(seed) == hashlib.sha256(canonical.encode()).hexdigest()


def test_a_decided_article_is_a_valid_article(seed: ArticleSubmission) -> None:
    created = decide(None, None, seed, NOW).article
    assert Article.model_validate(created.model_dump()) == created  # built without revalidation
    changed = seed.model_copy(update={"headline": "고친 제목"})
    updated = decide(created, fingerprint(seed), changed, LATER).article
    assert Article.model_validate(updated.model_dump(mode="json")) == updated
    assert (updated.version, updated.updated_at) == (2, LATER)
    assert updated.published_at == created.published_at
