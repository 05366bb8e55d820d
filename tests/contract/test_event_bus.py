"""One contract for the EventBus, run against the embedded log and real Kafka."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.adapters.kafka_bus import KafkaBus
from shared.adapters.local_bus import LocalBus
from shared.ports.bus import DeliveryPolicy, EventBus, Outgoing, PoisonRecordError, Record
from shared.schemas import ArticleViewed, Envelope, TraceContext, decode_envelope
from shared.topics import Topic
from tests.backends import session_name
from tests.conftest import real_server

BusOpener = Callable[[], Awaitable[EventBus]]
FAST = DeliveryPolicy(max_attempts=3, backoff_s=0.01)


@pytest.fixture(params=["local", "kafka"])
async def open_bus(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BusOpener]:
    """Each call opens another bus on the same backend, as another process would."""
    buses: list[EventBus] = []
    bootstrap = real_server("SINMUN_KAFKA_BOOTSTRAP_SERVERS") if request.param == "kafka" else ""

    async def open_one() -> EventBus:
        bus: EventBus
        if request.param == "local":
            bus = LocalBus(tmp_path / "bus.sqlite3")
        else:
            bus = KafkaBus(bootstrap, client_id=f"contract-{len(buses)}")
        await bus.start()
        buses.append(bus)
        return bus

    yield open_one
    for bus in reversed(buses):
        await bus.stop()


def fresh_topic(partitions: int = 3) -> Topic:
    return Topic(
        name=session_name("contract."),
        key="k",
        values=(),
        description="test",
        partitions=partitions,
    )


async def eventually(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_records_with_one_key_arrive_in_order(open_bus: BusOpener) -> None:
    bus = await open_bus()
    topic = fresh_topic()
    await bus.ensure_topics([topic])
    for n in range(30):
        await bus.send(topic.name, f"article-{n % 3}", str(n).encode())
    seen: dict[str, list[int]] = defaultdict(list)

    async def handle(record: Record) -> None:
        assert record.key is not None
        seen[record.key].append(int(record.value))

    sub = await bus.subscribe(topic.name, "readers", handle, FAST)
    await eventually(lambda: sum(map(len, seen.values())) == 30)
    for k in range(3):
        assert seen[f"article-{k}"] == list(range(k, 30, 3))
    await sub.stop()


async def test_envelopes_round_trip_with_their_headers(open_bus: BusOpener) -> None:
    bus = await open_bus()
    topic = fresh_topic()
    await bus.ensure_topics([topic])
    event = ArticleViewed(article_id="art0000001", viewed_at=datetime.now(UTC))
    sent = Envelope.wrap(event, producer="render", trace=TraceContext.new())
    await bus.publish(topic.name, event.article_id, sent)
    got: list[Record] = []

    async def handle(record: Record) -> None:
        got.append(record)

    await bus.subscribe(topic.name, "readers", handle, FAST)
    await eventually(lambda: len(got) == 1)
    assert decode_envelope(got[0].value) == sent
    assert got[0].key == "art0000001"
    assert got[0].header("sinmun-event-type") == "ArticleViewed"
    assert sent.trace is not None
    assert got[0].header("traceparent") == sent.trace.traceparent


async def test_a_record_whose_handler_crashed_is_redelivered(open_bus: BusOpener) -> None:
    topic = fresh_topic(partitions=1)
    first = await open_bus()
    await first.ensure_topics([topic])
    await first.send(topic.name, "k", b"one")
    await first.send(topic.name, "k", b"two")
    started = asyncio.Event()

    async def crash_midway(record: Record) -> None:
        started.set()
        await asyncio.Event().wait()  # the process dies here, before the offset is committed

    crashed = await first.subscribe(topic.name, "projector", crash_midway, FAST)
    await asyncio.wait_for(started.wait(), 30)
    await crashed.stop()

    second = await open_bus()
    got: list[bytes] = []

    async def handle(record: Record) -> None:
        got.append(record.value)

    await second.subscribe(topic.name, "projector", handle, FAST)
    await eventually(lambda: len(got) == 2)
    assert got == [b"one", b"two"]


async def test_a_committed_record_is_not_delivered_again(open_bus: BusOpener) -> None:
    topic = fresh_topic(partitions=1)
    first = await open_bus()
    await first.ensure_topics([topic])
    await first.send(topic.name, "k", b"one")
    got: list[bytes] = []

    async def handle(record: Record) -> None:
        got.append(record.value)

    sub = await first.subscribe(topic.name, "projector", handle, FAST)
    await eventually(lambda: got == [b"one"])
    await sub.stop()
    second = await open_bus()
    await second.send(topic.name, "k", b"two")
    await second.subscribe(topic.name, "projector", handle, FAST)
    await eventually(lambda: len(got) == 2)
    await asyncio.sleep(0.5)
    assert got == [b"one", b"two"]


async def test_group_members_share_partitions_and_never_both_handle_a_record(
    open_bus: BusOpener,
) -> None:
    bus = await open_bus()
    topic = fresh_topic(partitions=4)
    await bus.ensure_topics([topic])
    handled: dict[str, list[bytes]] = {"a": [], "b": []}

    def handler_for(member: str) -> Callable[[Record], Awaitable[None]]:
        async def handle(record: Record) -> None:
            handled[member].append(record.value)

        return handle

    member_a = await bus.subscribe(topic.name, "indexers", handler_for("a"), FAST)
    member_b = await bus.subscribe(topic.name, "indexers", handler_for("b"), FAST)
    await member_a.wait_assigned()
    await member_b.wait_assigned()
    await eventually(lambda: len(member_a.assigned) + len(member_b.assigned) == 4)
    assert member_a.assigned.isdisjoint(member_b.assigned)
    for n in range(80):
        await bus.send(topic.name, f"post-{n}", f"{n}".encode())
    await eventually(lambda: len(handled["a"]) + len(handled["b"]) >= 80)
    await asyncio.sleep(0.5)
    assert set(handled["a"]).isdisjoint(handled["b"])
    assert len(handled["a"]) + len(handled["b"]) == 80
    assert handled["a"]
    assert handled["b"]


async def test_a_poison_record_goes_to_the_dead_letter_topic_and_later_records_flow(
    open_bus: BusOpener,
) -> None:
    bus = await open_bus()
    topic = fresh_topic(partitions=1)
    await bus.ensure_topics([topic])
    attempts: dict[bytes, int] = defaultdict(int)
    done: list[bytes] = []

    async def handle(record: Record) -> None:
        attempts[record.value] += 1
        if record.value == b"broken":
            raise ValueError("cannot parse 기사")
        if record.value == b"invalid":
            raise PoisonRecordError("schema violation", {"field": "headline"})
        done.append(record.value)

    dead: list[Record] = []

    async def collect(record: Record) -> None:
        dead.append(record)

    for value in (b"ok-1", b"broken", b"invalid", b"ok-2"):
        await bus.send(topic.name, "same-key", value, {"source": b"partner-a"})
    await bus.subscribe(topic.name, "ingest", handle, FAST)
    await bus.subscribe(topic.dlq, "inspector", collect, FAST)
    await eventually(lambda: len(dead) == 2 and len(done) == 2)
    assert done == [b"ok-1", b"ok-2"]
    assert attempts[b"broken"] == FAST.max_attempts  # retried, then given up
    assert attempts[b"invalid"] == 1  # poison: no retries
    broken, invalid = dead
    assert broken.value == b"broken"
    assert broken.key == "same-key"
    assert broken.header("sinmun-dlq-reason") == "ValueError: cannot parse 기사"
    assert broken.header("sinmun-dlq-topic") == topic.name
    assert broken.header("sinmun-dlq-attempts") == "3"
    assert broken.header("source") == "partner-a"
    assert invalid.header("sinmun-dlq-reason") == "schema violation"
    assert json.loads(invalid.header("sinmun-dlq-details") or "") == {"field": "headline"}
    assert datetime.fromisoformat(invalid.header("sinmun-dlq-first-seen") or "").tzinfo is not None


async def test_ping_reports_a_reachable_backend(open_bus: BusOpener) -> None:
    assert await (await open_bus()).ping()


async def test_end_offsets_count_what_each_partition_holds(open_bus: BusOpener) -> None:
    bus = await open_bus()
    topic = fresh_topic(partitions=2)
    await bus.ensure_topics([topic])
    assert sum((await bus.end_offsets(topic.name)).values()) == 0
    for n in range(7):
        await bus.send(topic.name, f"k{n}", b"x")
    ends = await bus.end_offsets(topic.name)
    assert set(ends) == {0, 1}
    assert sum(ends.values()) == 7


async def test_batches_arrive_in_order_poison_alone_to_the_dead_letter_topic(
    open_bus: BusOpener,
) -> None:
    bus = await open_bus()
    topic = fresh_topic(partitions=2)
    await bus.ensure_topics([topic])
    values = [f"{n}".encode() for n in range(40)]
    values[7], values[23] = b"invalid", b"broken"  # poison; a failure of its whole batch
    for n, value in enumerate(values):
        await bus.send(topic.name, f"story-{n % 4}", value)
    batches: list[list[bytes]] = []
    done: dict[str, list[bytes]] = defaultdict(list)

    async def handle(records: Sequence[Record]) -> list[PoisonRecordError | None]:
        batches.append([r.value for r in records])
        if len(records) > 1 and any(r.value == b"broken" for r in records):
            raise ConnectionError("store down for this batch")  # then one record at a time
        outcomes: list[PoisonRecordError | None] = []
        for record in records:
            if record.value == b"invalid":
                outcomes.append(PoisonRecordError("schema violation", {"field": "headline"}))
            else:
                assert record.key is not None
                done[record.key].append(record.value)
                outcomes.append(None)
        return outcomes

    dead: list[Record] = []

    async def collect(record: Record) -> None:
        dead.append(record)

    sub = await bus.subscribe_batches(topic.name, "ingest", handle, FAST)
    await bus.subscribe(topic.dlq, "inspector", collect, FAST)
    await eventually(lambda: sum(map(len, done.values())) == 39 and len(dead) == 1)
    assert max(map(len, batches)) > 1  # really batched
    for k in range(4):  # per-key order, every good record once (the failed batch re-ran alone)
        expected = [v for n, v in enumerate(values) if n % 4 == k and v != b"invalid"]
        assert done[f"story-{k}"] == expected
    assert dead[0].value == b"invalid"
    assert dead[0].header("sinmun-dlq-reason") == "schema violation"
    assert json.loads(dead[0].header("sinmun-dlq-details") or "") == {"field": "headline"}
    await sub.stop()

    await bus.send(topic.name, "story-0", b"after")  # committed: a new member sees only this
    seen: list[bytes] = []

    async def again(records: Sequence[Record]) -> list[PoisonRecordError | None]:
        seen.extend(r.value for r in records)
        return [None] * len(records)

    await bus.subscribe_batches(topic.name, "ingest", again, FAST)
    await eventually(lambda: seen == [b"after"])
    await asyncio.sleep(0.5)
    assert seen == [b"after"]


async def test_read_returns_a_partitions_records_in_an_offset_range(open_bus: BusOpener) -> None:
    bus = await open_bus()
    topic = fresh_topic(partitions=1)
    await bus.ensure_topics([topic])
    for n in range(6):
        await bus.send(topic.name, f"k{n}", f"v{n}".encode(), {"sinmun-event-id": f"e{n}".encode()})
    middle = await bus.read(topic.name, 0, 2, 5)
    assert [(r.offset, r.key, r.value) for r in middle] == [(2, "k2", b"v2"), (3, "k3", b"v3"),
                                                            (4, "k4", b"v4")]  # fmt: skip
    assert middle[0].header("sinmun-event-id") == "e2"
    assert middle[0].topic == topic.name
    assert [r.value for r in await bus.read(topic.name, 0, 4, 100)] == [b"v4", b"v5"]
    assert await bus.read(topic.name, 0, 6, 6) == []


async def test_send_many_appends_every_record_in_order_with_its_key_and_headers(
    open_bus: BusOpener,
) -> None:
    bus = await open_bus()
    topic = fresh_topic(partitions=3)
    await bus.ensure_topics([topic])
    records = [
        Outgoing(f"article-{n % 4}", f"v{n}".encode(), {"sinmun-event-id": f"e{n}".encode()})
        for n in range(40)
    ]
    assert await bus.send_many(topic.name, records) == [None] * 40
    assert await bus.send_many(topic.name, []) == []
    offsets = await bus.end_offsets(topic.name)
    assert sum(offsets.values()) == 40
    stored = [r for p, end in offsets.items() for r in await bus.read(topic.name, p, 0, end)]
    by_key: dict[str | None, list[tuple[bytes, str | None]]] = defaultdict(list)
    for record in sorted(stored, key=lambda r: (r.partition, r.offset)):
        by_key[record.key].append((record.value, record.header("sinmun-event-id")))
    for k in range(4):  # one key, one partition, in the order sent
        assert by_key[f"article-{k}"] == [(f"v{n}".encode(), f"e{n}") for n in range(k, 40, 4)]
