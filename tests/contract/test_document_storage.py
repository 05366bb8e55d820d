"""One contract for document storage, run against SQLite and MongoDB (FerretDB)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from shared.adapters.mongo_store import MongoStorage
from shared.adapters.sqlite_store import SqliteStorage
from shared.ports.storage import (
    CompareAndSet,
    DocumentStorage,
    DuplicateKeyError,
    IndexSpec,
    Insert,
    Put,
    StorageError,
    WriteOp,
    WriteResult,
)
from tests.conftest import real_server

Opener = Callable[[], Awaitable[DocumentStorage]]
ARTICLE_INDEXES = (
    IndexSpec(("source", "guid"), unique=True),
    IndexSpec(("section", "published_at")),
)


@pytest.fixture(params=["sqlite", "mongo"])
async def open_storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens the same database again on each call, as a restarted process would."""
    opened: list[DocumentStorage] = []
    database = f"contract_{uuid.uuid4().hex[:12]}"
    url = real_server("SINMUN_MONGO_URL") if request.param == "mongo" else ""

    async def open_one() -> DocumentStorage:
        storage: SqliteStorage | MongoStorage
        if request.param == "sqlite":
            storage = SqliteStorage(tmp_path / "service.sqlite3")
        else:
            storage = MongoStorage(url, database)
        await storage.open()
        opened.append(storage)
        return storage

    yield open_one
    first = opened[0] if opened else None
    if isinstance(first, MongoStorage):
        await first.drop()
    for storage in opened:
        await storage.close()


def article(n: int, section: str = "pohang", **extra: object) -> dict[str, object]:
    return {
        "_id": f"a{n:04d}",
        "source": "newsroom",
        "guid": f"dev-{n:04d}",
        "section": section,
        "headline": f"포항 기사 {n}",
        "published_at": f"2026-09-{1 + n % 28:02d}T10:00:00Z",
        "version": 1,
        "meta": {"words": n * 10},
        **extra,
    }


async def test_put_then_get_round_trips_korean_text(open_storage: Opener) -> None:
    articles = await (await open_storage()).collection("articles", ARTICLE_INDEXES)
    doc = article(1, tags=["배터리", "포항시"], body="<p>포항시는 “규제자유특구”를…</p>")
    await articles.put(doc)
    assert await articles.get("a0001") == doc
    assert await articles.get("missing") is None


async def test_put_replaces_the_document_with_the_same_id(open_storage: Opener) -> None:
    articles = await (await open_storage()).collection("articles", ARTICLE_INDEXES)
    await articles.put(article(1))
    await articles.put(article(1, headline="고친 제목", version=2))
    stored = await articles.get("a0001")
    assert stored is not None
    assert (stored["headline"], stored["version"]) == ("고친 제목", 2)
    assert await articles.count() == 1


async def test_find_filters_sorts_limits_and_skips(open_storage: Opener) -> None:
    articles = await (await open_storage()).collection("articles", ARTICLE_INDEXES)
    for n in range(1, 21):
        await articles.put(article(n, section="pohang" if n % 2 else "daegu"))
    newest = await articles.find({"section": "pohang"}, sort=[("published_at", -1)], limit=3)
    assert [d["_id"] for d in newest] == ["a0019", "a0017", "a0015"]
    page_two = await articles.find(
        {"section": "pohang"}, sort=[("published_at", -1)], limit=3, skip=3
    )
    assert [d["_id"] for d in page_two] == ["a0013", "a0011", "a0009"]
    ranged = await articles.find({"meta.words": {"$gte": 50, "$lt": 90}}, sort=[("meta.words", 1)])
    assert [d["_id"] for d in ranged] == ["a0005", "a0006", "a0007", "a0008"]
    chosen = await articles.find({"_id": {"$in": ["a0002", "a0003", "nope"]}})
    assert [d["_id"] for d in chosen] == ["a0002", "a0003"]
    assert await articles.count({"section": "daegu"}) == 10
    assert await articles.count({"section": {"$ne": "daegu"}}) == 10


