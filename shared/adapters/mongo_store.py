"""Document storage on the MongoDB wire protocol (PyMongo's async API).

Written for the subset FerretDB v1 supports as well as MongoDB: single-document writes
only (no transactions), compound unique indexes, filters with comparison operators.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError as MongoDuplicateKeyError
from pymongo.errors import PyMongoError

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


def _checked(doc: Document) -> Document:
    check_document(doc)
    if not isinstance(doc.get("_id"), str) or not doc["_id"]:
        raise StorageError("a document needs a non-empty string `_id`")
    return doc


class MongoCollection:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    async def create(self, indexes: Sequence[IndexSpec]) -> None:
        for index in indexes:
            await self._c.create_index(
                [(f, ASCENDING) for f in index.fields], unique=index.unique, name=index.name
            )

    async def insert(self, doc: Document) -> None:
        try:
            await self._c.insert_one(dict(_checked(doc)))
        except MongoDuplicateKeyError as exc:
            raise DuplicateKeyError(str(exc)) from exc

    async def put(self, doc: Document) -> None:
        try:
            await self._c.replace_one({"_id": _checked(doc)["_id"]}, doc, upsert=True)
        except MongoDuplicateKeyError as exc:
            raise DuplicateKeyError(str(exc)) from exc

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

    async def replace_if(self, doc: Document, expected: Filter) -> bool:
        query = {**_query(expected), "_id": _checked(doc)["_id"]}
        try:
            result = await self._c.replace_one(query, doc)
        except MongoDuplicateKeyError as exc:
            raise DuplicateKeyError(str(exc)) from exc
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

    async def open(self) -> None:
        await self._client.aconnect()

    async def collection(self, name: str, indexes: Sequence[IndexSpec] = ()) -> MongoCollection:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            raise StorageError(f"invalid collection name {name!r}")
        collection = MongoCollection(self._db[name])
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
