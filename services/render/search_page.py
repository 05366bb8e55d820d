"""The search page: asks the search API over HTTP and shows highlights, filters and pages."""

from __future__ import annotations

from urllib.parse import urlencode

import structlog
from aiohttp import web

from services.render.chrome import Meta, fresh, render
from services.render.deps import RENDER
from services.render.pagination import Pagination
from services.render.search_client import SEARCH_PARAMS, SearchError, SearchResults

log = structlog.get_logger("sinmun.render")

PAGE_SIZE = 10
MAX_PAGES = 100  # the search API pages no deeper
SUGGESTIONS_ON_EMPTY = 5
FIELD_MESSAGES = {
    "q": "검색할 낱말을 입력해 주세요. (200자 이내)",
    "from": "기간을 확인해 주세요: 시작일은 종료일보다 늦을 수 없습니다.",
    "to": "기간을 확인해 주세요: 시작일은 종료일보다 늦을 수 없습니다.",
    "section": "섹션을 확인해 주세요.",
    "sort": "정렬 방식을 확인해 주세요.",
    "page": "페이지 번호를 확인해 주세요. (100쪽까지)",
}


def _message(error: SearchError) -> str:
    if error.unavailable:
        return "지금은 검색을 할 수 없습니다. 잠시 후 다시 시도해 주세요."
    return FIELD_MESSAGES.get(error.field or "", "검색 조건을 확인해 주세요.")


async def search(request: web.Request) -> web.Response:
    deps = request.app[RENDER]
    params = {
        k: request.query[k].strip() for k in SEARCH_PARAMS if request.query.get(k, "").strip()
    }
    params.pop("size", None)
    q = params.get("q", "")
    base = deps.search.base_for(request)
    results: SearchResults | None = None
    error: str | None = None
    suggestions: list[dict[str, str]] = []
    status = 200
    if q:
        try:
            results = await deps.search.search(base, {**params, "size": str(PAGE_SIZE)})
        except SearchError as exc:
            log.info("search_refused", status=exc.status, message=exc.message)
            error, status = _message(exc), (503 if exc.unavailable else 400)
        if results is not None and not results.hits:
            suggestions = await _suggestions(request, base, q)
    total = min(results.total, PAGE_SIZE * MAX_PAGES) if results else 0
    page = results.page if results else 1
    pagination = Pagination.of(page, PAGE_SIZE, total, "/search", params)
    facets = (
        sorted(results.facets.get("section", {}).items(), key=lambda kv: -kv[1]) if results else []
    )
    site = deps.settings.render_site_name
    meta = Meta(
        title=f"‘{q}’ 검색 결과 - {site}" if q else f"기사 검색 - {site}",
        description=f"{site} 기사 검색",
        noindex=True,
    )

    def facet_href(section: str) -> str:
        kept = {k: v for k, v in params.items() if k not in ("page", "section")}
        return "/search?" + urlencode({**kept, "section": section})

    unfiltered = "/search?" + urlencode({"q": q})
    page_html = await render(
        request, "search.html", meta, status=status, q=q, params=params, results=results,
        error=error, suggestions=suggestions, pagination=pagination, facets=facets,
        facet_href=facet_href, unfiltered=unfiltered, search_q=q,
    )  # fmt: skip
    return await fresh(request, page_html)


async def _suggestions(request: web.Request, base: str, q: str) -> list[dict[str, str]]:
    """Near headlines for a query that found nothing (typos, 초성, a Korean word typed in
    English keys)."""
    try:
        found = await request.app[RENDER].search.suggest(base, q[:50])
    except SearchError:
        return []
    return found[:SUGGESTIONS_ON_EMPTY]
