"""Pydantic models of everything that crosses a service boundary."""

from shared.schemas.articles import (
    Article,
    ArticleImage,
    ArticlePublished,
    ArticleRetracted,
    ArticleStatus,
    ArticleSubmission,
    ArticleViewed,
    ClientClass,
)
from shared.schemas.boards import (
    BoardComment,
    BoardPost,
    CommentAdded,
    MemberJoined,
    MemberRoleChanged,
    PostCreated,
    PostHidden,
    PostUpdated,
    Role,
)
from shared.schemas.envelope import Envelope, Event, TraceContext
from shared.schemas.registry import EVENT_TYPES, UnknownEventError, decode_envelope, event_model

__all__ = [
    "EVENT_TYPES",
    "Article",
    "ArticleImage",
    "ArticlePublished",
    "ArticleRetracted",
    "ArticleStatus",
    "ArticleSubmission",
    "ArticleViewed",
    "BoardComment",
    "BoardPost",
    "ClientClass",
    "CommentAdded",
    "Envelope",
    "Event",
    "MemberJoined",
    "MemberRoleChanged",
    "PostCreated",
    "PostHidden",
    "PostUpdated",
    "Role",
    "TraceContext",
    "UnknownEventError",
    "decode_envelope",
    "event_model",
]
