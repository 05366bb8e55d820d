"""The embedded log's watch: records other processes append reach this process's consumers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from shared.adapters.local_bus import LocalBus
from shared.ports.bus import DeliveryPolicy, Record
from shared.topics import Topic
from tests.contract.test_event_bus import eventually

FAST = DeliveryPolicy(max_attempts=3, backoff_s=0.01)
TOPIC = Topic(name="watch.test", key="k", values=(), description="test", partitions=3)


async def test_the_embedded_log_wakes_its_consumers_for_another_processes_records(
    tmp_path: Path,
) -> None:
    """A record appended through another connection to the file (another process, such as
    `sinmun ingest` beside `sinmun up`) wakes this bus's consumers of its topic; they used
    to find it only at their idle poll. Only the watch sets the topic's wake-up event here:
    the consumer's own idle poll never does, and this bus sends nothing itself."""
    topic = TOPIC
    reader, writer = LocalBus(tmp_path / "bus.sqlite3"), LocalBus(tmp_path / "bus.sqlite3")
    await reader.start()
    await writer.start()
    try:
        await reader.ensure_topics([topic])
        seen: list[bytes] = []

        async def handle(record: Record) -> None:
            seen.append(record.value)

        await reader.subscribe(topic.name, "readers", handle, FAST)
        await asyncio.sleep(0.2)  # the consumer has found the topic empty and waits
        woken = reader.wakeup(topic.name)
        assert not woken.is_set()
        await writer.send(topic.name, "k", b"from elsewhere")
        await asyncio.wait_for(woken.wait(), timeout=10)
        await eventually(lambda: seen == [b"from elsewhere"])
    finally:
        await writer.stop()
        await reader.stop()
