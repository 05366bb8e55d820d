"""What consumers do first with a record: decode its envelope, or call it poison."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.ports.bus import PoisonRecordError, Record
from shared.schemas import (
    ArticlePublished,
    ArticleRetracted,
    ArticleViewed,
    CommentAdded,
    Envelope,
    Event,
    MemberJoined,
    MemberRoleChanged,
    PostCreated,
    PostHidden,
    PostUpdated,
    UnknownEventError,
    decode_envelope,
)
from shared.topics import TOPICS

KEY_FIELDS: dict[type[Event], str] = {
    ArticleViewed: "article_id",
    PostHidden: "post_id",
    MemberJoined: "member_id",
    MemberRoleChanged: "member_id",
}


def event_key(event: Event) -> str | None:
    """The record key `event` travels under (its topic's `key`), or None for no rule."""
    key: str | None = None
    match event:
        case ArticlePublished() | ArticleRetracted():
            key = event.article.article_id
        case ArticleViewed() | PostHidden() | MemberJoined() | MemberRoleChanged():
            key = getattr(event, KEY_FIELDS[type(event)])
        case PostCreated() | PostUpdated():
            key = event.post.post_id
        case CommentAdded():
            key = event.comment.post_id
    return key


# The event types each registered topic carries; a topic not registered is not checked.
TOPIC_EVENTS: dict[str, tuple[type[Any], ...]] = {t.name: t.values for t in TOPICS if t.enveloped}


def decode_record(record: Record) -> Envelope[Any]:
    """The record's envelope; one that can never be decoded is dead-lettered at once.

    On a registered topic the event must also be one of the topic's types and travel under
    its own key: the key chooses the partition, and per-key order (versions, a post's
    events) holds only if it names the entity the event is about."""
    try:
        envelope = decode_envelope(record.value)
    except (UnknownEventError, ValueError) as exc:
        raise PoisonRecordError("undecodable_event", {"message": str(exc)}) from exc
    types = TOPIC_EVENTS.get(record.topic)
    if types is None:
        return envelope
    if not isinstance(envelope.payload, types):
        raise PoisonRecordError(
            "unexpected_event_type",
            {"type": envelope.type, "expected": sorted(t.event_type for t in types)},
        )
    expected = event_key(envelope.payload)
    if expected is not None and record.key != expected:
        raise PoisonRecordError("key_mismatch", {"expected": expected, "got": record.key})
    return envelope


def decode_batch(
    records: Sequence[Record],
) -> tuple[list[PoisonRecordError | None], list[Envelope[Any]]]:
    """A batch handler's start: per record None or the poison that dead-letters it (what the
    handler returns), and the envelopes of the others, in order."""
    results: list[PoisonRecordError | None] = [None] * len(records)
    envelopes: list[Envelope[Any]] = []
    for i, record in enumerate(records):
        try:
            envelopes.append(decode_record(record))
        except PoisonRecordError as exc:
            results[i] = exc
    return results, envelopes
