"""A relevance regression guard: nDCG@10 on the judged set may not drop by more than 0.02.

The baseline is `tests/data/search/relevance_baseline.json`, written by
`python -m bench.search_relevance --update-baseline` (run it when a change improves ranking).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from bench.relevance import DATA, corpus, judged_queries, load, rank, score
from services.search.analysis import KiwiAnalyzer, user_words
from shared.adapters.engine_client import engine_client
from shared.adapters.engine_search import EngineSearchIndex
from shared.adapters.sqlite_search import SqliteSearchIndex
from shared.ports.search import SearchIndex
from tests.conftest import real_server

BASELINE = json.loads((DATA / "search" / "relevance_baseline.json").read_text("utf-8"))
TOLERANCE = 0.02


@pytest.mark.parametrize("where", ["embedded", "engine"])
@pytest.mark.timeout(300)
async def test_ndcg_at_10_holds_against_the_baseline(where: str, tmp_path: Path) -> None:
    analyzer = KiwiAnalyzer()
    index: SearchIndex
    if where == "embedded":
        index = SqliteSearchIndex(tmp_path / "search.sqlite3")
    else:
        client = engine_client("opensearch", real_server("SINMUN_SEARCH_URL"))
        index = EngineSearchIndex(
            client, alias=f"relevance-{uuid.uuid4().hex[:8]}", user_words=user_words()
        )
    try:
        await load(index, analyzer, corpus())
        queries = judged_queries()
        scores = score(await rank(index, analyzer, queries), queries)
    finally:
        if isinstance(index, EngineSearchIndex):
            await index.drop_generation("1")
        await index.close()
    baseline = BASELINE[f"{where}/kiwi"]
    assert scores.ndcg >= baseline - TOLERANCE, (scores, baseline)
