"""Document storage on the MongoDB wire protocol (PyMongo's async API).

Written for the subset FerretDB v1 supports as well as MongoDB: single-document writes
only (no transactions), compound unique indexes, filters with comparison operators.

FerretDB v1 (SQLite backend) checks an update's filter and writes the document in two steps,
so two `replace_one({"_id": x, "version": 3}, …)` racing can both succeed (measured: 20
concurrent compare-and-set increments left the counter at 2 to 10). On FerretDB the adapter
therefore serialises writers per version with a claim: inserting `{_id: "<coll>/<id>/<version>"}`
into `_cas_claims` is atomic (a primary key), so exactly one writer per expected version goes
on to the replace. MongoDB itself needs no claim and gets none.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from pymongo import ASCENDING, AsyncMongoClient, InsertOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError
from pymongo.errors import DuplicateKeyError as MongoDuplicateKeyError

from shared.ports.storage import (
    Collection,
    CompareAndSet,
    Document,
    DuplicateKeyError,
    Filter,
    IndexSpec,
    Insert,
    Put,
    SortSpec,
    StorageError,
    WriteOp,
    WriteResult,
    check_batch,
    check_document,
    check_filter,
)


def _query(where: Filter | None) -> dict[str, Any]:
    if not where:
        return {}
    check_filter(where)
    return dict(where)


def _duplicate_or(exc: PyMongoError) -> Exception:
    """A unique-key clash as DuplicateKeyError: MongoDB says 11000; FerretDB, on the update
    path, code 1 with SQLite's "UNIQUE constraint failed". Anything else stays as it is."""
    if isinstance(exc, MongoDuplicateKeyError) or "UNIQUE constraint failed" in str(exc):
        return DuplicateKeyError(str(exc))
    return exc


def _checked(doc: Document) -> Document:
    check_document(doc)
    if not isinstance(doc.get("_id"), str) or not doc["_id"]:
        raise StorageError("a document needs a non-empty string `_id`")
    return doc


CLAIM_TIMEOUT = timedelta(seconds=10)
SWEEP_INTERVAL = timedelta(seconds=60)  # how often the void claims are deleted
BUSY = "SQLITE_BUSY"
BUSY_TRIES = 6
FERRETDB_WRITERS = 4  # concurrent replaces of one write_many on FerretDB


