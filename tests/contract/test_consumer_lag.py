"""Consumer lag as /metrics reports it, on the embedded log and on real Kafka: records appended
and not yet committed by the group, per partition; zero once the group caught up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.adapters.kafka_bus import KafkaBus
from shared.adapters.local_bus import LocalBus
from shared.metrics import CONSUMER_LAG, LagMonitor
from shared.ports.bus import DeliveryPolicy, Record
from shared.topics import Topic
from tests.backends import session_name
from tests.conftest import real_server


@pytest.fixture(params=["local", "kafka"])
async def bus(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LocalBus | KafkaBus]:
    opened: LocalBus | KafkaBus
    if request.param == "local":
        opened = LocalBus(tmp_path / "bus.sqlite3")
    else:
        opened = KafkaBus(real_server("SINMUN_KAFKA_BOOTSTRAP_SERVERS"), client_id="lag-test")
    await opened.start()
    yield opened
    await opened.stop()


async def lag_becomes(bus: LocalBus | KafkaBus, key: tuple[str, str, int], want: int) -> None:
    async with asyncio.timeout(30):
        while True:
            if (await bus.consumer_lag()).get(key) == want:
                return
            await asyncio.sleep(0.1)


async def test_lag_counts_what_the_group_has_not_committed(bus: LocalBus | KafkaBus) -> None:
    topic = Topic(name=session_name("lag."), key="k", values=(), description="t",
                  partitions=2)  # fmt: skip
    await bus.ensure_topics([topic])
    release = asyncio.Event()
    handled: list[int] = []

    async def slow(record: Record) -> None:
        await release.wait()
        handled.append(record.offset)

    for n in range(5):
        await bus.send(topic.name, "same-key", str(n).encode())
    sub = await bus.subscribe(topic.name, "lagging", slow, DeliveryPolicy(max_attempts=1))
    await sub.wait_assigned()
    (partition,) = [p for p, end in (await bus.end_offsets(topic.name)).items() if end == 5]
    key = ("lagging", topic.name, partition)
    await lag_becomes(bus, key, 5)  # the first record is in hand, none committed

    monitor = LagMonitor(bus, interval_s=0.05)
    await monitor.refresh()
    assert CONSUMER_LAG.labels(topic.name, str(partition), "lagging")._value.get() == 5

    release.set()
    await lag_becomes(bus, key, 0)
    assert handled == [0, 1, 2, 3, 4]
    await monitor.refresh()
    assert CONSUMER_LAG.labels(topic.name, str(partition), "lagging")._value.get() == 0
    await sub.stop()
    await monitor.refresh()  # the group left: its series go
    series = {s.labels["group"] for m in CONSUMER_LAG.collect() for s in m.samples}
    assert "lagging" not in series
