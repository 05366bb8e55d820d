"""The distributed EventBus on Apache Kafka (aiokafka).

Producer: idempotent, acks=all, so an acknowledged record is on every in-sync replica and a
retried send never duplicates. Consumers: one AIOKafkaConsumer per group member, auto-commit
off; a batch's offsets are committed after its handlers returned. A rebalance waits for the
batch in hand (the revoke callback takes the same lock), so two members never both handle a
record while the group is stable.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError

from shared.adapters.delivery import deliver, deliver_batch
from shared.ports.bus import (
    BatchHandler,
    DeliveryPolicy,
    Handler,
    Outgoing,
    Record,
    envelope_headers,
)
from shared.schemas.envelope import Envelope
from shared.tasks import stop_task
from shared.topics import DLQ_HEADROOM_BYTES, DLQ_SUFFIX, LARGE_MESSAGE_BYTES, Topic

log = structlog.get_logger("sinmun.bus.kafka")


class KafkaBus:
    def __init__(
        self,
        bootstrap_servers: str,
        client_id: str = "sinmun",
        replication_factor: int = 1,
        default_partitions: int = 3,
        namespace: str = "",
    ) -> None:
        # A namespace prefixes every topic and group name, so several papers (or test runs)
        # can share one cluster; services and records only ever see the plain names.
        self.namespace = namespace
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._replication = replication_factor
        self._default_partitions = default_partitions
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._known: set[str] = set()
        self._members: list[KafkaSubscription] = []

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            max_request_size=LARGE_MESSAGE_BYTES + DLQ_HEADROOM_BYTES + 64 * 1024,
        )
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap, client_id=self._client_id + "-admin"
        )
        try:
            await self._producer.start()
            await self._admin.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        for member in list(self._members):
            await member.stop()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    def _admin_client(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            raise RuntimeError("KafkaBus is not started")
        return self._admin

    async def ensure_topics(self, topics: list[Topic]) -> None:
        await self._create(
            [
                NewTopic(
                    self.namespace + t.name,
                    t.partitions,
                    self._replication,
                    topic_configs=t.kafka_config(),
                )
                for t in topics
            ]
        )

    async def _create(self, new: list[NewTopic]) -> None:
        admin = self._admin_client()
        existing = set(await admin.list_topics())
        missing = [t for t in new if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            await self._await_metadata([t.name for t in missing])
        self._known.update(t.name for t in new)

    async def _await_metadata(self, names: list[str]) -> None:
        """Wait until the new topics' partitions have leaders, so the first send does not fail."""
        producer = self._producer
        if producer is None:
            return
        for name in names:
            for _ in range(100):
                if await producer.partitions_for(name):
                    break
                await asyncio.sleep(0.1)

    async def end_offsets(self, topic: str) -> dict[int, int]:
        """The next offset of each partition (what has been appended so far)."""
        if self._producer is None:
            raise RuntimeError("KafkaBus is not started")
        await self._auto_create(topic)
        partitions = await self._producer.partitions_for(self.namespace + topic)
        tps = [TopicPartition(self.namespace + topic, p) for p in sorted(partitions)]
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, client_id=self._client_id + "-offsets"
        )
        await consumer.start()
        try:
            ends = await consumer.end_offsets(tps) if tps else {}
        finally:
            await consumer.stop()
        return {tp.partition: int(offset) for tp, offset in ends.items()}

    async def read(self, topic: str, partition: int, start: int, stop: int) -> list[Record]:
        if stop <= start:
            return []
        tp = TopicPartition(self.namespace + topic, partition)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id + "-reader",
            enable_auto_commit=False,
            # A start before the log's (retention deleted it) reads from the oldest record.
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=LARGE_MESSAGE_BYTES + DLQ_HEADROOM_BYTES + 64 * 1024,
        )
        await consumer.start()
        records: list[Record] = []
        try:
            consumer.assign([tp])
            consumer.seek(tp, start)
            # Offsets may have gaps (retention, transaction markers): read until the position.
            while await consumer.position(tp) < stop:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                if not batch:
                    break  # nothing more arrives: `stop` was past the end
                records += [kafka_record(topic, m) for m in batch.get(tp, []) if m.offset < stop]
        finally:
            await consumer.stop()
        return records

    async def _auto_create(self, name: str) -> None:
        full = self.namespace + name
        if full not in self._known:
            partitions = 1 if name.endswith(DLQ_SUFFIX) else self._default_partitions
            await self._create([NewTopic(full, partitions, self._replication)])

    async def send(
        self,
        topic: str,
        key: str | None,
        value: bytes,
        headers: Mapping[str, bytes] | None = None,
    ) -> None:
        if self._producer is None:
            raise RuntimeError("KafkaBus is not started")
        await self._auto_create(topic)
        await (await self._queue(topic, key, value, headers))

    async def _queue(
        self, topic: str, key: str | None, value: bytes, headers: Mapping[str, bytes] | None
    ) -> asyncio.Future[Any]:
        """Hand one record to the producer (it batches per partition); its acknowledgement."""
        if self._producer is None:
            raise RuntimeError("KafkaBus is not started")
        return cast(
            "asyncio.Future[Any]",
            await self._producer.send(
                self.namespace + topic,
                value,
                key=None if key is None else key.encode(),
                headers=list((headers or {}).items()),
            ),
        )

    async def send_many(self, topic: str, records: Sequence[Outgoing]) -> list[Exception | None]:
        """Every record handed to the producer first (it batches them per partition), then
        every acknowledgement awaited."""
        if self._producer is None:
            raise RuntimeError("KafkaBus is not started")
        if not records:
            return []
        await self._auto_create(topic)
        pending: list[asyncio.Future[Any] | Exception] = []
        for key, value, headers in records:
            try:
                pending.append(await self._queue(topic, key, value, headers))
            except KafkaError as exc:  # refused before it was queued (e.g. too large)
                pending.append(exc)
        futures = [p for p in pending if isinstance(p, asyncio.Future)]
        acks = iter(await asyncio.gather(*futures, return_exceptions=True))
        outcomes: list[Exception | None] = []
        for queued in pending:
            outcome = queued if isinstance(queued, Exception) else next(acks)
            if isinstance(outcome, Exception):
                outcomes.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome  # cancelled: the caller is shutting down
            else:
                outcomes.append(None)
        return outcomes

    async def publish(self, topic: str, key: str, envelope: Envelope[Any]) -> None:
        await self.send(topic, key, envelope.model_dump_json().encode(), envelope_headers(envelope))

    async def subscribe(
        self,
        topic: str,
        group: str,
        handler: Handler,
        policy: DeliveryPolicy | None = None,
    ) -> KafkaSubscription:
        return await self._join(KafkaSubscription(self, topic, group, handler, policy))

    async def subscribe_batches(
        self,
        topic: str,
        group: str,
        handler: BatchHandler,
        policy: DeliveryPolicy | None = None,
    ) -> KafkaSubscription:
        return await self._join(
            KafkaSubscription(self, topic, group, handler, policy, batches=True)
        )

    async def _join(self, member: KafkaSubscription) -> KafkaSubscription:
        await self._auto_create(member.topic)
        await member.begin()
        self._members.append(member)
        return member

    def consumer(self, group: str) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}-{group}",
            group_id=self.namespace + group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=200,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
            metadata_max_age_ms=30_000,
        )

    def forget(self, member: KafkaSubscription) -> None:
        if member in self._members:
            self._members.remove(member)

    async def consumer_lag(self) -> dict[tuple[str, str, int], int]:
        """Per (group, topic, partition) a member here owns: end offset minus committed."""
        lag: dict[tuple[str, str, int], int] = {}
        for member in list(self._members):
            lag.update(await member.lag())
        return lag

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(5):
                await self._admin_client().describe_cluster()
        except (KafkaError, TimeoutError, RuntimeError, OSError):
            return False
        return True


