"""What consumers do first with a record: decode its envelope, or call it poison."""

from __future__ import annotations

from typing import Any

from shared.ports.bus import PoisonRecordError, Record
from shared.schemas import Envelope, UnknownEventError, decode_envelope


def decode_record(record: Record) -> Envelope[Any]:
    """The record's envelope; one that can never be decoded is dead-lettered at once."""
    try:
        return decode_envelope(record.value)
    except (UnknownEventError, ValueError) as exc:
        raise PoisonRecordError("undecodable_event", {"message": str(exc)}) from exc
