"""EventBus: partitioned topics, consumer groups, at-least-once delivery, dead letters.

Both adapters (Kafka and the embedded log) promise the same things, checked by one contract
suite: records with one key arrive in order; a group's members share the partitions and never
both handle a record; an offset is committed only after the handler returned (its effect is
durable), so a crash before that redelivers the record; a handler that keeps failing sends the
record to `<topic>.dlq` with the reason and consumption goes on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, runtime_checkable

from shared.schemas.envelope import Envelope
from shared.topics import Topic


@dataclass(frozen=True)
class Record:
    """One record as a consumer sees it: the raw bytes, so signatures can be checked."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: Mapping[str, bytes] = field(default_factory=dict)
    timestamp_ms: int = 0

    def header(self, name: str) -> str | None:
        raw = self.headers.get(name)
        return None if raw is None else raw.decode("utf-8", "replace")


class Outgoing(NamedTuple):
    """One record to send (`EventBus.send_many`)."""

    key: str | None
    value: bytes
    headers: Mapping[str, bytes] | None = None


Handler = Callable[[Record], Awaitable[None]]


class PoisonRecordError(Exception):
    """Raised by a handler for a record that can never succeed: dead-letter it at once."""

    def __init__(self, reason: str, details: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


BatchHandler = Callable[[Sequence[Record]], Awaitable[Sequence[PoisonRecordError | None]]]
"""Handles records of one partition together (in order): per record, None when it is done or
the PoisonRecordError that dead-letters it. Raising fails the whole batch."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """How often a failing handler is tried, and the back-off between tries."""

    max_attempts: int = 5
    backoff_s: float = 0.2
    max_backoff_s: float = 5.0

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff_s * (2 ** (attempt - 1)), self.max_backoff_s))


class Subscription(Protocol):
    """A running member of a consumer group."""

    @property
    def assigned(self) -> frozenset[int]:
        """The partitions this member owns right now."""
        ...

    async def wait_assigned(self, timeout: float = 30.0) -> None:
        """Return once the member owns at least one partition (or the group settled)."""
        ...

    async def stop(self) -> None:
        """Leave the group; a record being handled is abandoned uncommitted (redelivered)."""
        ...


@runtime_checkable
class EventBus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ensure_topics(self, topics: list[Topic]) -> None:
        """Create the topics (with their partitions and retention) if they do not exist."""
        ...

    async def send(
        self,
        topic: str,
        key: str | None,
        value: bytes,
        headers: Mapping[str, bytes] | None = None,
    ) -> None:
        """Append raw bytes; returns once the record is durably acknowledged."""
        ...

    async def send_many(self, topic: str, records: Sequence[Outgoing]) -> list[Exception | None]:
        """Append many records to one topic, in the order given (one append where the
        backend can: one transaction on the embedded log, one producer batch per partition
        on Kafka). Per record, None once it is durably acknowledged, or the error that kept
        it out; returns when every record is settled. Records of one key sent in one call
        may fail separately on Kafka: a caller that needs one record out before the next
        sends them in separate calls."""
        ...

    async def publish(self, topic: str, key: str, envelope: Envelope[Any]) -> None:
        """Append an event envelope (JSON) with its type and trace as headers."""
        ...

    async def subscribe(
        self,
        topic: str,
        group: str,
        handler: Handler,
        policy: DeliveryPolicy | None = None,
    ) -> Subscription:
        """Join `group` on `topic`; `handler` is called for each record of owned partitions."""
        ...

    async def subscribe_batches(
        self,
        topic: str,
        group: str,
        handler: BatchHandler,
        policy: DeliveryPolicy | None = None,
    ) -> Subscription:
        """`subscribe`, with each fetched run of a partition's records handed over at once.

        The records a handler marks poison go to the dead-letter topic one by one with their
        reasons. A batch whose handler raised is delivered again record by record (batches
        of one, retried by `policy`), so only the failing record is dead-lettered. The offset
        is committed after the whole batch.
        """
        ...

    async def end_offsets(self, topic: str) -> dict[int, int]:
        """Per partition, the offset the next record will get (how much a replay must read)."""
        ...

    async def read(self, topic: str, partition: int, start: int, stop: int) -> list[Record]:
        """The records of one partition with `start <= offset < stop`, in order, outside any
        consumer group (what a relay reads back to learn what it published already)."""
        ...

    async def ping(self) -> bool:
        """True when the bus's backend is reachable."""
        ...


def envelope_headers(envelope: Envelope[Any]) -> dict[str, bytes]:
    """Headers that let a consumer route or trace a record without parsing its value."""
    trace = envelope.trace.traceparent if envelope.trace is not None else None
    return _headers(envelope.type, envelope.schema_version, str(envelope.event_id), trace)


def stored_envelope_headers(envelope: Mapping[str, Any]) -> dict[str, bytes]:
    """`envelope_headers` for an envelope this service serialised itself (e.g. in an outbox),
    read as plain JSON: no second validation of a payload that was valid when stored."""
    trace = envelope.get("trace") or {}
    return _headers(
        envelope["type"], envelope["schema_version"], envelope["event_id"], trace.get("traceparent")
    )


def _headers(
    event_type: str, schema_version: int, event_id: str, traceparent: str | None
) -> dict[str, bytes]:
    headers = {
        "sinmun-event-type": event_type.encode(),
        "sinmun-schema-version": str(schema_version).encode(),
        "sinmun-event-id": event_id.encode(),
    }
    if traceparent is not None:
        headers["traceparent"] = traceparent.encode()
    return headers
