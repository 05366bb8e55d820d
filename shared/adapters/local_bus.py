"""The embedded EventBus: a durable partitioned log in SQLite, dispatched in-process.

It keeps Kafka's semantics so the services cannot tell the difference: records are appended
to partitions chosen by key, each consumer group keeps committed offsets per partition, and
a group's members split the partitions between them. Because the log is a file, a restart
resumes where each group committed, and projections can be rebuilt by replaying a topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import sqlite3
import time
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import orjson
import structlog

from shared.adapters.delivery import deliver, deliver_batch
from shared.adapters.sqlite_db import SqliteDatabase
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
from shared.topics import DLQ_SUFFIX, Topic

log = structlog.get_logger("sinmun.bus.local")

SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (
  name TEXT PRIMARY KEY, partitions INTEGER NOT NULL, retention_ms INTEGER);
CREATE TABLE IF NOT EXISTS partitions (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, partition));
CREATE TABLE IF NOT EXISTS records (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
  key TEXT, value BLOB NOT NULL, headers TEXT NOT NULL, ts_ms INTEGER NOT NULL,
  PRIMARY KEY (topic, partition, offset));
CREATE TABLE IF NOT EXISTS group_offsets (
  grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY (grp, topic, partition));
"""
FETCH_BATCH = 200
# How often a bus with subscribers looks for records other processes appended (a sender in
# this process wakes its topic's consumers at once).
WATCH_INTERVAL_S = 0.05
Append = tuple[str, int, str | None, bytes, str, int]  # topic, partition, key, value, headers, ts


def partition_for(key: str | None, partitions: int, fallback: int) -> int:
    """Same key, same partition (per-key order); keyless records spread round-robin."""
    if key is None:
        return fallback % partitions
    return zlib.crc32(key.encode()) % partitions