class BusyRetrying:
    """A collection whose calls are retried when FerretDB's SQLite backend reports a locked
    database (code 1, "database is locked (SQLITE_BUSY)"): the write did not happen, so it is
    safe to try again; seen under a few hundred concurrent requests."""

    def __init__(self, inner: AsyncCollection[Document]) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def retrying(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(BUSY_TRIES):
                try:
                    return await attr(*args, **kwargs)
                except OperationFailure as exc:
                    # A bulk write's error is partial (some operations landed): not retried
                    # whole here; `MongoCollection.write_many` retries the locked ones alone.
                    partial = isinstance(exc, BulkWriteError)
                    if partial or BUSY not in str(exc) or attempt == BUSY_TRIES - 1:
                        raise
                    await asyncio.sleep(0.01 * 2**attempt)
            raise AssertionError("unreachable")

        return retrying


class VersionClaims:
    """Atomic per-version claims for backends whose conditional updates are not atomic.

    A claim only matters while its writer is between claim and replace; one older than
    CLAIM_TIMEOUT is void already (`_take_over` replaces it). So at most once per
    SWEEP_INTERVAL the writes sweep the void ones away, and the collection holds the last
    minutes' claims instead of one per version ever written.
    """

    def __init__(self, claims: AsyncCollection[Document]) -> None:
        self._claims = claims
        self._swept_at: datetime | None = None

    async def create(self) -> None:
        await self._claims.create_index([("at", ASCENDING)])

    async def sweep(self, now: datetime | None = None) -> int:
        """Delete the void claims; how many. A failure (a locked database) waits for the
        next sweep: claims left behind are harmless."""
        now = now or datetime.now(UTC)
        self._swept_at = now
        try:
            result = await self._claims.delete_many({"at": {"$lt": now - CLAIM_TIMEOUT}})
        except PyMongoError:
            return 0
        return result.deleted_count

    async def _sweep_if_due(self) -> None:
        now = datetime.now(UTC)
        if self._swept_at is None:
            self._swept_at = now  # the first sweep a full interval after start
        elif now - self._swept_at >= SWEEP_INTERVAL:
            await self.sweep(now)

    async def acquire_many(self, keys: list[str]) -> list[bool]:
        """`acquire` for many keys with one insert for all (the usual case: none is taken).

        A key whose insert failed for another reason (a locked database) is not acquired:
        its compare-and-set reports a conflict and the caller tries again.
        """
        await self._sweep_if_due()
        taken: dict[int, bool] = {}
        try:
            await self._claims.insert_many(
                [{"_id": key, "at": datetime.now(UTC)} for key in keys], ordered=False
            )
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                taken[error["index"]] = _is_duplicate(error)
        return [
            True if i not in taken else (taken[i] and await self._take_over(key))
            for i, key in enumerate(keys)
        ]

    async def acquire(self, key: str) -> bool:
        await self._sweep_if_due()
        try:
            await self._claims.insert_one({"_id": key, "at": datetime.now(UTC)})
        except MongoDuplicateKeyError:
            return await self._take_over(key)
        return True

    async def _take_over(self, key: str) -> bool:
        """A writer that died between claim and replace must not block the version forever."""
        now = datetime.now(UTC)
        stale = await self._claims.delete_one({"_id": key, "at": {"$lt": now - CLAIM_TIMEOUT}})
        if stale.deleted_count != 1:
            return False
        try:
            await self._claims.insert_one({"_id": key, "at": now})
        except MongoDuplicateKeyError:
            return False
        return True


def _is_duplicate(error: Mapping[str, Any]) -> bool:
    """A bulk write error that is a unique-key clash (MongoDB 11000; FerretDB's SQLite text)."""
    return error.get("code") == 11000 or "UNIQUE constraint failed" in str(error.get("errmsg"))


def _is_busy(error: Mapping[str, Any]) -> bool:
    return BUSY in str(error.get("errmsg"))


class MongoCollection:
    def __init__(
        self, collection: AsyncCollection[Document], claims: VersionClaims | None = None
    ) -> None:
        self._c = collection
        self._claims = claims

    async def create(self, indexes: Sequence[IndexSpec]) -> None:
        for index in indexes:
            await self._c.create_index(
                [(f, ASCENDING) for f in index.fields], unique=index.unique, name=index.name
            )

    async def insert(self, doc: Document) -> None:
        try:
            await self._c.insert_one(dict(_checked(doc)))
        except (MongoDuplicateKeyError, OperationFailure) as exc:
            raise _duplicate_or(exc) from exc

    async def put(self, doc: Document) -> None:
        try:
            await self._c.replace_one({"_id": _checked(doc)["_id"]}, doc, upsert=True)
        except (MongoDuplicateKeyError, OperationFailure) as exc:
            raise _duplicate_or(exc) from exc

    async def get(self, doc_id: str) -> Document | None:
        return await self._c.find_one({"_id": doc_id})

    async def find(
        self,
        where: Filter | None = None,
        sort: SortSpec = (),
        limit: int | None = None,
        skip: int = 0,
    ) -> list[Document]:
        cursor = self._c.find(_query(where), sort=[*sort, ("_id", ASCENDING)], skip=skip)
        if limit is not None:
            cursor = cursor.limit(limit)
        return await cursor.to_list()

    async def count(self, where: Filter | None = None) -> int:
        return await self._c.count_documents(_query(where))

    async def compare_and_set(self, doc: Document, expected_version: int) -> bool:
        doc_id = _checked(doc)["_id"]
        query: dict[str, Any] = {"_id": doc_id, "version": expected_version}
        if self._claims is not None:
            if not await self._claims.acquire(f"{self._c.name}/{doc_id}/{expected_version}"):
                return False
            # Holding the claim, no other compare-and-set can move this version: check it
            # here and replace by primary key (FerretDB scans for a filter beyond `_id`).
            current = await self._c.find_one({"_id": doc_id}, projection={"version": True})
            if current is None or current.get("version") != expected_version:
                return False
            query = {"_id": doc_id}
        try:
            result = await self._c.replace_one(query, doc)
        except (MongoDuplicateKeyError, OperationFailure) as exc:
            raise _duplicate_or(exc) from exc
        return result.matched_count == 1

    async def delete(self, doc_id: str) -> bool:
        return (await self._c.delete_one({"_id": doc_id})).deleted_count == 1

    async def delete_many(self, doc_ids: Sequence[str]) -> int:
        """One `delete_many` with `$in` (on FerretDB ~0.25 ms a document, a quarter of a
        single replace's cost)."""
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return 0
        return (await self._c.delete_many({"_id": {"$in": ids}})).deleted_count

    async def write_many(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """MongoDB: one unordered bulk write. FerretDB: one claim insert and one version read
        for all the compare-and-sets, one insert command, then the replaces side by side."""
        check_batch(ops)
        for op in ops:
            _checked(op.doc)
        results: dict[int, WriteResult] = {}
        inserts = [(i, op.doc) for i, op in enumerate(ops) if isinstance(op, Insert)]
        replaces = [
            Replace(i, {"_id": op.doc["_id"]}, op.doc, upsert=True)
            for i, op in enumerate(ops)
            if isinstance(op, Put)
        ]
        cas = [(i, op) for i, op in enumerate(ops) if isinstance(op, CompareAndSet)]
        if cas and self._claims is None:
            replaces += [
                Replace(i, {"_id": op.doc["_id"], "version": op.expected_version}, op.doc)
                for i, op in cas
            ]
        elif cas:
            replaces += await self._claimed_replaces(cas, results)
        if self._claims is None:
            await self._bulk_write([(i, InsertOne(d)) for i, d in inserts], results)
            # A bulk result does not say which replace matched: each is its own call.
            outcomes = await asyncio.gather(*(self._replace(r) for r in replaces))
        else:
            # FerretDB v1 deadlocks on an update command of many statements (each one's
            # cursor holds a pooled connection the next statement waits for; seen with 20
            # replaces, and it hangs the whole server), so replaces go one command each.
            # A few at a time: FerretDB's SQLite writes one at a time, and a crowd of
            # concurrent writers only earns SQLITE_BUSY answers and back-off.
            insert_all = self._bulk_write([(i, InsertOne(d)) for i, d in inserts], results)
            gate = asyncio.Semaphore(FERRETDB_WRITERS)

            async def gated(replace: Replace) -> WriteResult:
                async with gate:
                    return await self._replace(replace)

            _, *rest = await asyncio.gather(insert_all, *(gated(r) for r in replaces))
            outcomes = cast("list[WriteResult]", rest)
        results.update((r.index, outcome) for r, outcome in zip(replaces, outcomes, strict=True))
        return [results[i] for i in range(len(ops))]

    async def _replace(self, replace: Replace) -> WriteResult:
        try:
            result = await self._c.replace_one(replace.query, replace.doc, upsert=replace.upsert)
        except (MongoDuplicateKeyError, OperationFailure) as exc:
            error = _duplicate_or(exc)
            if isinstance(error, DuplicateKeyError):
                return WriteResult.DUPLICATE
            raise error from exc
        if replace.upsert or result.matched_count == 1:
            return WriteResult.OK
        return WriteResult.CONFLICT

    async def _claimed_replaces(
        self, cas: list[tuple[int, CompareAndSet]], results: dict[int, WriteResult]
    ) -> list[Replace]:
        """The replaces of the compare-and-sets whose claim we got and whose version held;
        the others are conflicts."""
        assert self._claims is not None
        keys = [f"{self._c.name}/{op.doc['_id']}/{op.expected_version}" for _, op in cas]
        claimed = await self._claims.acquire_many(keys)
        held = [(i, op) for (i, op), ok in zip(cas, claimed, strict=True) if ok]
        ids = [op.doc["_id"] for _, op in held]
        found = await self._c.find({"_id": {"$in": ids}}, projection={"version": True}).to_list()
        versions = {d["_id"]: d.get("version") for d in found}
        held_at = {i for i, _ in held}
        replaces: list[Replace] = []
        for i, op in cas:
            if i in held_at and versions.get(op.doc["_id"]) == op.expected_version:
                # Holding the claim, no other writer moves this version: replace by `_id`.
                replaces.append(Replace(i, {"_id": op.doc["_id"]}, op.doc))
            else:
                results[i] = WriteResult.CONFLICT
        return replaces

    async def _bulk_write(
        self, requests: list[tuple[int, InsertOne[Document]]], results: dict[int, WriteResult]
    ) -> None:
        """Run the inserts unordered; clashes become results, locked ones are tried again."""
        for attempt in range(BUSY_TRIES):
            if not requests:
                return
            try:
                await self._c.bulk_write([r for _, r in requests], ordered=False)
            except BulkWriteError as exc:
                errors = {e["index"]: e for e in exc.details.get("writeErrors", [])}
            else:
                errors = {}
            retry = []
            for n, (i, request) in enumerate(requests):
                error = errors.get(n)
                if error is None:
                    results[i] = WriteResult.OK
                elif _is_duplicate(error):
                    results[i] = WriteResult.DUPLICATE
                elif _is_busy(error) and attempt < BUSY_TRIES - 1:
                    retry.append((i, request))
                else:
                    raise OperationFailure(str(error.get("errmsg")), error.get("code"))
            requests = retry
            if requests:
                await asyncio.sleep(0.01 * 2**attempt)


@dataclass(frozen=True)
class Replace:
    """One replace of a batch: the operation's index, its filter, the new document."""

    index: int
    query: dict[str, Any]
    doc: Document
    upsert: bool = False


class MongoStorage:
    """A service's database on MongoDB/FerretDB: `<prefix><service>`."""

    def __init__(self, url: str, database: str) -> None:
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, tz_aware=True, serverSelectionTimeoutMS=5000, appname="sinmun"
        )
        self._db = self._client[database]
        self._claims: VersionClaims | None = None
        self._ferretdb = False

    def _raw(self, name: str) -> AsyncCollection[Document]:
        collection = self._db[name]
        return (
            cast("AsyncCollection[Document]", BusyRetrying(collection))
            if self._ferretdb
            else collection
        )

    async def open(self) -> None:
        await self._client.aconnect()
        build = await self._client.admin.command("buildInfo")
        if "ferretdbVersion" in build:
            self._ferretdb = True
            self._claims = VersionClaims(self._raw("_cas_claims"))
            await self._claims.create()

    async def collection(self, name: str, indexes: Sequence[IndexSpec] = ()) -> MongoCollection:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            raise StorageError(f"invalid collection name {name!r}")
        collection = MongoCollection(self._raw(name), self._claims)
        await collection.create(indexes)
        return collection

    async def write_in_order(
        self, batches: Sequence[tuple[Collection, Sequence[WriteOp]]]
    ) -> list[list[WriteResult]]:
        """One batch after the other (no multi-document transactions on FerretDB v1)."""
        return [await collection.write_many(ops) if ops else [] for collection, ops in batches]

    async def ping(self) -> bool:
        try:
            await self._client.admin.command("ping")
        except PyMongoError:
            return False
        return True

    async def drop(self) -> None:
        """Remove the whole database (tests and `sinmun` maintenance only)."""
        await self._client.drop_database(self._db.name)

    async def close(self) -> None:
        await self._client.close()
