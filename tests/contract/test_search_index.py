"""The SearchIndex contract, for the embedded index (SQLite FTS5) and OpenSearch.

Both adapters store the search service's Kiwi tokens; every behaviour here holds on both.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from services.search.analysis import KiwiAnalyzer
from services.search.documents import index_document
from services.search.hangul import to_jamo
from services.search.queries import parse_query
from shared.adapters.engine_client import engine_client
from shared.adapters.engine_search import EngineSearchIndex
from shared.adapters.sqlite_search import SqliteSearchIndex
from shared.ports.search import SearchIndex, SearchQuery, SuggestQuery
from shared.schemas import Article, ArticleStatus
from shared.settings import DEFAULT_SECTIONS
from tests.conftest import real_server
from tests.es_compat_proxy import start_proxy

# "elasticsearch": the official Elasticsearch client, through a header-translating proxy to
# OpenSearch (tests/es_compat_proxy.py), since Elasticsearch itself is not obtainable here.
ADAPTERS = ["local", "opensearch", "elasticsearch"]


@pytest.fixture(scope="session")
def analyzer() -> KiwiAnalyzer:
    return KiwiAnalyzer()


@pytest.fixture(params=ADAPTERS)
async def index(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SearchIndex]:
    adapter: SqliteSearchIndex | EngineSearchIndex
    proxy = None
    if request.param == "local":
        adapter = SqliteSearchIndex(tmp_path / "search.sqlite3")
    else:
        url = real_server("SINMUN_SEARCH_URL")
        if request.param == "elasticsearch":
            proxy = await start_proxy(url)
            url = str(proxy.make_url("/"))
        alias = f"test-{uuid.uuid4().hex[:10]}"
        adapter = EngineSearchIndex(engine_client(request.param, url), alias=alias)
    await adapter.ensure()
    yield adapter
    if isinstance(adapter, EngineSearchIndex):
        for generation in ("1", "2"):
            await adapter.drop_generation(generation)
    await adapter.close()
    if proxy is not None:
        await proxy.close()


def article(
    article_id: str,
    headline: str,
    body: str,
    *,
    section: str = "pohang",
    version: int = 1,
    byline: str = "강동진 기자",
    published_at: str = "2026-09-02T10:15:00+09:00",
) -> Article:
    return Article(
        article_id=f"doc-{article_id}-id", version=version, status=ArticleStatus.PUBLISHED,
        source="newsroom", guid=f"g-{article_id}",
        headline=headline, section=section, byline=byline, body_html=f"<p>{body}</p>",
        published_at=datetime.fromisoformat(published_at),
    )  # fmt: skip


async def put(index: SearchIndex, analyzer: KiwiAnalyzer, *articles: Article) -> None:
    for a in articles:
        assert await index.upsert(index_document(a, analyzer))
    await index.refresh()


def ask(analyzer: KiwiAnalyzer, q: str, **params: str) -> SearchQuery:
    return parse_query({"q": q, **params}, analyzer, DEFAULT_SECTIONS)


async def ids(index: SearchIndex, query: SearchQuery) -> list[str]:
    """The short ids of the hits, in order."""
    return [short(hit.doc_id) for hit in (await index.search(query)).hits]


def short(doc_id: str) -> str:
    return doc_id.removeprefix("doc-").removesuffix("-id")


async def test_particles_and_endings_never_block_a_match(
    index: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    await put(
        index, analyzer,
        article("1", "포항시, 배터리 특구 확대", "포항시는 규제자유특구를 넓힌다고 밝혔다."),
        article("2", "경주 단풍 절정", "보문관광단지에 관광객이 몰렸다.", section="gyeongju"),
    )  # fmt: skip
    assert await ids(index, ask(analyzer, "포항시의")) == ["1"]
    assert await ids(index, ask(analyzer, "규제자유특구에서")) == ["1"]
    assert await ids(index, ask(analyzer, "특구")) == ["1"]  # a compound's part


async def test_spacing_variants_of_a_compound_match_each_other(
    index: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    await put(
        index, analyzer,
        article("1", "4차산업혁명 인재 양성", "지역 대학이 연합 과정을 연다."),
        article("2", "4차 산업혁명 대비 교육", "교육청이 계획을 내놓았다.", section="education"),
        article("3", "관광객 증가", "주말 관광객이 늘었다."),
    )  # fmt: skip
    for q in ("4차산업혁명", "4차 산업혁명", "산업혁명"):
        assert sorted(await ids(index, ask(analyzer, q))) == ["1", "2"], q


async def test_latin_words_inside_hangul_match(index: SearchIndex, analyzer: KiwiAnalyzer) -> None:
    await put(
        index, analyzer,
        article("1", "포항시 인공지능(AI) 행정 도입", "민원 처리 시간이 절반으로 줄었다."),
        article("2", "구미 KTX 정차 재추진", "구미역 시설을 개선한다.", section="gumi"),
    )  # fmt: skip
    assert await ids(index, ask(analyzer, "AI")) == ["1"]
    assert await ids(index, ask(analyzer, "ktx")) == ["2"]
    assert await ids(index, ask(analyzer, "인공지능")) == ["1"]


async def test_an_older_version_never_overwrites_a_newer_one(
    index: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    v2 = article("1", "포항 불빛축제 드론쇼 확정", "드론 500대", version=2)
    v1 = article("1", "포항 불빛축제 준비", "드론 300대", version=1)
    assert await index.upsert(index_document(v2, analyzer))
    assert not await index.upsert(index_document(v1, analyzer))
    assert not await index.upsert(index_document(v2, analyzer))  # a redelivery: no change
    await index.refresh()
    hits = (await index.search(ask(analyzer, "불빛축제"))).hits
    assert [(short(h.doc_id), h.source["headline"]) for h in hits] == [
        ("1", "포항 불빛축제 드론쇼 확정")
    ]


async def test_a_retraction_removes_the_article_and_stays_removed(
    index: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    await put(index, analyzer, article("1", "경주 문화제 개막", "신라 문화제가 열렸다.", version=1))
    assert await index.retract("doc-1-id", 2)
    assert not await index.upsert(
        index_document(article("1", "경주 문화제", "x", version=1), analyzer)
    )
    await index.refresh()
    assert (await index.search(ask(analyzer, "문화제"))).total == 0
    assert await index.count() == 0


async def test_filters_by_section_byline_and_dates(
    index: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    await put(
        index, analyzer,
        article("p", "포항 축제", "축제가 열린다", published_at="2026-08-31T23:30:00+09:00"),
        article("d", "대구 축제", "축제가 열린다", section="daegu", byline="김민서 기자",
                published_at="2026-09-01T00:30:00+09:00"),
    )  # fmt: skip
    assert await ids(index, ask(analyzer, "축제", section="daegu")) == ["d"]
    assert await ids(index, ask(analyzer, "축제", byline="김민서 기자")) == ["d"]
    # Dates are days in Korea: 2026-08-31 23:30 KST is on the 31st, 00:30 the next day is not.
    assert await ids(index, ask(analyzer, "축제", **{"from": "2026-09-01"})) == ["d"]
    assert await ids(index, ask(analyzer, "축제", to="2026-08-31")) == ["p"]


async def test_facets_count_sections_and_korean_months(
    index: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    await put(
        index, analyzer,
        article("1", "포항 축제", "축제", published_at="2026-08-31T23:30:00+09:00"),
        article("2", "포항 축제 둘째 날", "축제", published_at="2026-09-01T08:00:00+09:00"),
        article("3", "대구 축제", "축제", section="daegu",
                published_at="2026-09-05T08:00:00+09:00"),
    )  # fmt: skip
    results = await index.search(ask(analyzer, "축제"))
    assert results.total == 3
    assert dict(results.facets["section"]) == {"pohang": 2, "daegu": 1}
    assert dict(results.facets["month"]) == {"2026-08": 1, "2026-09": 2}


async def test_sorting_by_latest_and_paging(index: SearchIndex, analyzer: KiwiAnalyzer) -> None:
    await put(
        index, analyzer,
        *[
            article(str(i), f"포항 소식 {i}", "포항 소식",
                    published_at=f"2026-09-{i:02d}T09:00:00+09:00")
            for i in range(1, 8)
        ],
    )  # fmt: skip
    latest = ask(analyzer, "포항 소식", sort="latest", size="3", page="2")
    results = await index.search(latest)
    assert results.total == 7
    assert [short(h.doc_id) for h in results.hits] == ["4", "3", "2"]


async def test_quoted_phrases_require_the_words_in_order(
    index: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    await put(
        index, analyzer,
        article("1", "배터리 특구 지정", "포항시의 배터리 특구가 확대된다."),
        article("2", "특구 주변 배터리 공장", "특구에서 멀지 않은 곳에 배터리 공장이 섰다."),
    )  # fmt: skip
    assert sorted(await ids(index, ask(analyzer, "배터리 특구"))) == ["1", "2"]
    assert await ids(index, ask(analyzer, '"배터리 특구"')) == ["1"]
    assert await ids(index, ask(analyzer, '"배터리 특구의"')) == ["1"]


async def test_operator_syntax_in_a_query_is_only_text(
    index: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    await put(index, analyzer, article("1", "포항 OR 경주", "NEAR 포항 AND"))
    for q in ["포항 OR", "NEAR(포항", "포항*", "headline_t:포항", '"포항', "포항^10", "{포항}"]:
        results = await index.search(ask(analyzer, q))
        assert [short(h.doc_id) for h in results.hits] == ["1"], q


async def test_a_rebuilt_generation_replaces_the_live_one_at_once(
    index: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    await put(index, analyzer, article("old", "포항 옛 기사", "포항"))
    await index.create_generation("2")
    doc = index_document(article("new", "포항 새 기사", "포항"), analyzer)
    assert await index.upsert(doc, generation="2")
    await index.refresh()
    assert await ids(index, ask(analyzer, "포항")) == ["old"]  # the rebuild is not live yet
    await index.activate("2")
    await index.refresh()
    assert await index.generation() == "2"
    assert await ids(index, ask(analyzer, "포항")) == ["new"]
    await index.drop_generation("1")
    assert await index.count() == 1


async def test_suggest_finds_key_prefixes_newest_first_and_gram_candidates(
    index: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    await put(
        index, analyzer,
        article("1", "포항시 배터리 특구", "x", published_at="2026-09-01T09:00:00+09:00"),
        article("2", "포항시 불빛축제", "x", published_at="2026-09-03T09:00:00+09:00"),
        article("3", "경주 단풍", "x", section="gyeongju"),
    )  # fmt: skip
    found = await index.suggest(SuggestQuery(prefixes=(to_jamo("포항ㅅ"),)))
    assert [short(h.doc_id) for h in found.matches] == ["2", "1"]
    assert found.matches[0].source["headline"] == "포항시 불빛축제"
    by_second_word = await index.suggest(SuggestQuery(prefixes=(to_jamo("배터"),)))
    assert [short(h.doc_id) for h in by_second_word.matches] == ["1"]
    slips = await index.suggest(SuggestQuery(prefixes=(), grams=("ㄱㅕ", "ㅕㅇ", "ㅇㅈ", "ㅈㅜ")))
    assert short(slips.candidates[0].doc_id) == "3"
    assert await index.retract("doc-3-id", 2)
    await index.refresh()
    assert not (await index.suggest(SuggestQuery((), ("ㄱㅕ", "ㅕㅇ")))).candidates
