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
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError as MongoDuplicateKeyError
from pymongo.errors import OperationFailure, PyMongoError

from shared.ports.storage import (
    Document,
    DuplicateKeyError,
    Filter,
    IndexSpec,
    SortSpec,
    StorageError,
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
BUSY = "SQLITE_BUSY"
BUSY_TRIES = 6


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
                    if BUSY not in str(exc) or attempt == BUSY_TRIES - 1:
                        raise
                    await asyncio.sleep(0.01 * 2**attempt)
            raise AssertionError("unreachable")

        return retrying


class VersionClaims:
    """Atomic per-version claims for backends whose conditional updates are not atomic."""

    def __init__(self, claims: AsyncCollection[Document]) -> None:
        self._claims = claims

    async def acquire(self, key: str) -> bool:
        now = datetime.now(UTC)
        try:
            await self._claims.insert_one({"_id": key, "at": now})
        except MongoDuplicateKeyError:
            # A writer that died between claim and replace must not block the version forever.
            stale = await self._claims.delete_one({"_id": key, "at": {"$lt": now - CLAIM_TIMEOUT}})
            if stale.deleted_count != 1:
                return False
            try:
                await self._claims.insert_one({"_id": key, "at": now})
            except MongoDuplicateKeyError:
                return False
        return True


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

    async def collection(self, name: str, indexes: Sequence[IndexSpec] = ()) -> MongoCollection:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            raise StorageError(f"invalid collection name {name!r}")
        collection = MongoCollection(self._raw(name), self._claims)
        await collection.create(indexes)
        return collection

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
