"""Search's HTTP views: `/api/search`, `/api/search/suggest` and `/api/search/posts`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from services.search.analysis import Analyzer
from services.search.queries import parse_post_query, parse_query
from services.search.snippets import marker, snippet
from services.search.suggest import plan, slip_distance
from shared.errors import ServiceError
from shared.ports.search import SearchHit, SearchIndex, SearchQuery, SearchResults, SuggestQuery
from shared.sanitize import clean_text
from shared.web import json_response

SUGGESTIONS = 8
MAX_SUGGEST_CHARS = 50
MAX_SLIP = 1  # keystroke edits a slip may be away from a headline


@dataclass
class SearchDeps:
    index: SearchIndex
    analyzer: Analyzer
    sections: dict[str, str]
    posts: SearchIndex | None = None  # board posts (None: a process without them)


DEPS = web.AppKey("search", SearchDeps)


def query_marker(query: SearchQuery) -> re.Pattern[str] | None:
    """What a page of hits marks in its snippets: the query's tokens, compounds, phrases."""
    return marker((*query.terms, *query.compounds, *(t for p in query.phrases for t in p)))


def hit_body(hit: SearchHit, mark: re.Pattern[str] | None) -> dict[str, Any]:
    source = hit.source
    text = str(source.get("body") or source.get("subhead") or source.get("headline") or "")
    return {
        "article_id": hit.doc_id,
        "headline": source.get("headline"),
        "snippet": snippet(text, mark),
        "section": source.get("section"),
        "byline": source.get("byline"),
        "published_at": source.get("published_at"),
        "score": round(hit.score, 4),
    }


def page_body(
    query: SearchQuery,
    results: SearchResults,
    hit: Callable[[SearchHit, re.Pattern[str] | None], dict[str, Any]],
    facets: dict[str, dict[str, int]],
    started: float,
) -> dict[str, Any]:
    """A page of hits as both search routes answer it (`took_ms` counted from `started`)."""
    mark = query_marker(query)
    body = {
        "total": results.total,
        "took_ms": 0,
        "page": query.offset // query.size + 1,
        "size": query.size,
        "hits": [hit(h, mark) for h in results.hits],
        "facets": facets,
    }
    body["took_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return body


async def search(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    started = time.perf_counter()
    query = parse_query(request.query, deps.analyzer, deps.sections)
    results = await deps.index.search(query)
    facets = {name: dict(counts) for name, counts in results.facets.items()}
    return json_response(page_body(query, results, hit_body, facets, started))


def post_hit_body(hit: SearchHit, mark: re.Pattern[str] | None) -> dict[str, Any]:
    source = hit.source
    text = str(source.get("body") or source.get("headline") or "")
    return {
        "post_id": hit.doc_id,
        "board": source.get("section"),
        "title": source.get("headline"),
        "snippet": snippet(text, mark),
        "author_nick": source.get("byline"),
        "created_at": source.get("published_at"),
        "score": round(hit.score, 4),
    }


async def search_posts(request: web.Request) -> web.Response:
    """Board posts: `?q=&board=&author=&from=&to=&sort=&page=&size=` (hidden posts never)."""
    deps = request.app[DEPS]
    if deps.posts is None:
        raise ServiceError(404, "not_found", "board posts are not searched here")
    started = time.perf_counter()
    query = parse_post_query(request.query, deps.analyzer)
    results = await deps.posts.search(query)
    facets = {
        "board": dict(results.facets.get("section", {})),
        "month": dict(results.facets.get("month", {})),
    }
    return json_response(page_body(query, results, post_hit_body, facets, started))


async def suggest(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    typed = clean_text(request.query.get("q", "")).strip()  # NFC, no control characters
    if not typed or len(typed) > MAX_SUGGEST_CHARS:
        message = f"type 1 to {MAX_SUGGEST_CHARS} characters to get suggestions"
        raise ServiceError(
            400, "invalid_query", message, [{"field": "q", "message": message, "type": "value"}]
        )
    wanted = plan(typed)
    if not wanted.prefixes:
        return json_response({"q": typed, "suggestions": []})
    found = await deps.index.suggest(SuggestQuery(wanted.prefixes, wanted.grams, SUGGESTIONS))
    chosen: dict[str, SearchHit] = {}
    for hit in found.matches:
        chosen.setdefault(str(hit.source.get("headline")), hit)
    slips = sorted(
        (slip_distance(wanted.strokes, str(hit.source.get("headline"))), i, hit)
        for i, hit in enumerate(found.candidates)
    )
    for distance, _, hit in slips:
        if len(chosen) >= SUGGESTIONS or distance > MAX_SLIP:
            break
        chosen.setdefault(str(hit.source.get("headline")), hit)
    suggestions = [
        {"article_id": hit.doc_id, "headline": headline}
        for headline, hit in list(chosen.items())[:SUGGESTIONS]
    ]
    return json_response({"q": typed, "suggestions": suggestions})


async def status(request: web.Request) -> web.Response:
    """The live generations and how many articles and posts they hold (operators, tests)."""
    deps = request.app[DEPS]
    index = deps.index
    body: dict[str, Any] = {
        "generation": await index.generation(),
        "documents": await index.count(),
    }
    if deps.posts is not None:
        body["posts"] = {
            "generation": await deps.posts.generation(),
            "documents": await deps.posts.count(),
        }
    return json_response(body)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/search", search)
    app.router.add_get("/api/search/suggest", suggest)
    app.router.add_get("/api/search/posts", search_posts)
    app.router.add_get("/api/search/status", status)
