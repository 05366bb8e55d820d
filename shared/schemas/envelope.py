"""The envelope every event travels in, and the base class of event payloads."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Event(BaseModel):
    """Base of every event payload; `event_type` and `schema_version` name it on the wire."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class TraceContext(BaseModel):
    """W3C trace context carried from the request that caused the event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    traceparent: str = Field(
        pattern=r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        description="W3C traceparent header value",
    )

    @property
    def trace_id(self) -> str:
        return self.traceparent.split("-")[1]

    @classmethod
    def new(cls) -> TraceContext:
        """A fresh root trace (used where no request started the work, e.g. a backfill)."""
        return cls(traceparent=f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01")


E = TypeVar("E", bound=Event)


class Envelope(BaseModel, Generic[E]):
    """One event on a topic: identity, type, version, time, producer, trace, payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID = Field(description="unique per event; consumers deduplicate on it")
    type: str = Field(description="event type name, e.g. ArticlePublished")
    schema_version: int = Field(ge=1, description="version of the payload schema for this type")
    occurred_at: AwareDatetime
    producer: str = Field(description="service (or partner) that produced the event")
    trace: TraceContext | None = None
    payload: E

    @classmethod
    def wrap(cls, event: E, producer: str, trace: TraceContext | None = None) -> Envelope[E]:
        """Put `event` in a new envelope with a fresh id and the current time."""
        typed: type[Envelope[E]] = Envelope[type(event)]  # type: ignore[misc,assignment]
        return typed(
            event_id=uuid.uuid4(),
            type=event.event_type,
            schema_version=event.schema_version,
            occurred_at=datetime.now(UTC),
            producer=producer,
            trace=trace,
            payload=event,
        )


def new_event_id() -> str:
    """A random (version 4) UUID's text, as `str(uuid.uuid4())` writes it, without building
    the UUID object on the way (a third of an envelope's cost when ingest writes one)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def envelope_json(
    event_type: type[Event],
    payload: Mapping[str, Any],
    producer: str,
    trace: TraceContext | None = None,
) -> str:
    """`Envelope.wrap(event, producer, trace).model_dump_json()` for an event already dumped
    (`model_dump(mode="json")` of a valid one): no second validation or dump of a large payload."""
    return orjson.dumps(
        {
            "event_id": new_event_id(),
            "type": event_type.event_type,
            "schema_version": event_type.schema_version,
            "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "producer": producer,
            "trace": None if trace is None else {"traceparent": trace.traceparent},
            "payload": payload,
        }
    ).decode()
