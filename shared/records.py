"""What consumers do first with a record: decode its envelope, or call it poison."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.ports.bus import PoisonRecordError, Record
from shared.schemas import Envelope, UnknownEventError, decode_envelope


def decode_record(record: Record) -> Envelope[Any]:
    """The record's envelope; one that can never be decoded is dead-lettered at once."""
    try:
        return decode_envelope(record.value)
    except (UnknownEventError, ValueError) as exc:
        raise PoisonRecordError("undecodable_event", {"message": str(exc)}) from exc


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
