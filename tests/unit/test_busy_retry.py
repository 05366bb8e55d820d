"""FerretDB's "database is locked" answers are retried; other failures are not."""

from __future__ import annotations

from typing import Any, cast

import pytest
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure

from shared.adapters.mongo_store import BusyRetrying

LOCKED = "[msg_insert.go:168] database is locked (5) (SQLITE_BUSY)"


class Flaky:
    name = "posts"

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        self.calls = 0

    async def insert_one(self, doc: dict[str, Any]) -> str:
        self.calls += 1
        if self.failures:
            raise OperationFailure(self.failures.pop(0), 1)
        return "inserted"


def wrap(inner: Flaky) -> Any:
    return BusyRetrying(cast("AsyncCollection[dict[str, Any]]", inner))


async def test_a_locked_database_is_retried_until_the_write_lands() -> None:
    inner = Flaky([LOCKED, LOCKED])
    assert await wrap(inner).insert_one({"_id": "a"}) == "inserted"
    assert inner.calls == 3
    assert wrap(inner).name == "posts"  # plain attributes pass through


async def test_other_failures_and_endless_locks_are_raised() -> None:
    inner = Flaky(["UNIQUE constraint failed: posts._id"])
    with pytest.raises(OperationFailure, match="UNIQUE"):
        await wrap(inner).insert_one({"_id": "a"})
    assert inner.calls == 1
    endless = Flaky([LOCKED] * 10)
    with pytest.raises(OperationFailure, match="SQLITE_BUSY"):
        await wrap(endless).insert_one({"_id": "a"})
    assert endless.calls == 6


async def test_a_partial_bulk_write_is_not_retried_whole() -> None:
    class PartlyLocked(Flaky):
        async def bulk_write(self, requests: list[Any], ordered: bool = True) -> None:
            self.calls += 1
            errors = [{"index": 1, "code": 1, "errmsg": LOCKED}]
            raise BulkWriteError({"writeErrors": errors, "nInserted": 1})

    inner = PartlyLocked([])
    with pytest.raises(BulkWriteError):  # operation 0 landed: retrying all would repeat it
        await wrap(inner).bulk_write([{"_id": "a"}, {"_id": "b"}])
    assert inner.calls == 1
