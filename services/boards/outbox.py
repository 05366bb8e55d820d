"""Boards' events are never lost between a write and the bus.

An event rides in the document whose write it announces (a post, a comment, a member): the
same single-document write stores the change and the serialised envelope in `outbox`, with
`outbox_pending` set — no transaction needed, as in ingest. The relay then publishes the
pending envelopes in order and drops them by compare-and-set. If the bus is down (or the
process dies) in between, the write still stands and the sweep — at start and every 30 s —
publishes what was left. A crash after a publish and before the drop re-sends that envelope
with its `event_id`, which consumers deduplicate.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from typing import Any

import structlog

from shared.ports.bus import EventBus, stored_envelope_headers
from shared.ports.storage import Collection, DocumentStorage
from shared.schemas import Envelope, Event
from shared.tasks import stop_task
from shared.topics import Topic

log = structlog.get_logger("sinmun.boards.outbox")
OUTBOX, PENDING = "outbox", "outbox_pending"
COLLECTIONS = ("members", "posts", "comments")  # the documents that carry events
MAX_TRIES = 20
SENT_MEMORY = 100_000
SWEEP_LIMIT = 500


def entry(topic: Topic, key: str, event: Event) -> dict[str, str]:
    """A pending event as stored in a document's outbox."""
    envelope = Envelope.wrap(event, "boards").model_dump_json()
    return {"topic": topic.name, "key": key, "envelope": envelope}


def queued(doc: dict[str, Any], *entries: dict[str, str]) -> dict[str, Any]:
    """The fields that add `entries` to the outbox of `doc` (for a compare-and-set)."""
    pending = [*doc.get(OUTBOX, []), *entries]
    return {OUTBOX: pending, PENDING: bool(pending)}


class BoardsOutbox:
    def __init__(self, bus: EventBus, collections: dict[str, Collection]) -> None:
        self._bus = bus
        self._collections = collections
        self._sent: OrderedDict[str, None] = OrderedDict()  # event ids already on the bus
        self._locks: dict[str, asyncio.Lock] = {}
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, storage: DocumentStorage, bus: EventBus) -> BoardsOutbox:
        return cls(bus, {name: await storage.collection(name) for name in COLLECTIONS})

    async def relay(
        self, collection: str, doc_id: str, written: dict[str, Any] | None = None
    ) -> bool:
        """Publish a document's pending events, then drop them; False if they were left for
        the sweep (the bus or the store failed: logged, never raised to the writer).
        `written`: the document as the caller just wrote it (saves reading it back)."""
        key = f"{collection}/{doc_id}"
        lock = self._locks.setdefault(key, asyncio.Lock())  # the sweep and a writer: one at a time
        try:
            async with lock:
                return await self._relay(self._collections[collection], doc_id, written)
        except Exception as exc:
            log.warning("publish_deferred", collection=collection, id=doc_id, error=repr(exc))
            return False
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    async def _relay(
        self, documents: Collection, doc_id: str, written: dict[str, Any] | None
    ) -> bool:
        for _ in range(MAX_TRIES):
            doc, written = written or await documents.get(doc_id), None
            if doc is None or not doc.get(OUTBOX):
                return True
            for pending in doc[OUTBOX]:  # in order: one key, one partition
                envelope = json.loads(pending["envelope"])
                if envelope["event_id"] in self._sent:
                    continue
                await self._bus.send(
                    pending["topic"], pending["key"], pending["envelope"].encode(),
                    stored_envelope_headers(envelope),
                )  # fmt: skip
                self._remember(envelope["event_id"])
            # Counters may have moved the document meanwhile: drop what was sent and retry.
            drained = {**doc, OUTBOX: [], PENDING: False, "version": doc["version"] + 1}
            if await documents.compare_and_set(drained, doc["version"]):
                return True
        raise RuntimeError(f"{doc_id} is changing too fast to drain its outbox")

    def _remember(self, event_id: str) -> None:
        self._sent[event_id] = None
        while len(self._sent) > SENT_MEMORY:
            self._sent.popitem(last=False)

    async def sweep(self) -> int:
        """Publish every document's leftover events; how many documents had some."""
        count = 0
        for name, documents in self._collections.items():
            for doc in await documents.find({PENDING: True}, limit=SWEEP_LIMIT):
                if await self.relay(name, doc["_id"]):
                    count += 1
        return count

    def start(self, interval_s: float = 30.0) -> None:
        self._task = asyncio.create_task(self._run(interval_s), name="boards outbox sweep")

    async def _run(self, interval_s: float) -> None:
        while True:
            try:
                if count := await self.sweep():
                    log.info("outbox_sweep", documents=count)
            except Exception as exc:  # the store is down: the next sweep tries again
                log.warning("outbox_sweep_failed", error=repr(exc))
            await asyncio.sleep(interval_s)

    async def stop(self) -> None:
        await stop_task(self._task)
