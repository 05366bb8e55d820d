"""The running services under a hostile producer: produce raw records, read dead letters, wait.

The services run in process through the real bootstrap (`create_app`) on either bus: the
embedded SQLite log, or Kafka (+ FerretDB, OpenSearch) under a namespace of this test's own.
On Kafka records are produced with a raw aiokafka producer, as a partner (or an attacker
with write access) would: repeated headers and keys that are not UTF-8 included.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer

from shared.dlq import DeadLetter
from shared.service import INFRA, Infrastructure
from shared.settings import Mode, SinmunSettings
from shared.topics import LARGE_MESSAGE_BYTES, dead_letter_topic
from tests.resilience.hostile_records import HostileRecord

Check = Callable[[], Awaitable[bool]]


async def until(check: Check, what: str, timeout: float = 60.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not await check():  # noqa: ASYNC110 - waiting on consumers' effects
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"not in {timeout:.0f} s: {what}") from None


@dataclass
class HostilePlatform:
    """Services of one process, and a producer writing whatever bytes it is given."""

    client: TestClient  # type: ignore[type-arg]
    settings: SinmunSettings
    producer: AIOKafkaProducer | None = None

    @property
    def app(self) -> web.Application:
        return self.client.app  # type: ignore[no-any-return]

    @property
    def infra(self) -> Infrastructure:
        return self.app[INFRA]

    @property
    def embedded(self) -> bool:
        return self.settings.mode is Mode.EMBEDDED

    async def start_producer(self) -> None:
        if not self.embedded:
            self.producer = AIOKafkaProducer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers,
                enable_idempotence=True,
                acks="all",
                max_request_size=LARGE_MESSAGE_BYTES + 64 * 1024,
            )
            await self.producer.start()

    async def stop_producer(self) -> None:
        if self.producer is not None:
            await self.producer.stop()

    async def produce(self, topic: str, record: HostileRecord) -> None:
        if self.producer is None:
            key = record.read_key
            await self.infra.bus.send(topic, key, record.value, dict(record.headers))
            return
        await self.producer.send_and_wait(
            self.settings.kafka_namespace + topic,
            record.value,
            key=record.key,
            headers=list(record.headers),
        )

    async def dead_letters(self, topic: str) -> list[DeadLetter]:
        bus, name = self.infra.bus, dead_letter_topic(topic)
        letters: list[DeadLetter] = []
        for partition, end in (await bus.end_offsets(name)).items():
            letters += [DeadLetter(r) for r in await bus.read(name, partition, 0, end)]
        return letters

    async def caught_up(self, topic: str) -> bool:
        """Every group consuming `topic` here has committed all it was given."""
        lag: dict[tuple[str, str, int], int] = await self.infra.bus.consumer_lag()  # type: ignore[attr-defined]
        return all(n == 0 for (_, t, _), n in lag.items() if t == topic)

    def consumers_running(self) -> bool:
        tasks = [getattr(s, "_task", None) for s in self.infra.subscriptions]
        return all(t is not None and not t.done() for t in tasks)


def letter_counts(
    letters: Sequence[DeadLetter], cases: Sequence[HostileRecord]
) -> Counter[tuple[str, str, str]]:
    """(case, group, reason) of every dead letter; a letter no case names is `unexpected`."""
    by_bytes = {_identity(c.read_key, c.value, dict(c.headers)): c.name for c in cases if c.reason}
    counts: Counter[tuple[str, str, str]] = Counter()
    for letter in letters:
        found = _identity(letter.record.key, letter.record.value, letter.original_headers())
        name = by_bytes.get(found, "unexpected")
        if name == "unexpected":
            name += f" key={letter.record.key!r} value={letter.record.value[:80]!r}"
        counts[(name, letter.group, letter.reason)] += 1
    return counts


def _identity(key: str | None, value: bytes, headers: dict[str, bytes]) -> tuple[object, ...]:
    """What tells cases apart: key, value and headers (the last of a repeated one)."""
    return (key, value, tuple(sorted(headers.items())))


def expected_counts(
    cases: Sequence[HostileRecord], groups: Sequence[str]
) -> Counter[tuple[str, str, str]]:
    return Counter(
        {(c.name, g, c.reason): 1 for c in cases if c.reason is not None for g in groups}
    )


def details_of(letter: DeadLetter) -> Any:
    """The machine-readable details, parsed (raises if the header is not JSON)."""
    return json.loads(letter.record.header("sinmun-dlq-details") or "")
