"""Search's HTTP views: `/api/search` and `/api/search/suggest`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from services.search.analysis import Analyzer
from services.search.queries import parse_query
from services.search.snippets import snippet
from shared.ports.search import SearchHit, SearchIndex, SearchQuery
from shared.web import json_response


@dataclass
class SearchDeps:
    index: SearchIndex
    analyzer: Analyzer
    sections: dict[str, str]


DEPS = web.AppKey("search", SearchDeps)


def hit_body(hit: SearchHit, query: SearchQuery, analyzer: Analyzer) -> dict[str, Any]:
    source = hit.source
    terms = frozenset(query.terms) | frozenset(t for p in query.phrases for t in p)
    text = str(source.get("body") or source.get("subhead") or source.get("headline") or "")
    return {
        "article_id": hit.doc_id,
        "headline": source.get("headline"),
        "snippet": snippet(text, terms, analyzer),
        "section": source.get("section"),
        "byline": source.get("byline"),
        "published_at": source.get("published_at"),
        "score": round(hit.score, 4),
    }


async def search(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    started = time.perf_counter()
    query = parse_query(request.query, deps.analyzer, deps.sections)
    results = await deps.index.search(query)
    body = {
        "total": results.total,
        "took_ms": 0,
        "page": query.offset // query.size + 1,
        "size": query.size,
        "hits": [hit_body(hit, query, deps.analyzer) for hit in results.hits],
        "facets": {name: dict(counts) for name, counts in results.facets.items()},
    }
    body["took_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return json_response(body)


async def status(request: web.Request) -> web.Response:
    """The live generation and how many articles it holds (operators, tests)."""
    index = request.app[DEPS].index
    return json_response({"generation": await index.generation(), "documents": await index.count()})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/search", search)
    app.router.add_get("/api/search/status", status)