class LocalBus:
    def __init__(self, path: Path, default_partitions: int = 3) -> None:
        self._db = SqliteDatabase(path)
        self._default_partitions = default_partitions
        self._partitions: dict[str, int] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._groups: dict[tuple[str, str], list[LocalSubscription]] = {}
        self._locks: dict[tuple[str, str, int], asyncio.Lock] = {}
        self._round_robin = itertools.count()
        # Group append: sends that arrive while an append is being committed go in the next.
        self._appends: list[tuple[Append, asyncio.Future[None]]] = []
        self._appending: asyncio.Task[None] | None = None
        self._watching: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._db.open()
        await self._db.script(SCHEMA)
        await self._db.write(self._prune_expired)
        rows = await self._db.read(
            lambda c: c.execute("SELECT name, partitions FROM topics").fetchall()
        )
        self._partitions = {name: n for name, n in rows}

    @staticmethod
    def _prune_expired(conn: sqlite3.Connection) -> None:
        now = int(time.time() * 1000)
        conn.execute(
            "DELETE FROM records WHERE ts_ms < ? - (SELECT retention_ms FROM topics t "
            "WHERE t.name = records.topic AND t.retention_ms IS NOT NULL)",
            (now,),
        )

    async def stop(self) -> None:
        await stop_task(self._watching)
        self._watching = None
        for members in list(self._groups.values()):
            for member in list(members):
                await member.stop()
        await self._db.close()

    async def _watch_other_processes(self) -> None:
        """Wake the subscribed topics when another connection has committed to the log.

        `PRAGMA data_version` on a connection of its own changes whenever any other
        connection commits (another process's sends, and this process's own writes); it
        reads the WAL index in shared memory, no page, so it is asked on the event loop. A
        wake-up is only a hint: each consumer fetches from its committed offsets.
        """
        conn = sqlite3.connect(self._db.path, isolation_level=None, check_same_thread=False)
        try:
            (seen,) = conn.execute("PRAGMA data_version").fetchone()
            while True:
                await asyncio.sleep(WATCH_INTERVAL_S)
                try:
                    (version,) = conn.execute("PRAGMA data_version").fetchone()
                except sqlite3.Error as exc:  # e.g. locked for a moment: ask again next time
                    log.warning("bus_watch_failed", error=repr(exc))
                    continue
                if version != seen:
                    seen = version
                    for (_, topic), members in list(self._groups.items()):
                        if members:
                            self._wake(topic)
        finally:
            conn.close()

    async def ensure_topics(self, topics: list[Topic]) -> None:
        for t in topics:
            await self._ensure(t.name, t.partitions, t.retention_ms)

    async def _ensure(self, name: str, partitions: int, retention_ms: int | None) -> int:
        if name not in self._partitions:

            def create(conn: sqlite3.Connection) -> int:
                conn.execute(
                    "INSERT OR IGNORE INTO topics VALUES (?, ?, ?)",
                    (name, partitions, retention_ms),
                )
                (count,) = conn.execute(
                    "SELECT partitions FROM topics WHERE name = ?", (name,)
                ).fetchone()
                conn.executemany(
                    "INSERT OR IGNORE INTO partitions VALUES (?, ?, 0)",
                    [(name, p) for p in range(count)],
                )
                return int(count)

            self._partitions[name] = await self._db.write(create)
        return self._partitions[name]

    async def _auto_create(self, name: str) -> int:
        partitions = 1 if name.endswith(DLQ_SUFFIX) else self._default_partitions
        return await self._ensure(name, partitions, None)

    async def send(
        self,
        topic: str,
        key: str | None,
        value: bytes,
        headers: Mapping[str, bytes] | None = None,
    ) -> None:
        await self._append(topic, [Outgoing(key, value, headers)])

    async def send_many(self, topic: str, records: Sequence[Outgoing]) -> list[Exception | None]:
        """One append for all of them (one transaction): all stored, or none."""
        if not records:
            return []
        try:
            await self._append(topic, records)
        except Exception as exc:  # e.g. the disk is full: none of them was stored
            return [exc] * len(records)
        return [None] * len(records)

    async def _append(self, topic: str, records: Sequence[Outgoing]) -> None:
        """Queue the records for the next group append (sharing one future: a group is one
        transaction) and wait until it is committed."""
        partitions = await self._auto_create(topic)
        ts = int(time.time() * 1000)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for key, value, headers in records:
            partition = partition_for(key, partitions, next(self._round_robin))
            as_text = {k: v.decode("latin-1") for k, v in (headers or {}).items()}
            encoded = orjson.dumps(as_text).decode()
            self._appends.append(((topic, partition, key, value, encoded, ts), future))
        if self._appending is None:
            self._appending = asyncio.create_task(self._append_groups(), name="bus append")
        await future
        self._wake(topic)

    async def _append_groups(self) -> None:
        """Append the waiting sends, a group at a time: one write (one transaction, one
        offset read and update per partition) for all the sends that arrived meanwhile,
        in the order they were sent. Each sender returns once its group is committed."""
        try:
            while self._appends:
                group, self._appends = self._appends, []
                try:
                    await self._db.write(functools.partial(self._append_all, [a for a, _ in group]))
                except asyncio.CancelledError:
                    for _, future in [*group, *self._appends]:
                        future.cancel()
                    raise
                except Exception as exc:  # e.g. the disk is full: each of these sends failed
                    for _, future in group:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for _, future in group:
                    if not future.done():
                        future.set_result(None)
        finally:
            self._appending = None

    @staticmethod
    def _append_all(appends: list[Append], conn: sqlite3.Connection) -> None:
        by_partition: dict[tuple[str, int], list[Append]] = {}
        for append in appends:
            by_partition.setdefault((append[0], append[1]), []).append(append)
        for (topic, partition), records in by_partition.items():
            (offset,) = conn.execute(
                "SELECT next_offset FROM partitions WHERE topic = ? AND partition = ?",
                (topic, partition),
            ).fetchone()
            conn.executemany(
                "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (topic, partition, offset + n, key, value, headers, ts)
                    for n, (_, _, key, value, headers, ts) in enumerate(records)
                ],
            )
            conn.execute(
                "UPDATE partitions SET next_offset = ? WHERE topic = ? AND partition = ?",
                (offset + len(records), topic, partition),
            )

    async def publish(self, topic: str, key: str, envelope: Envelope[Any]) -> None:
        await self.send(topic, key, envelope.model_dump_json().encode(), envelope_headers(envelope))

    def _wake(self, topic: str) -> None:
        event = self._wakeups.pop(topic, None)
        if event is not None:
            event.set()

    def wakeup(self, topic: str) -> asyncio.Event:
        return self._wakeups.setdefault(topic, asyncio.Event())

    async def subscribe(
        self,
        topic: str,
        group: str,
        handler: Handler,
        policy: DeliveryPolicy | None = None,
    ) -> LocalSubscription:
        return await self._join(LocalSubscription(self, topic, group, handler, policy))

    async def subscribe_batches(
        self,
        topic: str,
        group: str,
        handler: BatchHandler,
        policy: DeliveryPolicy | None = None,
    ) -> LocalSubscription:
        return await self._join(
            LocalSubscription(self, topic, group, handler, policy, batches=True)
        )

    async def _join(self, member: LocalSubscription) -> LocalSubscription:
        group, topic = member.group, member.topic
        partitions = await self._auto_create(topic)
        self._groups.setdefault((group, topic), []).append(member)
        self._rebalance(group, topic, partitions)
        member.begin()
        if self._watching is None:
            self._watching = asyncio.create_task(self._watch_other_processes(), name="bus watch")
        return member

    def _rebalance(self, group: str, topic: str, partitions: int) -> None:
        members = self._groups.get((group, topic), [])
        for index, member in enumerate(members):
            member.assigned = frozenset(p for p in range(partitions) if p % len(members) == index)

    def _leave(self, member: LocalSubscription) -> None:
        members = self._groups.get((member.group, member.topic), [])
        if member in members:
            members.remove(member)
            self._rebalance(member.group, member.topic, self._partitions[member.topic])
            self._wake(member.topic)

    def partition_lock(self, group: str, topic: str, partition: int) -> asyncio.Lock:
        return self._locks.setdefault((group, topic, partition), asyncio.Lock())

    async def fetch(self, group: str, topic: str, partition: int) -> list[Record]:
        def query(conn: sqlite3.Connection) -> list[Any]:
            return conn.execute(
                "SELECT offset, key, value, headers, ts_ms FROM records WHERE topic = ? AND "
                "partition = ? AND offset >= COALESCE((SELECT next_offset FROM group_offsets "
                "WHERE grp = ? AND topic = ? AND partition = ?), 0) ORDER BY offset LIMIT ?",
                (topic, partition, group, topic, partition, FETCH_BATCH),
            ).fetchall()

        return self._records(topic, partition, await self._db.read(query))

    async def read(self, topic: str, partition: int, start: int, stop: int) -> list[Record]:
        def query(conn: sqlite3.Connection) -> list[Any]:
            return conn.execute(
                "SELECT offset, key, value, headers, ts_ms FROM records WHERE topic = ? AND "
                "partition = ? AND offset >= ? AND offset < ? ORDER BY offset",
                (topic, partition, start, stop),
            ).fetchall()

        return self._records(topic, partition, await self._db.read(query))

    @staticmethod
    def _records(topic: str, partition: int, rows: list[Any]) -> list[Record]:
        return [
            Record(
                topic=topic,
                partition=partition,
                offset=offset,
                key=key,
                value=bytes(value),
                headers={k: v.encode("latin-1") for k, v in orjson.loads(headers).items()},
                timestamp_ms=ts,
            )
            for offset, key, value, headers, ts in rows
        ]

    async def commit(self, group: str, topic: str, partition: int, next_offset: int) -> None:
        await self._db.write(
            lambda c: c.execute(
                "INSERT INTO group_offsets VALUES (?, ?, ?, ?) ON CONFLICT (grp, topic, partition) "
                "DO UPDATE SET next_offset = excluded.next_offset",
                (group, topic, partition, next_offset),
            )
        )

    async def end_offsets(self, topic: str) -> dict[int, int]:
        """The next offset of each partition (the records appended so far), as Kafka reports it."""
        rows = await self._db.read(
            lambda c: c.execute(
                "SELECT partition, next_offset FROM partitions WHERE topic = ?", (topic,)
            ).fetchall()
        )
        return {int(p): int(n) for p, n in rows}

    async def consumer_lag(self) -> dict[tuple[str, str, int], int]:
        """Per (group, topic, partition) with members here: end offset minus committed."""
        subscribed = [key for key, members in self._groups.items() if members]

        def query(conn: sqlite3.Connection) -> list[Any]:
            return [
                (group, *row)
                for group, topic in subscribed
                for row in conn.execute(
                    "SELECT p.topic, p.partition, p.next_offset - COALESCE(g.next_offset, 0) "
                    "FROM partitions p LEFT JOIN group_offsets g ON g.grp = ? "
                    "AND g.topic = p.topic AND g.partition = p.partition WHERE p.topic = ?",
                    (group, topic),
                ).fetchall()
            ]

        rows = await self._db.read(query) if subscribed else []
        return {(g, t, int(p)): int(lag) for g, t, p, lag in rows}

    async def ping(self) -> bool:
        return await self._db.ping()


