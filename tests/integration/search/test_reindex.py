"""`sinmun search reindex` under load: a new generation by replay, swapped in with no failed
query, and no article lost while it ran."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from services.search.analysis import KiwiAnalyzer
from services.search.app import open_index
from services.search.queries import parse_query
from services.search.reindex import reindex
from shared.adapters.sqlite_search import SqliteSearchIndex
from shared.service import INFRA
from shared.settings import DEFAULT_SECTIONS
from tests.integration.ingest.test_commands import DATA, sinmun
from tests.integration.search.conftest import Platform, corpus
from tests.integration.search.test_search_api import load

QUERIES = ["포항", "대구 축제", "4차 산업혁명", "AI", "경주"]


@pytest.mark.timeout(300)
async def test_a_reindex_under_load_fails_no_query_and_loses_no_article(
    platform: Platform,
) -> None:
    articles = corpus()
    await load(platform, articles)
    before = {q: (await platform.search(q=q))["total"] for q in QUERIES}
    failures: list[Any] = []
    answered = 0
    stop = asyncio.Event()

    async def reader(n: int) -> None:
        nonlocal answered
        while not stop.is_set():
            q = QUERIES[(answered + n) % len(QUERIES)]
            response = await platform.client.get("/api/search", params={"q": q})
            body = await response.json()
            if response.status != 200 or body["total"] < before[q]:
                failures.append((q, response.status, body))
            answered += 1

    readers = [asyncio.create_task(reader(n)) for n in range(4)]
    index = open_index(platform.settings)  # as the CLI opens it, beside the running service
    late = [{**a, "guid": f"late-{i}"} for i, a in enumerate(articles[:10])]
    writer = asyncio.gather(*(platform.submit(d) for d in late))
    try:
        report = await reindex(index, platform.app[INFRA].bus, KiwiAnalyzer())
        await writer
    finally:
        stop.set()
        await asyncio.gather(*readers)
        await index.close()
    assert (report.previous, report.generation) == ("1", "2")
    assert not failures, failures[:3]
    assert answered >= 20  # queries really ran across the rebuild
    await platform.until_indexed(len(articles) + len(late))
    status = await (await platform.client.get("/api/search/status")).json()
    assert status["generation"] == "2"


async def test_the_reindex_command_builds_the_index_from_the_published_topic(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    loaded = sinmun("ingest", str(DATA / "articles.jsonl"), "--data-dir", str(data),
                    "--no-progress", cwd=tmp_path)  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    rebuilt = sinmun("search", "reindex", "--data-dir", str(data), cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "generation 2 live with 40 articles (was 1)" in rebuilt.stdout
    index = SqliteSearchIndex(data / "search.sqlite3")
    await index.ensure()
    try:
        assert (await index.generation(), await index.count()) == ("2", 40)
        found = await index.search(
            parse_query({"q": "치맥페스티벌"}, KiwiAnalyzer(), DEFAULT_SECTIONS)
        )
        assert [h.source["headline"] for h in found.hits][:1] == [
            "대구 치맥페스티벌 방문객 100만 명 돌파"
        ]
    finally:
        await index.close()