def kafka_record(topic: str, msg: Any) -> Record:
    """A consumed Kafka message as the port's Record (the topic without the namespace)."""
    return Record(
        topic=topic,
        partition=msg.partition,
        offset=msg.offset,
        key=None if msg.key is None else msg.key.decode("utf-8", "replace"),
        value=msg.value or b"",
        headers={k: v or b"" for k, v in msg.headers},
        timestamp_ms=msg.timestamp,
    )


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, member: KafkaSubscription) -> None:
        self.member = member

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Let the batch in hand finish and commit before another member takes its partitions.
        async with self.member.batch_lock:
            self.member.assigned = frozenset()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.member.assigned = frozenset(tp.partition for tp in assigned)
        self.member.assignment_settled.set()


class KafkaSubscription:
    """One member of a consumer group: its own consumer and consume task."""

    def __init__(
        self,
        bus: KafkaBus,
        topic: str,
        group: str,
        handler: Handler | BatchHandler,
        policy: DeliveryPolicy | None,
        *,
        batches: bool = False,
    ) -> None:
        self.bus, self.topic, self.group = bus, topic, group
        self.handler, self.policy = handler, policy or DeliveryPolicy()
        self.batches = batches
        self.assigned: frozenset[int] = frozenset()
        self.assignment_settled = asyncio.Event()
        self.batch_lock = asyncio.Lock()
        self._consumer = bus.consumer(group)
        self._task: asyncio.Task[None] | None = None

    async def begin(self) -> None:
        self._consumer.subscribe([self.bus.namespace + self.topic], listener=_Rebalance(self))
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name=f"consume {self.group}/{self.topic}")

    async def wait_assigned(self, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            await self.assignment_settled.wait()

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=500)
            async with self.batch_lock:
                # Partitions are independent (order holds within one): handle them side by side.
                await asyncio.gather(*(self._handle_batch(tp, m) for tp, m in batches.items()))

    def _record(self, msg: Any) -> Record:
        return kafka_record(self.topic, msg)

    async def _handle_batch(self, tp: TopicPartition, messages: list[Any]) -> None:
        if self.batches:
            await self._handle_as_one(tp, messages)
            return
        done: int | None = None
        handler = cast(Handler, self.handler)
        try:
            for msg in messages:
                if tp not in self._consumer.assignment():
                    break
                record = self._record(msg)
                try:
                    await deliver(record, self.group, handler, self.policy, self.bus.send)
                except (KafkaError, OSError) as exc:
                    # The dead-letter write failed: rewind so the record is fetched again.
                    log.error("consume_failed", topic=self.topic, group=self.group, error=repr(exc))
                    self._consumer.seek(tp, msg.offset)
                    await asyncio.sleep(1.0)
                    break
                done = msg.offset + 1
        finally:
            # Commit what was handled even when cancelled mid-batch: those effects are durable.
            if done is not None:
                await self._commit(tp, done)

    async def _handle_as_one(self, tp: TopicPartition, messages: list[Any]) -> None:
        """The fetched run of one partition through the batch handler, then one commit."""
        if not messages or tp not in self._consumer.assignment():
            return
        records = [self._record(msg) for msg in messages]
        handler = cast(BatchHandler, self.handler)
        try:
            await deliver_batch(records, self.group, handler, self.policy, self.bus.send)
        except (KafkaError, OSError) as exc:
            # A dead-letter write failed: rewind so the batch is fetched again (idempotent).
            log.error("consume_failed", topic=self.topic, group=self.group, error=repr(exc))
            self._consumer.seek(tp, messages[0].offset)
            await asyncio.sleep(1.0)
            return
        await self._commit(tp, messages[-1].offset + 1)

    async def _commit(self, tp: TopicPartition, next_offset: int) -> None:
        try:
            await asyncio.shield(self._consumer.commit({tp: next_offset}))
        except (CommitFailedError, KafkaError) as exc:
            # The partition moved on; its new owner resumes at the last commit (at-least-once).
            log.warning("commit_failed", topic=self.topic, group=self.group, error=repr(exc))

    async def lag(self) -> dict[tuple[str, str, int], int]:
        """Per owned partition: the high watermark of the last fetch minus the group's committed
        offset, as `kafka-consumer-groups.sh` and KEDA count it (records fetched but still in
        hand count as lag)."""
        lag: dict[tuple[str, str, int], int] = {}
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue  # nothing fetched yet: unknown, not zero
            try:
                async with asyncio.timeout(2.0):
                    committed = await self._consumer.committed(tp)
            except (KafkaError, TimeoutError):
                continue  # revoked meanwhile, or the coordinator is moving
            # Nothing committed yet: the group starts from the earliest record (offset 0).
            lag[(self.group, self.topic, tp.partition)] = max(0, highwater - (committed or 0))
        return lag

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None
        await self._consumer.stop()
        self.bus.forget(self)
