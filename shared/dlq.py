"""Dead letters for operators: read `<topic>.dlq` and send records back to their topic.

A dead letter is the original record (bytes, key, headers) plus `sinmun-dlq-*` headers saying
where it came from and why it failed (shared/adapters/delivery.py). Replaying re-sends the
original bytes and headers to the source topic, with `sinmun-replayed-from` naming the dead
letter; consumers are idempotent (event ids, versions, `(source, guid)`), so a record sent
back twice changes nothing the second time. The dead-letter topic itself is never changed:
it is a log, kept for its retention, and `--from` says where a replay starts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.ports.bus import EventBus, Record
from shared.topics import DLQ_SUFFIX, dead_letter_topic

DLQ_HEADER_PREFIX = "sinmun-dlq-"
REPLAYED_FROM = "sinmun-replayed-from"


@dataclass(frozen=True)
class DeadLetter:
    """One record of a dead-letter topic, with what the delivery rule wrote about it."""

    record: Record

    def _header(self, name: str) -> str | None:
        return self.record.header(DLQ_HEADER_PREFIX + name)

    @property
    def reason(self) -> str:
        return self._header("reason") or "unknown"

    @property
    def details(self) -> Any:
        raw = self._header("details")
        try:
            return None if raw is None else json.loads(raw)
        except json.JSONDecodeError:
            return raw

    @property
    def first_seen(self) -> str:
        return self._header("first-seen") or ""

    @property
    def source_topic(self) -> str:
        fallback = self.record.topic.removesuffix(DLQ_SUFFIX)
        return self._header("topic") or fallback

    @property
    def group(self) -> str:
        return self._header("group") or ""

    @property
    def attempts(self) -> int:
        raw = self._header("attempts")
        return int(raw) if raw and raw.isdigit() else 0

    @property
    def position(self) -> str:
        """Where the record was in its source topic: `partition@offset`."""
        return f"{self._header('partition') or '?'}@{self._header('offset') or '?'}"

    def original_headers(self) -> dict[str, bytes]:
        """The headers the record had before it was dead-lettered (signatures, traceparent)."""
        return {k: v for k, v in self.record.headers.items() if not k.startswith(DLQ_HEADER_PREFIX)}

    def summary(self) -> dict[str, Any]:
        """What `sinmun dlq list --json` prints for it."""
        return {
            "dlq_partition": self.record.partition,
            "dlq_offset": self.record.offset,
            "first_seen": self.first_seen,
            "key": self.record.key,
            "reason": self.reason,
            "details": self.details,
            "topic": self.source_topic,
            "source": self.position,
            "group": self.group,
            "attempts": self.attempts,
            "bytes": len(self.record.value),
        }


def dlq_name(topic: str) -> str:
    """`articles.submitted` or `articles.submitted.dlq` → `articles.submitted.dlq`."""
    return topic if topic.endswith(DLQ_SUFFIX) else dead_letter_topic(topic)


async def read_dead_letters(
    bus: EventBus, topic: str, *, limit: int, start: int | None = None
) -> list[DeadLetter]:
    """Up to `limit` dead letters of `topic` per partition: from offset `start`, or (None)
    the newest `limit` of each partition; in offset order."""
    name = dlq_name(topic)
    letters: list[DeadLetter] = []
    for partition, end in sorted((await bus.end_offsets(name)).items()):
        first = max(0, end - limit) if start is None else start
        # Past retention the first offsets are gone; reading from `first` starts at the oldest.
        records = await bus.read(name, partition, first, end)
        letters += [DeadLetter(r) for r in records[:limit]]
    return letters


@dataclass(frozen=True)
class ReplayReport:
    sent: int
    next_offsets: dict[int, int]  # per dead-letter partition: where a further replay starts

    def resume_hint(self) -> str:
        return " ".join(f"{p}:{o}" for p, o in sorted(self.next_offsets.items()))


async def replay_dead_letters(
    bus: EventBus,
    topic: str,
    *,
    limit: int,
    start: int = 0,
    on_sent: Callable[[DeadLetter], None] | None = None,
) -> ReplayReport:
    """Send up to `limit` dead letters (per partition, from offset `start`) back to the topic
    they came from: the original bytes, key and headers, in their dead-letter order."""
    letters = await read_dead_letters(bus, topic, limit=limit, start=start)
    next_offsets = {p: start for p in await bus.end_offsets(dlq_name(topic))}
    for letter in letters:
        headers = letter.original_headers()
        headers[REPLAYED_FROM] = (
            f"{letter.record.topic}:{letter.record.partition}@{letter.record.offset}".encode()
        )
        await bus.send(letter.source_topic, letter.record.key, letter.record.value, headers)
        next_offsets[letter.record.partition] = letter.record.offset + 1
        if on_sent is not None:
            on_sent(letter)
    return ReplayReport(sent=len(letters), next_offsets=next_offsets)