class LocalSubscription:
    """One member of a consumer group on the embedded log."""

    def __init__(
        self,
        bus: LocalBus,
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
        self._task: asyncio.Task[None] | None = None

    def begin(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"consume {self.group}/{self.topic}")

    async def wait_assigned(self, timeout: float = 30.0) -> None:
        return None  # assignment is synchronous in-process

    async def _run(self) -> None:
        while True:
            wakeup = self.bus.wakeup(self.topic)
            progressed = False
            try:
                # Partitions are independent (order holds within one), so drain them side by side.
                drained = await asyncio.gather(*(self._drain(p) for p in sorted(self.assigned)))
                progressed = any(drained)
            except (sqlite3.Error, OSError) as exc:
                # e.g. the dead-letter write failed: nothing was committed, so try again later
                log.error("consume_failed", topic=self.topic, group=self.group, error=repr(exc))
            if not progressed:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow our cancellation
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await wakeup.wait()

    async def _drain(self, partition: int) -> bool:
        """Handle one batch of `partition`; the lock keeps a rebalance from splitting a record."""
        async with self.bus.partition_lock(self.group, self.topic, partition):
            records = await self.bus.fetch(self.group, self.topic, partition)
            if self.batches:
                if not records or partition not in self.assigned:
                    return False
                handler = cast(BatchHandler, self.handler)
                await deliver_batch(records, self.group, handler, self.policy, self.bus.send)
                await self.bus.commit(self.group, self.topic, partition, records[-1].offset + 1)
                return True
            handled = False
            for record in records:
                if partition not in self.assigned:
                    break
                await deliver(
                    record, self.group, cast(Handler, self.handler), self.policy, self.bus.send
                )
                await self.bus.commit(self.group, self.topic, partition, record.offset + 1)
                handled = True
            return handled

    async def stop(self) -> None:
        self.bus._leave(self)
        await stop_task(self._task)
        self._task = None
