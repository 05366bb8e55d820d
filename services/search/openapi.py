"""Search's HTTP API as OpenAPI operations (rendered by shared.openapi)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.search.api import MAX_SUGGEST_CHARS, SUGGESTIONS
from services.search.queries import MAX_PAGE, MAX_QUERY_CHARS
from shared.openapi import Operation, Param, Reply, build_document, health_operations
from shared.ports.search import MAX_PAGE_SIZE, SortOrder

SERVICE = "search"


class ArticleHit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article_id: str
    headline: str | None
    snippet: str = Field(description="a passage with the query's words in <mark>, else escaped")
    section: str | None
    byline: str | None
    published_at: str | None = Field(description="ISO-8601")
    score: float


class PostHit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_id: str
    board: str | None
    title: str | None
    snippet: str
    author_nick: str | None
    created_at: str | None = Field(description="ISO-8601")
    score: float


class ResultsPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total: int = Field(ge=0)
    took_ms: float = Field(ge=0)
    page: int = Field(ge=1)
    size: int = Field(ge=1, le=MAX_PAGE_SIZE)
    facets: dict[str, dict[str, int]] = Field(description="section (board) and month counts")


class ArticleResults(ResultsPage):
    hits: list[ArticleHit]


class PostResults(ResultsPage):
    hits: list[PostHit]


class Suggestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article_id: str
    headline: str


class Suggestions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str
    suggestions: list[Suggestion] = Field(max_length=SUGGESTIONS)


class Generation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    generation: str | None
    documents: int = Field(ge=0)


class Status(Generation):
    posts: Generation | None = None


def _text(name: str, description: str, max_length: int | None = None) -> Param:
    schema: dict[str, Any] = {"type": "string"}
    if max_length:
        schema["maxLength"] = max_length
    return Param(name, description, schema)


QUERY = Param("q", "the query: words, \"quoted phrases\"", {"type": "string", "minLength": 1,
              "maxLength": MAX_QUERY_CHARS}, required=True)  # fmt: skip
COMMON = [
    QUERY,
    _text("from", "first day (KST), e.g. 2026-09-01"),
    _text("to", "last day (KST), e.g. 2026-09-30"),
    Param("sort", "relevance (default) or latest", {"enum": [o.value for o in SortOrder]}),
    Param("page", "page number", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
    Param("size", f"hits a page (capped at {MAX_PAGE_SIZE})", {"type": "integer", "minimum": 1,
          "maximum": 10_000}),
]  # fmt: skip
BAD_QUERY = "the query is empty, too long or has no searchable words, or a filter is invalid"

OPERATIONS = [
    Operation(
        "GET", "/api/search", "search articles", tag="search",
        params=[*COMMON, _text("section", "a section slug"), _text("byline", "a byline")],
        replies={200: Reply("a page of hits with facets", ArticleResults)},
        errors={400: BAD_QUERY},
    ),
    Operation(
        "GET", "/api/search/suggest", "headline suggestions as one types", tag="search",
        params=[Param("q", "what was typed (초성, 두벌식 on a Latin keyboard, slips)",
                      {"type": "string", "minLength": 1, "maxLength": MAX_SUGGEST_CHARS},
                      required=True)],
        replies={200: Reply("up to 8 headlines", Suggestions)},
        errors={400: f"q is empty or longer than {MAX_SUGGEST_CHARS} characters"},
    ),
    Operation(
        "GET", "/api/search/posts", "search board posts (hidden posts never)", tag="search",
        params=[*COMMON, _text("board", "a board slug"), _text("author", "a nickname")],
        replies={200: Reply("a page of post hits with facets", PostResults)},
        errors={400: BAD_QUERY, 404: "this process does not search board posts"},
    ),
    Operation(
        "GET", "/api/search/status", "live index generations and their document counts",
        tag="search", replies={200: Reply("articles and posts indexed", Status)}, errors={},
    ),
]  # fmt: skip


def document(routes: Mapping[tuple[str, str], Mapping[str, str]]) -> dict[str, Any]:
    return build_document(
        "Sinmun search",
        "Korean search over articles and board posts (docs/search.md).",
        [*OPERATIONS, *health_operations(SERVICE)],
        routes,
    )