async def test_unique_keys_are_enforced_by_insert_and_put(open_storage: Opener) -> None:
    articles = await (await open_storage()).collection("articles", ARTICLE_INDEXES)
    await articles.insert(article(1))
    with pytest.raises(DuplicateKeyError):
        await articles.insert(article(1))  # same _id
    with pytest.raises(DuplicateKeyError):
        await articles.insert({**article(2), "guid": "dev-0001"})  # same (source, guid)
    with pytest.raises(DuplicateKeyError):
        await articles.put({**article(3), "guid": "dev-0001"})
    await articles.put(article(5))
    with pytest.raises(DuplicateKeyError):
        await articles.put({**article(5), "guid": "dev-0001"})  # replacing into a clash
    await articles.insert({**article(4), "source": "partner-a", "guid": "dev-0001"})
    stored = await articles.get("a0001")
    assert stored is not None
    assert stored["guid"] == "dev-0001"
    assert await articles.count() == 3
    survivor = await articles.get("a0005")
    assert survivor is not None and survivor["guid"] == "dev-0005"  # the failed put changed nothing


async def test_compare_and_set_lets_exactly_one_writer_win_each_version(
    open_storage: Opener,
) -> None:
    counters = await (await open_storage()).collection("counters")
    await counters.insert({"_id": "views", "version": 0, "n": 0})

    async def increment() -> int:
        conflicts = 0
        while True:
            current = await counters.get("views")
            assert current is not None
            updated = {**current, "version": current["version"] + 1, "n": current["n"] + 1}
            if await counters.compare_and_set(updated, current["version"]):
                return conflicts
            conflicts += 1

    conflicts = await asyncio.gather(*(increment() for _ in range(20)))
    final = await counters.get("views")
    assert final is not None
    assert (final["n"], final["version"]) == (20, 20)
    assert sum(conflicts) > 0  # the writers really raced
    stale = {**final, "n": -1}
    assert not await counters.compare_and_set(stale, 3)
    assert (await counters.get("views")) == final


async def test_delete_and_data_survive_reopening(open_storage: Opener) -> None:
    articles = await (await open_storage()).collection("articles", ARTICLE_INDEXES)
    await articles.put(article(1))
    await articles.put(article(2))
    assert await articles.delete("a0002")
    assert not await articles.delete("a0002")
    reopened = await (await open_storage()).collection("articles", ARTICLE_INDEXES)
    assert [d["_id"] for d in await reopened.find()] == ["a0001"]


async def test_documents_the_wire_protocol_cannot_hold_are_refused(open_storage: Opener) -> None:
    storage = await open_storage()
    articles = await storage.collection("articles")
    with pytest.raises(StorageError):
        await articles.put({"_id": "x", "a.b": 1})
    with pytest.raises(StorageError):
        await articles.put({"_id": "x", "meta": {"$where": 1}})
    await articles.put({"_id": "ok", "images": [{"src": "a.jpg"}]})  # these keys are fine
    with pytest.raises(StorageError):  # and in a list of mappings, once seen valid elsewhere
        await articles.put({"_id": "x", "images": [{"src": "a.jpg"}, {"src.x": "b"}]})
    with pytest.raises(StorageError):
        await articles.put({"_id": "x", 1: "a key that is not a string"})  # type: ignore[dict-item]
    with pytest.raises(StorageError):
        await articles.put({"headline": "no id"})
    with pytest.raises(StorageError):
        await articles.find({"section": {"$regex": ".*"}})
    assert await storage.ping()
    assert [d["_id"] for d in await articles.find()] == ["ok"]


async def test_write_many_applies_each_operation_on_its_own(open_storage: Opener) -> None:
    articles = await (await open_storage()).collection("articles", ARTICLE_INDEXES)
    await articles.insert(article(1))
    await articles.insert(article(2, version=3))
    results = await articles.write_many(
        [
            Insert(article(3)),  # new: written
            Insert({**article(4), "guid": "dev-0001"}),  # clashes on (source, guid)
            Put(article(5, headline="새 기사")),  # upsert of a new id
            CompareAndSet(article(1, headline="고친 제목", version=2), 1),  # wins
            CompareAndSet(article(2, headline="늦은 수정", version=3), 2),  # stale: loses
            Insert(article(6)),  # after the failures: still written
        ]
    )
    assert results == [
        WriteResult.OK,
        WriteResult.DUPLICATE,
        WriteResult.OK,
        WriteResult.OK,
        WriteResult.CONFLICT,
        WriteResult.OK,
    ]
    stored = {d["_id"]: d for d in await articles.find()}
    assert sorted(stored) == ["a0001", "a0002", "a0003", "a0005", "a0006"]
    assert (stored["a0001"]["headline"], stored["a0001"]["version"]) == ("고친 제목", 2)
    assert stored["a0002"]["headline"] == "포항 기사 2"  # the lost compare-and-set changed nothing
    assert stored["a0005"]["headline"] == "새 기사"
    assert await articles.write_many([]) == []


