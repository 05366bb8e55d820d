"""`sinmun dlq list|replay` on the embedded log and on real Kafka: dead letters shown with their
reason, first-seen time and key; replayed as the original bytes and headers to the source topic,
where a consumer that can now process them does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from services.cli import main
from shared.adapters.kafka_bus import KafkaBus
from shared.adapters.local_bus import LocalBus
from shared.dlq import REPLAYED_FROM, read_dead_letters, replay_dead_letters
from shared.ports.bus import DeliveryPolicy, EventBus, PoisonRecordError, Record
from shared.topics import Topic
from tests.backends import session_name
from tests.conftest import real_server

TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture(params=["local", "kafka"])
async def bus(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventBus]:
    opened: EventBus
    if request.param == "local":
        opened = LocalBus(tmp_path / "data" / "bus.sqlite3")
    else:
        opened = KafkaBus(
            real_server("SINMUN_KAFKA_BOOTSTRAP_SERVERS"),
            client_id="dlq-test",
            namespace=session_name("t") + ".",
        )
    await opened.start()
    yield opened
    await opened.stop()


class Consumer:
    """Refuses records starting with `bad` until it is fixed (a deploy of a fix, say)."""

    def __init__(self) -> None:
        self.fixed = False
        self.seen: list[Record] = []

    async def handle(self, record: Record) -> None:
        if record.value.startswith(b"bad") and not self.fixed:
            raise PoisonRecordError("not_yet_supported", {"value": record.value.decode()})
        self.seen.append(record)

    def values(self) -> list[bytes]:
        return [r.value for r in self.seen]


async def until(condition: object, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if callable(condition) and await condition():
                return
            await asyncio.sleep(0.05)


async def dead_lettered(bus: EventBus, topic: Topic, count: int) -> None:
    async def done() -> bool:
        return sum((await bus.end_offsets(topic.dlq)).values()) >= count

    await until(done)


async def produce_dead_letters(bus: EventBus) -> tuple[Topic, Consumer]:
    topic = Topic(  # one partition: the dead letters in the order they were produced
        name=session_name("dlqtest.", 8), key="k", values=(), description="t", partitions=1
    )
    await bus.ensure_topics([topic])
    consumer = Consumer()
    await bus.send(topic.name, "k-good", b"good-1")
    headers = {"traceparent": TRACEPARENT, "sinmun-signature": b"sig-1"}
    await bus.send(topic.name, "k-bad-1", b"bad-1", headers)
    await bus.send(topic.name, "k-bad-2", b"bad-2", {"sinmun-signature": b"sig-2"})
    sub = await bus.subscribe(topic.name, "dlq-test", consumer.handle, DeliveryPolicy(1, 0.01))
    await sub.wait_assigned()
    await dead_lettered(bus, topic, 2)
    return topic, consumer


async def test_dead_letters_are_listed_and_replayed_to_their_topic(bus: EventBus) -> None:
    topic, consumer = await produce_dead_letters(bus)

    letters = await read_dead_letters(bus, topic.name, limit=10)
    assert [letter.record.key for letter in letters] == ["k-bad-1", "k-bad-2"]
    first = letters[0]
    assert first.reason == "not_yet_supported" and first.details == {"value": "bad-1"}
    assert first.source_topic == topic.name and first.group == "dlq-test"
    assert first.attempts == 1
    assert datetime.fromisoformat(first.first_seen).tzinfo is not None
    assert first.original_headers() == {"traceparent": TRACEPARENT, "sinmun-signature": b"sig-1"}
    newest = await read_dead_letters(bus, f"{topic.name}.dlq", limit=1)
    assert [letter.record.key for letter in newest] == ["k-bad-2"]

    consumer.fixed = True
    report = await replay_dead_letters(bus, topic.name, limit=10)
    assert report.sent == 2 and report.next_offsets == {0: 2}

    async def replayed() -> bool:
        return consumer.values()[-2:] == [b"bad-1", b"bad-2"]

    await until(replayed)
    again = {r.key: r for r in consumer.seen}["k-bad-1"]
    assert again.headers["sinmun-signature"] == b"sig-1"
    assert again.headers["traceparent"] == TRACEPARENT
    assert again.header(REPLAYED_FROM) == f"{topic.dlq}:0@0"
    assert not [h for h in again.headers if h.startswith("sinmun-dlq-")]
    # The dead-letter log is kept as it was; a replay from where the last one stopped sends none.
    assert sum((await bus.end_offsets(topic.dlq)).values()) == 2
    assert (await replay_dead_letters(bus, topic.name, limit=10, start=2)).sent == 0
    assert (await replay_dead_letters(bus, topic.name, limit=1, start=1)).sent == 1


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()  # not the consumers' log lines before it
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 0
    return capsys.readouterr().out


async def test_the_commands_on_the_embedded_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINMUN_MODE", "embedded")
    bus = LocalBus(tmp_path / "data" / "bus.sqlite3")
    await bus.start()
    try:
        topic, consumer = await produce_dead_letters(bus)
        consumer.fixed = True
        data = ["--data-dir", str(tmp_path / "data")]
        # The commands run their own event loop, as from a shell: off this test's loop.
        listing = await asyncio.to_thread(run_cli, ["dlq", "list", topic.name, *data], capsys)
        lines = listing.splitlines()
        assert lines[0].startswith("0@0  20") and "key=k-bad-1  not_yet_supported" in lines[0]
        assert f"from {topic.name}[" in lines[0] and "group=dlq-test" in lines[0]
        assert lines[-1] == f"2 dead letters shown from {topic.dlq}"
        as_json = await asyncio.to_thread(
            run_cli, ["dlq", "list", topic.dlq, "--json", "--limit", "1", *data], capsys
        )
        (only,) = [json.loads(line) for line in as_json.splitlines()]
        assert only["key"] == "k-bad-2" and only["reason"] == "not_yet_supported"

        replay = await asyncio.to_thread(
            run_cli, ["dlq", "replay", topic.name, "--limit", "1", *data], capsys
        )
        assert replay.splitlines()[-1] == "1 dead letters sent back; next --from per partition: 0:1"

        async def replayed() -> bool:
            return b"bad-1" in consumer.values()

        await until(replayed)
        assert b"bad-2" not in consumer.values()
    finally:
        await bus.stop()
