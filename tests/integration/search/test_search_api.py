"""`/api/search` over what ingest publishes, on both backends."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.integration.search.conftest import Platform, corpus

SEED = corpus()


async def load(platform: Platform, documents: list[dict[str, Any]]) -> None:
    await asyncio.gather(*(platform.submit(d) for d in documents))
    await platform.until_indexed(len(documents))


async def test_published_articles_are_found_in_korean(platform: Platform) -> None:
    await load(platform, SEED)
    body = await platform.search(q="포항시는")
    ranked = [hit["article_id"] for hit in body["hits"]]
    # Particles never block a match, nor change the ranking.
    for form in ("포항시", "포항시의", "포항시에서"):
        assert [h["article_id"] for h in (await platform.search(q=form))["hits"]] == ranked
    assert all("포항" in hit["headline"] for hit in body["hits"][:5])
    hit = body["hits"][0]
    assert set(hit) == {
        "article_id", "headline", "snippet", "section", "byline", "published_at", "score",
    }  # fmt: skip
    assert "<mark>포항" in hit["snippet"]
    assert body["facets"]["section"]["pohang"] >= 2
    assert sum(body["facets"]["month"].values()) == body["total"]
    assert isinstance(body["took_ms"], float)


async def test_compounds_spacing_and_latin_words(platform: Platform) -> None:
    await load(platform, SEED)
    joined = await platform.search(q="4차산업혁명")
    spaced = await platform.search(q="4차 산업혁명")
    assert joined["hits"] and joined["hits"][0]["article_id"] == spaced["hits"][0]["article_id"]
    ai = await platform.search(q="AI")
    assert {h["headline"] for h in ai["hits"][:2]} >= {
        "포항시 인공지능(AI) 행정 도입, 민원 처리 시간 절반으로"
    }


async def test_snippets_escape_everything_but_the_marks(platform: Platform) -> None:
    hostile = {
        **SEED[0], "guid": "hostile-1", "headline": "영일만 <b>특보</b>",
        "body_html": "<p>영일만 &lt;script&gt;alert(1)&lt;/script&gt; 소식</p>",
    }  # fmt: skip
    await platform.submit(hostile)
    body = await platform.until_total(1, q="영일만 소식")
    snippet = body["hits"][0]["snippet"]
    assert "<script" not in snippet
    assert "&lt;script&gt;" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


async def test_an_update_replaces_and_a_retraction_removes(platform: Platform) -> None:
    first = {**SEED[4], "guid": "update-1"}
    await platform.submit(first)
    await platform.until_total(1, q="스틸러스")
    await platform.submit({**first, "headline": "포항 스틸러스, 홈 최종전서 극적 역전승"})
    async with asyncio.timeout(30):
        while "극적" not in (await platform.search(q="스틸러스"))["hits"][0]["headline"]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await platform.submit({**first, "status": "retracted"})
    await platform.until_total(0, q="스틸러스")


async def test_filters_sort_and_paging(platform: Platform) -> None:
    await load(platform, SEED)
    body = await platform.search(q="대구", section="daegu")
    assert body["total"] >= 1 and {h["section"] for h in body["hits"]} == {"daegu"}
    latest = await platform.search(q="포항", sort="latest", size="2")
    dates = [h["published_at"] for h in latest["hits"]]
    assert len(dates) == 2 and dates == sorted(dates, reverse=True)
    page2 = await platform.search(q="포항", sort="latest", size="2", page="2")
    assert not {h["article_id"] for h in page2["hits"]} & {h["article_id"] for h in latest["hits"]}
    capped = await platform.search(q="포항", size="1000")
    assert capped["size"] == 50
    ranged = await platform.search(q="포항", **{"from": "2026-09-05", "to": "2026-09-05"})
    assert {h["published_at"][:10] for h in ranged["hits"]} == {"2026-09-05"}


async def test_bad_queries_get_clear_errors(platform: Platform) -> None:
    for params, field in (
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "가" * 201}, "q"),
        ({"q": "?!…"}, "q"),
        ({"q": "포항", "section": "mars"}, "section"),
        ({"q": "포항", "sort": "random"}, "sort"),
        ({"q": "포항", "page": "0"}, "page"),
        ({"q": "포항", "size": "ten"}, "size"),
        ({"q": "포항", "from": "2026-13-01"}, "from"),
        ({"q": "포항", "from": "2026-09-02", "to": "2026-09-01"}, "from"),
    ):
        response = await platform.client.get("/api/search", params=params)
        assert response.status == 400, params
        error = (await response.json())["error"]
        assert error["code"] == "invalid_query"
        assert error["details"][0]["field"] == field, params


async def test_control_characters_in_a_query_never_reach_the_index(platform: Platform) -> None:
    # A NUL in an FTS5 string ends the expression ("unterminated string", a 500 before);
    # control characters are dropped at the edge like ingest drops them from text.
    await load(platform, SEED[:5])
    for path, q in (
        ("/api/search", "포항\x00시"),
        ("/api/search", '"배터\x00리"'),
        ("/api/search/suggest", "포\x00항"),
        ("/api/search/suggest", "\U000d3369Z\U000f98f8\x0c\x15;v\x00\xdb\x85"),
        ("/api/search/posts", "영일\x00대"),
    ):
        response = await platform.client.get(path, params={"q": q})
        assert response.status in (200, 400), (path, q, await response.text())
    totals = []
    for q in ("포항", "포\x00항\x1b"):
        response = await platform.client.get("/api/search", params={"q": q})
        totals.append((await response.json())["total"])
    assert totals[0] > 0 and totals[1] == totals[0]
