"""The topic registry: every topic's name, key, value types, partitions and retention."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from shared.schemas import (
    ArticlePublished,
    ArticleRetracted,
    ArticleSubmission,
    ArticleViewed,
    CommentAdded,
    MemberJoined,
    MemberRoleChanged,
    PostCreated,
    PostHidden,
    PostUpdated,
)

DAY_MS = 24 * 60 * 60 * 1000
DLQ_SUFFIX = ".dlq"
LARGE_MESSAGE_BYTES = 4 * 1024 * 1024
# A dead letter is its record plus the reason headers: its topic takes that much more, so a
# record right at its topic's limit can still be dead-lettered (else it is retried for ever).
DLQ_HEADROOM_BYTES = 64 * 1024


@dataclass(frozen=True)
class Topic:
    """One topic; `retention_ms=None` keeps records forever (a replayable canonical stream)."""

    name: str
    key: str
    values: tuple[type[BaseModel], ...]
    description: str
    partitions: int = 3
    retention_ms: int | None = 7 * DAY_MS
    enveloped: bool = True
    max_message_bytes: int = 1_048_588  # Kafka's default

    producers: tuple[str, ...] = field(default_factory=tuple)
    consumers: tuple[str, ...] = field(default_factory=tuple)

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.name)

    def kafka_config(self) -> dict[str, str]:
        """Topic-level Kafka configs derived from the registry entry."""
        retention = "-1" if self.retention_ms is None else str(self.retention_ms)
        return {
            "retention.ms": retention,
            "cleanup.policy": "delete",
            "max.message.bytes": str(self.max_message_bytes),
        }


def dead_letter_topic(name: str) -> str:
    return name + DLQ_SUFFIX


ARTICLES_SUBMITTED = Topic(
    name="articles.submitted",
    key="{source}:{guid}",
    values=(ArticleSubmission,),
    description=(
        "Partner syndication and newsroom submissions. The value is a bare ArticleSubmission "
        "(no envelope) signed with the partner's HMAC-SHA256 key in the `sinmun-signature` header."
    ),
    partitions=6,
    retention_ms=14 * DAY_MS,
    enveloped=False,
    # Oversize submissions must reach ingest (and its DLQ) to be refused with a reason.
    max_message_bytes=LARGE_MESSAGE_BYTES,
    producers=("partners", "newsroom"),
    consumers=("ingest",),
)
ARTICLES_PUBLISHED = Topic(
    name="articles.published",
    key="article_id",
    values=(ArticlePublished, ArticleRetracted),
    description="Canonical article stream (fat events); kept forever so projections can replay.",
    partitions=6,
    retention_ms=None,
    producers=("ingest",),
    consumers=("search", "render"),
)
ARTICLES_VIEWED = Topic(
    name="articles.viewed",
    key="article_id",
    values=(ArticleViewed,),
    description="Page views (high volume) feeding 실시간 많이본 뉴스.",
    partitions=6,
    retention_ms=2 * DAY_MS,
    producers=("render",),
    consumers=("render",),
)
BOARDS_EVENTS = Topic(
    name="boards.events",
    key="post_id",
    values=(PostCreated, PostUpdated, PostHidden, CommentAdded),
    description="Community board posts and comments.",
    retention_ms=None,
    producers=("boards",),
    consumers=("search", "render"),
)
MEMBERS_EVENTS = Topic(
    name="members.events",
    key="member_id",
    values=(MemberJoined, MemberRoleChanged),
    description="Member sign-ups and role changes.",
    retention_ms=None,
    producers=("boards",),
)

TOPICS: tuple[Topic, ...] = (
    ARTICLES_SUBMITTED,
    ARTICLES_PUBLISHED,
    ARTICLES_VIEWED,
    BOARDS_EVENTS,
    MEMBERS_EVENTS,
)


def dead_letter_topics() -> tuple[Topic, ...]:
    """A dead-letter topic for every consumed topic: the original bytes plus the reason."""
    return tuple(
        Topic(
            name=t.dlq,
            key=f"as {t.name}",
            values=t.values,
            description=f"Records of {t.name} that could not be processed, with the reason.",
            partitions=1,
            retention_ms=30 * DAY_MS,
            enveloped=t.enveloped,
            max_message_bytes=t.max_message_bytes + DLQ_HEADROOM_BYTES,
            consumers=(),
        )
        for t in TOPICS
        if t.consumers
    )


ALL_TOPICS: tuple[Topic, ...] = TOPICS + dead_letter_topics()


def topic(name: str) -> Topic:
    for t in ALL_TOPICS:
        if t.name == name:
            return t
    raise KeyError(name)