async def test_write_many_lets_exactly_one_writer_win_each_version(open_storage: Opener) -> None:
    counters = await (await open_storage()).collection("counters")
    await counters.write_many([Insert({"_id": f"c{k}", "version": 0, "n": 0}) for k in range(5)])

    async def increment_all() -> None:
        todo = {f"c{k}" for k in range(5)}
        while todo:
            current = [d for d in await counters.find() if d["_id"] in todo]
            ops = [CompareAndSet({**d, "version": d["version"] + 1, "n": d["n"] + 1}, d["version"])
                   for d in current]  # fmt: skip
            for op, result in zip(ops, await counters.write_many(ops), strict=True):
                if result is WriteResult.OK:
                    todo.discard(op.doc["_id"])

    await asyncio.gather(*(increment_all() for _ in range(8)))
    assert [(d["n"], d["version"]) for d in await counters.find()] == [(8, 8)] * 5


async def test_write_many_refuses_bad_batches_before_writing_anything(
    open_storage: Opener,
) -> None:
    articles = await (await open_storage()).collection("articles", ARTICLE_INDEXES)
    with pytest.raises(StorageError):
        await articles.write_many([Insert(article(1)), Put({"_id": "x", "a.b": 1})])
    with pytest.raises(StorageError):
        await articles.write_many([Insert(article(1)), Put(article(1, headline="둘째"))])
    assert await articles.count() == 0


async def test_delete_many_deletes_the_ones_that_exist_in_one_call(open_storage: Opener) -> None:
    articles = await (await open_storage()).collection("articles", ARTICLE_INDEXES)
    await articles.write_many([Insert(article(n)) for n in range(1, 701)])
    doomed = [f"a{n:04d}" for n in range(1, 601)] + ["a9999", "a0001"]  # unknown, repeated
    assert await articles.delete_many(doomed) == 600
    assert await articles.delete_many([]) == 0
    assert await articles.count() == 100
    assert await articles.get("a0601") is not None and await articles.get("a0600") is None


async def test_write_in_order_writes_each_batch_after_the_one_before(
    open_storage: Opener,
) -> None:
    storage = await open_storage()
    articles = await storage.collection("articles", ARTICLE_INDEXES)
    notes = await storage.collection("notes")
    await articles.insert(article(1))
    results = await storage.write_in_order(
        [(notes, [Insert({"_id": "n1"})]), (articles, [Insert(article(2)), Insert(article(1))]),
         (notes, [])]
    )  # fmt: skip
    assert results == [[WriteResult.OK], [WriteResult.OK, WriteResult.DUPLICATE], []]
    assert await notes.get("n1") is not None and await articles.count() == 2
    with pytest.raises(StorageError):  # a bad batch stops the ones after it
        await storage.write_in_order(
            [(notes, [Insert({"_id": "n2", "$bad": 1})]), (articles, [Insert(article(3))])]
        )
    assert await notes.get("n2") is None and await articles.get("a0003") is None


async def test_write_many_takes_large_batches(open_storage: Opener) -> None:
    articles = await (await open_storage()).collection("articles", ARTICLE_INDEXES)
    created = await articles.write_many([Insert(article(n)) for n in range(200)])
    assert created == [WriteResult.OK] * 200
    changes: list[WriteOp] = [CompareAndSet(article(n, version=2), 1) for n in range(100)]
    changes += [Put(article(n, headline="덮어쓴 제목")) for n in range(100, 200)]
    assert await articles.write_many(changes) == [WriteResult.OK] * 200
    assert await articles.count({"version": 2}) == 100
    assert await articles.count({"headline": "덮어쓴 제목"}) == 100
