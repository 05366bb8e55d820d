"""The search client against a small stand-in of the search API (real HTTP on loopback)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import lxml.html
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from services.render.search_client import SearchClient, SearchError
from shared.web import json_error, json_response
from tests.unit.render.fakes import ClientFactory, make_site

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


async def fake_search(request: web.Request) -> web.Response:
    if request.query.get("from") == "bad":
        return json_error(400, "invalid_query", "from must be a date",
                          [{"field": "from", "message": "date", "type": "value"}])  # fmt: skip
    assert request.query["q"] == "포항"
    return json_response({
        "total": 1, "took_ms": 1, "page": int(request.query.get("page", "1")), "size": 10,
        "facets": {"section": {"pohang": 1}},
        "hits": [{"article_id": "0313648983524554", "headline": "포항시 &lt;본격&gt;",
                  "snippet": "<mark>포항</mark>시는 &amp; 추진", "section": "pohang",
                  "byline": "강동진 기자", "published_at": "2019-08-13T21:09:00+09:00"}],
    })  # fmt: skip


async def fake_suggest(request: web.Request) -> web.Response:
    return json_response({"q": request.query["q"], "suggestions": [
        {"article_id": "0313648983524554", "headline": "포항시, 플랫폼시티"}]})  # fmt: skip


@pytest.fixture
async def base(aiohttp_server: ServerFactory) -> str:
    app = web.Application()
    app.router.add_get("/api/search", fake_search)
    app.router.add_get("/api/search/suggest", fake_suggest)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


async def test_results_come_back_typed_with_the_snippet_as_sent(base: str) -> None:
    client = SearchClient(base)
    try:
        results = await client.search(base, {"q": "포항", "page": "1", "unknown": "x"})
        assert results.total == 1
        assert results.facets == {"section": {"pohang": 1}}
        hit = results.hits[0]
        assert hit.snippet == "<mark>포항</mark>시는 &amp; 추진"
        assert hit.published_at is not None
        assert hit.published_at.isoformat() == "2019-08-13T21:09:00+09:00"
        suggestions = await client.suggest(base, "ㅍㅎ")
        assert suggestions == [{"article_id": "0313648983524554", "headline": "포항시, 플랫폼시티"}]
    finally:
        await client.close()


async def test_a_refused_query_names_its_field_and_a_missing_api_is_unavailable(
    base: str,
) -> None:
    client = SearchClient(base, timeout_s=2)
    try:
        with pytest.raises(SearchError) as refused:
            await client.search(base, {"q": "포항", "from": "bad"})
        assert (refused.value.status, refused.value.field) == (400, "from")
        assert not refused.value.unavailable
        with pytest.raises(SearchError) as missing:
            await client.search(base + "/elsewhere", {"q": "포항"})
        assert missing.value.unavailable
        with pytest.raises(SearchError) as down:
            await client.search("http://127.0.0.1:9", {"q": "포항"})
        assert down.value.status is None
        assert down.value.unavailable
    finally:
        await client.close()


async def test_the_search_page_renders_the_apis_hits_and_names_a_bad_field(
    base: str, aiohttp_client: ClientFactory
) -> None:
    site = await make_site(aiohttp_client, search_url=base)
    page = lxml.html.fromstring(await site.html("/search?q=포항&section=pohang"))
    snippet = page.cssselect(".snippet")[0]
    assert lxml.html.tostring(snippet, encoding="unicode", with_tail=False) == (
        '<p class="snippet"><mark>포항</mark>시는 &amp; 추진</p>'
    )
    assert page.cssselect(".result-title a")[0].text == "포항시 &lt;본격&gt;"
    assert page.cssselect(".facets a")[0].get("aria-current") == "true"
    refused = lxml.html.fromstring(await site.html("/search?q=포항&from=bad", status=400))
    alert = " ".join(refused.cssselect('[role="alert"]')[0].text_content().split())
    assert alert == "기간을 확인해 주세요: 시작일은 종료일보다 늦을 수 없습니다."
