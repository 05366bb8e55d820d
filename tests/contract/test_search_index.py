"""The SearchIndex contract, for the embedded Korean index and Elasticsearch/OpenSearch.

The skeleton of the search issue: the behaviours every adapter must show are written down
here; each adapter's fixture arrives with its implementation.
"""

from __future__ import annotations

import pytest

from shared.ports.search import SearchIndex, SearchQuery

ADAPTERS = ["local", "opensearch"]


@pytest.fixture(params=ADAPTERS)
async def index(request: pytest.FixtureRequest) -> SearchIndex:
    pytest.skip(f"the {request.param} SearchIndex adapter arrives with the search issue")


def doc(headline: str, body: str, section: str = "pohang") -> dict[str, object]:
    return {"headline": headline, "body_text": body, "section": section}


async def test_inflected_forms_find_the_stem(index: SearchIndex) -> None:
    await index.ensure()
    await index.upsert("a1", doc("포항시, 배터리 특구 확대", "포항시는 규제자유특구를 넓힌다."))
    await index.refresh()
    results = await index.search(SearchQuery(text="포항시의"))
    assert [hit.doc_id for hit in results.hits] == ["a1"]


async def test_a_deleted_document_is_no_longer_found(index: SearchIndex) -> None:
    await index.ensure()
    await index.upsert("a1", doc("경주 문화제", "신라 문화제가 열렸다.", "gyeongju"))
    await index.refresh()
    await index.delete("a1")
    await index.refresh()
    assert (await index.search(SearchQuery(text="문화제"))).total == 0


async def test_filters_restrict_by_section(index: SearchIndex) -> None:
    await index.ensure()
    await index.upsert("p", doc("포항 축제", "축제", "pohang"))
    await index.upsert("d", doc("대구 축제", "축제", "daegu"))
    await index.refresh()
    results = await index.search(SearchQuery(text="축제", filters={"section": "daegu"}))
    assert [hit.doc_id for hit in results.hits] == ["d"]


async def test_suggest_completes_a_korean_prefix(index: SearchIndex) -> None:
    await index.ensure()
    await index.upsert("a1", doc("플랫폼시티 포항 본격 추진", "4차 산업혁명"))
    await index.refresh()
    assert any(s.startswith("플랫폼") for s in await index.suggest("플랫"))
