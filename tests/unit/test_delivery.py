"""The shared delivery rule: retries with back-off, poison records, dead letters, cancellation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

import pytest

from shared.adapters.delivery import deliver
from shared.ports.bus import DeliveryPolicy, PoisonRecordError, Record

RECORD = Record(
    topic="articles.submitted",
    partition=2,
    offset=41,
    key="경북통신:g-1",
    value=b'{"guid": "g-1"}',
    headers={"sinmun-signature": b"abc"},
)
POLICY = DeliveryPolicy(max_attempts=3, backoff_s=0)


class FakeDeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None, bytes, Mapping[str, bytes]]] = []

    async def send(
        self, topic: str, key: str | None, value: bytes, headers: Mapping[str, bytes]
    ) -> None:
        self.sent.append((topic, key, value, headers))


async def test_a_handler_that_succeeds_is_called_once() -> None:
    calls: list[Record] = []
    dlq = FakeDeadLetters()

    async def handle(record: Record) -> None:
        calls.append(record)

    assert await deliver(RECORD, "ingest", handle, POLICY, dlq.send) == "ok"
    assert calls == [RECORD]
    assert dlq.sent == []


async def test_a_transient_failure_is_retried_until_it_succeeds() -> None:
    attempts = 0

    async def flaky(record: Record) -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ConnectionError("store briefly down")

    dlq = FakeDeadLetters()
    assert await deliver(RECORD, "ingest", flaky, POLICY, dlq.send) == "ok"
    assert attempts == 3
    assert dlq.sent == []


async def test_a_handler_that_keeps_failing_sends_the_original_to_the_dead_letter_topic() -> None:
    async def broken(record: Record) -> None:
        raise KeyError("headline")

    dlq = FakeDeadLetters()
    assert await deliver(RECORD, "ingest", broken, POLICY, dlq.send) == "dead_lettered"
    [(topic, key, value, headers)] = dlq.sent
    assert (topic, key, value) == ("articles.submitted.dlq", RECORD.key, RECORD.value)
    assert headers["sinmun-dlq-reason"] == b"KeyError: 'headline'"
    assert headers["sinmun-dlq-attempts"] == b"3"
    assert headers["sinmun-dlq-offset"] == b"41"
    assert headers["sinmun-dlq-partition"] == b"2"
    assert headers["sinmun-signature"] == b"abc"  # the original headers travel along


async def test_a_poison_record_is_dead_lettered_at_once_with_its_details() -> None:
    attempts = 0

    async def refuse(record: Record) -> None:
        nonlocal attempts
        attempts += 1
        raise PoisonRecordError("invalid_signature", {"source": "경북통신"})

    dlq = FakeDeadLetters()
    await deliver(RECORD, "ingest", refuse, POLICY, dlq.send)
    assert attempts == 1
    headers = dlq.sent[0][3]
    assert headers["sinmun-dlq-reason"] == b"invalid_signature"
    assert json.loads(headers["sinmun-dlq-details"]) == {"source": "경북통신"}


async def test_cancellation_propagates_and_dead_letters_nothing() -> None:
    started = asyncio.Event()

    async def slow(record: Record) -> None:
        started.set()
        await asyncio.sleep(60)

    dlq = FakeDeadLetters()
    task = asyncio.create_task(deliver(RECORD, "ingest", slow, POLICY, dlq.send))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert dlq.sent == []


def test_back_off_doubles_up_to_a_ceiling() -> None:
    policy = DeliveryPolicy(max_attempts=10, backoff_s=0.5, max_backoff_s=3)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


async def test_a_backend_outage_is_waited_out_however_long_and_never_dead_letters() -> None:
    from opensearchpy.exceptions import ConnectionError as EngineUnreachable

    attempts = 0

    async def engine_restarting(record: Record) -> None:
        nonlocal attempts
        attempts += 1
        if attempts <= POLICY.max_attempts * 3:  # far past the record's own retry budget
            raise EngineUnreachable("N/A", "connection refused", ConnectionRefusedError())

    dlq = FakeDeadLetters()
    assert await deliver(RECORD, "search", engine_restarting, POLICY, dlq.send) == "ok"
    assert attempts == POLICY.max_attempts * 3 + 1
    assert dlq.sent == []


async def test_an_outage_does_not_use_up_the_retries_of_a_record_that_then_fails() -> None:
    calls = 0

    async def down_then_broken(record: Record) -> None:
        nonlocal calls
        calls += 1
        if calls <= 10:
            raise TimeoutError("the store did not answer")
        raise KeyError("headline")

    dlq = FakeDeadLetters()
    assert await deliver(RECORD, "ingest", down_then_broken, POLICY, dlq.send) == "dead_lettered"
    [(_, _, _, headers)] = dlq.sent
    assert headers["sinmun-dlq-attempts"] == str(POLICY.max_attempts).encode()
    assert calls == 10 + POLICY.max_attempts
