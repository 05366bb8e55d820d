"""Event types by name, and decoding of envelopes read off a topic."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from shared.schemas.articles import ArticlePublished, ArticleRetracted, ArticleViewed
from shared.schemas.boards import (
    CommentAdded,
    MemberJoined,
    MemberRoleChanged,
    PostCreated,
    PostHidden,
    PostUpdated,
)
from shared.schemas.envelope import Envelope, Event

EVENT_TYPES: dict[tuple[str, int], type[Event]] = {
    (model.event_type, model.schema_version): model
    for model in (
        ArticlePublished,
        ArticleRetracted,
        ArticleViewed,
        PostCreated,
        PostUpdated,
        PostHidden,
        CommentAdded,
        MemberJoined,
        MemberRoleChanged,
    )
}


class UnknownEventError(ValueError):
    """The bytes are not an envelope of an event type (and version) this code knows."""


def event_model(event_type: str, schema_version: int) -> type[Event]:
    try:
        return EVENT_TYPES[(event_type, schema_version)]
    except KeyError:
        raise UnknownEventError(f"unknown event type {event_type} v{schema_version}") from None


def decode_envelope(raw: bytes | str) -> Envelope[Any]:
    """Parse an envelope and validate its payload against the model its type names."""
    try:
        head = Envelope[Any].model_validate_json(raw)
    except ValidationError as exc:
        raise UnknownEventError(f"not an event envelope: {exc.errors()[0]['msg']}") from exc
    model = event_model(head.type, head.schema_version)
    return Envelope[model].model_validate_json(raw)  # type: ignore[valid-type]
