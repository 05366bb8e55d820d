"""The delivery rule both bus adapters share: bounded retries, then the dead-letter topic."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime

import structlog
from prometheus_client import Counter

from shared.metrics import count_dead_letter
from shared.ports.bus import BatchHandler, DeliveryPolicy, Handler, PoisonRecordError, Record
from shared.topics import dead_letter_topic
from shared.transient import is_transient

log = structlog.get_logger("sinmun.bus")

RECORDS_HANDLED = Counter(
    "sinmun_bus_records_total",
    "Records handled by consumers, by outcome (ok, retried, dead_lettered)",
    ["topic", "group", "outcome"],
)

SendRaw = Callable[[str, str | None, bytes, Mapping[str, bytes]], Awaitable[None]]


def trace_id(record: Record) -> str | None:
    """The trace id of the record's `traceparent` header (for log lines), if it has one."""
    parts = (record.header("traceparent") or "").split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


def record_fields(record: Record) -> dict[str, object]:
    """Where a record is, for a log line: topic, partition, offset, and `trace_id` when the
    record has one."""
    found = trace_id(record)
    where: dict[str, object] = {
        "topic": record.topic, "partition": record.partition, "offset": record.offset,
    }  # fmt: skip
    return where if found is None else {**where, "trace_id": found}


def dead_letter_headers(
    record: Record, *, group: str, reason: str, details: object, attempts: int, first_seen: float
) -> dict[str, bytes]:
    """The original headers plus where the record came from and why it failed."""
    headers = dict(record.headers)
    headers.update(
        {
            "sinmun-dlq-reason": reason.encode(),
            "sinmun-dlq-details": json.dumps(details, ensure_ascii=False, default=str).encode(),
            "sinmun-dlq-topic": record.topic.encode(),
            "sinmun-dlq-partition": str(record.partition).encode(),
            "sinmun-dlq-offset": str(record.offset).encode(),
            "sinmun-dlq-group": group.encode(),
            "sinmun-dlq-attempts": str(attempts).encode(),
            "sinmun-dlq-first-seen": datetime.fromtimestamp(first_seen, UTC).isoformat().encode(),
        }
    )
    return headers


async def deliver(
    record: Record, group: str, handler: Handler, policy: DeliveryPolicy, send: SendRaw
) -> str:
    """Run `handler` on `record` until it succeeds or the policy gives up; never loses it.

    A failure of the record's own is tried `policy.max_attempts` times, then dead-lettered; a
    backend being unavailable (`shared.transient`) is waited out with capped back-off for as
    long as it lasts, since the record is valid and dead-lettering it would drop it from the
    projection. Returns the outcome. A cancellation (the consumer stopping) propagates, so the
    offset is not committed and the record is redelivered. If the dead-letter write itself
    fails, the error propagates for the same reason.
    """
    first_seen = time.time()
    attempt = outage = 0
    while True:
        attempt += 1
        try:
            await handler(record)
        except PoisonRecordError as exc:
            reason, details = exc.reason, exc.details
            break
        except Exception as exc:  # a handler's failure of any kind is retried, then dead-lettered
            if is_transient(exc):
                # A backend is down or restarting, not the record at fault: wait it out (the
                # partition waits too, which consumer lag shows), never dead-letter it.
                attempt -= 1
                outage += 1
                await _wait_for_backend(record, group, policy, outage, exc)
                continue
            if attempt < policy.max_attempts:
                RECORDS_HANDLED.labels(record.topic, group, "retried").inc()
                log.warning(
                    "handler_failed",
                    **record_fields(record),
                    attempt=attempt,
                    error=repr(exc),
                )
                await asyncio.sleep(policy.delay(attempt))
                continue
            reason, details = f"{type(exc).__name__}: {exc}", None
            break
        else:
            RECORDS_HANDLED.labels(record.topic, group, "ok").inc()
            return "ok"
    await dead_letter(
        record, group, send, reason=reason, details=details, attempt=attempt, first_seen=first_seen
    )
    return "dead_lettered"


async def _wait_for_backend(
    record: Record, group: str, policy: DeliveryPolicy, outage: int, exc: Exception
) -> None:
    RECORDS_HANDLED.labels(record.topic, group, "retried").inc()
    delay = policy.delay(outage)
    log.warning(
        "backend_unavailable",
        **record_fields(record),
        tries=outage,
        retry_in_s=delay,
        error=repr(exc),
    )
    await asyncio.sleep(delay)


async def deliver_batch(
    records: Sequence[Record],
    group: str,
    handler: BatchHandler,
    policy: DeliveryPolicy,
    send: SendRaw,
) -> None:
    """Run `handler` on the batch, dead-letter what it marks poison; if it raises, deliver
    the records one at a time (`deliver`: retries, then the dead-letter topic for that one)."""
    if not records:
        return
    first_seen = time.time()
    try:
        outcomes = await handler(records)
        if len(outcomes) != len(records):
            raise ValueError(f"{len(outcomes)} outcomes for {len(records)} records")
    except Exception as exc:  # any failure: fall back to one record at a time
        log.warning("batch_failed", topic=records[0].topic, records=len(records), error=repr(exc))
        for record in records:
            await deliver(record, group, _one_at_a_time(handler), policy, send)
        return
    for record, outcome in zip(records, outcomes, strict=True):
        if outcome is None:
            RECORDS_HANDLED.labels(record.topic, group, "ok").inc()
        else:
            await dead_letter(
                record, group, send,
                reason=outcome.reason, details=outcome.details, attempt=1, first_seen=first_seen,
            )  # fmt: skip


def _one_at_a_time(handler: BatchHandler) -> Handler:
    async def one(record: Record) -> None:
        (outcome,) = await handler([record])
        if outcome is not None:
            raise outcome

    return one


async def dead_letter(
    record: Record,
    group: str,
    send: SendRaw,
    *,
    reason: str,
    details: object,
    attempt: int,
    first_seen: float,
) -> None:
    """Send the original record to `<topic>.dlq` with why and where it failed."""
    headers = dead_letter_headers(
        record,
        group=group,
        reason=reason,
        details=details,
        attempts=attempt,
        first_seen=first_seen,
    )
    await send(dead_letter_topic(record.topic), record.key, record.value, headers)
    RECORDS_HANDLED.labels(record.topic, group, "dead_lettered").inc()
    count_dead_letter(record.topic, group, reason)
    log.error(
        "record_dead_lettered",
        **record_fields(record),
        reason=reason,
        attempts=attempt,
    )
