"""FerretDB's compare-and-set claims do not pile up: void ones are swept while writing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from shared.adapters import mongo_store
from shared.adapters.mongo_store import MongoStorage
from shared.ports.storage import Document
from tests.conftest import real_server


@pytest.fixture
async def storage() -> AsyncIterator[MongoStorage]:
    storage = MongoStorage(real_server("SINMUN_MONGO_URL"), f"claims_{uuid.uuid4().hex[:12]}")
    await storage.open()
    build = await storage._client.admin.command("buildInfo")
    if "ferretdbVersion" not in build:
        await storage.close()
        pytest.skip("only FerretDB needs compare-and-set claims")
    yield storage
    await storage.drop()
    await storage.close()


async def claims_of(storage: MongoStorage) -> AsyncCollection[Document]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(real_server("SINMUN_MONGO_URL"))
    return client[storage._db.name]["_cas_claims"]


async def bump(counters: mongo_store.MongoCollection, times: int) -> None:
    for _ in range(times):
        current = await counters.get("views")
        assert current is not None
        updated = {**current, "version": current["version"] + 1, "n": current["n"] + 1}
        assert await counters.compare_and_set(updated, current["version"])


async def test_void_claims_are_swept_and_recent_ones_kept(
    storage: MongoStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    counters = await storage.collection("counters")
    await counters.insert({"_id": "views", "version": 0, "n": 0})
    await bump(counters, 5)
    claims = await claims_of(storage)
    assert await claims.count_documents({}) == 5  # one per version written
    # Four of them from long ago (their writers gone), one current.
    old = datetime.now(UTC) - mongo_store.CLAIM_TIMEOUT - timedelta(seconds=5)
    for version in range(4):
        await claims.update_one({"_id": f"counters/views/{version}"}, {"$set": {"at": old}})

    monkeypatch.setattr(mongo_store, "SWEEP_INTERVAL", timedelta(0))
    await bump(counters, 2)  # the next writes sweep (the first only starts the clock)
    remaining = sorted(d["_id"] for d in await claims.find({}).to_list())
    assert remaining == [f"counters/views/{v}" for v in (4, 5, 6)]

    # The versions whose claims went stay protected by the document's own version.
    stale = await counters.get("views")
    assert stale is not None
    assert not await counters.compare_and_set({**stale, "n": -1}, 2)
    assert (await counters.get("views")) == stale
    await claims.database.client.close()
