"""Render's routes as OpenAPI operations (rendered by shared.openapi): its one JSON route,
and the site's pages, feeds and sitemaps as the text they answer. Unknown pages answer the
site's HTML 404 page, not the JSON error body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.openapi import Operation, Param, Reply, build_document, health_operations

SERVICE = "render"
HTML = "text/html"
PAGE = Param("page", "page number", {"type": "integer", "minimum": 1})


class PageReady(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    ready: bool


def page(
    path: str,
    summary: str,
    *,
    media_type: str = HTML,
    missing: str | None = None,
    params: Sequence[Param] = (),
    extra: Mapping[int, Reply] | None = None,
) -> Operation:
    """A GET of the site: 200 with `media_type`, and the HTML 404 page when `missing` says
    when there is no such page."""
    replies = {200: Reply(summary, media_type=media_type), **(extra or {})}
    if missing:
        replies[404] = Reply(f"the site's 404 page: {missing}", media_type=HTML)
    return Operation("GET", path, summary, tag="site", params=params, replies=replies, errors={})


PAGES = [
    page("/", "the home page (주요 기사, sections, the boards' newest posts)"),
    page("/news", "전체기사, newest first", params=[PAGE], missing="a page past the last"),
    page("/news/{section}", "a section's articles", params=[PAGE],
         missing="no such section, or a page past the last"),
    page("/news/{article_id}", "an article page", missing="no such article",
         extra={410: Reply("the retracted article's notice", media_type=HTML)}),
    page("/news/{article_id}/{slug}", "an article page (any slug)", missing="no such article",
         extra={410: Reply("the retracted article's notice", media_type=HTML)}),
    page("/search", "search results (asks the search API)",
         params=[Param("q", "the query"), Param("section", "a section slug"),
                 Param("from", "first day"), Param("to", "last day"),
                 Param("sort", "relevance or latest"), PAGE],
         extra={400: Reply("the search refused the query: the page says why", media_type=HTML),
                503: Reply("the search API is unreachable: the page says so", media_type=HTML)}),
    page("/community/{board}", "a board's posts", params=[PAGE], missing="no such board"),
    page("/community/{board}/write", "the form to write a post", missing="no such board"),
    page("/community/{board}/{post_id}", "a post with its comments",
         missing="no such board or post"),
    page("/signup", "the sign-up form"),
    page("/login", "the log-in form", params=[Param("next", "where to go after (this site)")]),
    page("/write", "기사쓰기, the newsroom's article form"),
    page("/about", "회사소개"),
    page("/about/{page}", "an about page", missing="no such page"),
    page("/rss.xml", "the paper's RSS 2.0 feed", media_type="application/rss+xml"),
    page("/atom.xml", "the paper's Atom feed", media_type="application/atom+xml"),
    page("/news/{section}/rss.xml", "a section's RSS 2.0 feed",
         media_type="application/rss+xml", missing="no such section"),
    page("/news/{section}/atom.xml", "a section's Atom feed",
         media_type="application/atom+xml", missing="no such section"),
    page("/sitemap.xml", "the sitemap", media_type="application/xml"),
    page("/news-sitemap.xml", "the news sitemap (two days)", media_type="application/xml"),
    page("/robots.txt", "robots.txt", media_type="text/plain"),
]  # fmt: skip

OPERATIONS = [
    Operation(
        "GET", "/api/render/ready", "whether render already shows a page just created",
        tag="site", params=[Param("path", "/news/{article_id} or /community/{board}/{post_id}",
                                  required=True)],
        replies={200: Reply("ready or not yet", PageReady)},
        errors={400: "path is not an article or board post page"},
    ),
]  # fmt: skip


def document(routes: Mapping[tuple[str, str], Mapping[str, str]]) -> dict[str, Any]:
    return build_document(
        "Sinmun render",
        "The public site: pages, feeds and sitemaps from render's own read models.",
        [*OPERATIONS, *PAGES, *health_operations(SERVICE)],
        routes,
    )
