"""News pages: home, 전체기사 and section lists, articles, notices (404/410), about pages."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web

from services.render import formatting
from services.render.chrome import Meta, absolute, cached, page_number, render
from services.render.deps import RENDER, RenderDeps
from services.render.models import ArticlePage
from services.render.page_cache import ARTICLES, BOARDS, MOST_VIEWED, CachedPage, respond
from services.render.pagination import Pagination
from services.render.read_models import plain_lead
from services.render.share import share_links
from shared.errors import ServiceError
from shared.web import json_response

log = structlog.get_logger("sinmun.render")

TOP_STORIES = 5
BLOCK_CARDS = 4
LIST_SIZE = 20
HOME_BOARD_POSTS = 5
MAX_REMEMBERED = 50_000
_sections: dict[str, str] = {}  # article id -> section, for views counted on cache hits


def _description(deps: RenderDeps, text: str | None = None) -> str:
    site = deps.settings.render_site_name
    return formatting.cut(text, 150) if text else f"{site} — 지역의 소식을 가장 먼저 전합니다."


async def home(request: web.Request) -> web.Response:
    deps = request.app[RENDER]

    async def load() -> CachedPage:
        top = await deps.articles.latest(TOP_STORIES)
        shown = {c.article_id for c in top}
        blocks: list[dict[str, Any]] = []
        if top:
            lists = await asyncio.gather(
                *(
                    deps.articles.latest(BLOCK_CARDS + TOP_STORIES, section=s)
                    for s in deps.settings.sections
                )
            )
            for (slug, name), cards in zip(deps.settings.sections.items(), lists, strict=True):
                fresh = [c for c in cards if c.article_id not in shown][:BLOCK_CARDS]
                if fresh:
                    blocks.append({"slug": slug, "name": name, "cards": fresh})
        boards = await asyncio.gather(
            *(deps.boards.latest(b, HOME_BOARD_POSTS) for b in deps.settings.render_boards)
        )
        community = [
            {"slug": slug, "name": name, "posts": posts}
            for (slug, name), posts in zip(deps.settings.render_boards.items(), boards, strict=True)
        ]
        site = deps.settings.render_site_name
        meta = Meta(title=site, description=_description(deps), canonical=absolute(deps, "/"))
        search = {"@type": "SearchAction", "target": absolute(deps, "/search?q={q}"),
                  "query-input": "required name=q"}  # fmt: skip
        ld = {"@context": "https://schema.org", "@type": "WebSite", "name": site,
              "url": absolute(deps, "/"), "potentialAction": search}  # fmt: skip
        return await render(
            request, "home.html", meta, top=top, blocks=blocks, community=community, ld=ld
        )

    return await cached(request, ("home",), load, (ARTICLES, BOARDS, MOST_VIEWED))


async def news(request: web.Request) -> web.Response:
    """전체기사, or one section's list (뉴스 > 포항)."""
    deps = request.app[RENDER]
    section = request.match_info.get("section")
    name = deps.settings.sections.get(section) if section else None
    if section and name is None:
        return await not_found(request)
    page = page_number(request)
    path = f"/news/{section}" if section else "/news"

    async def load() -> CachedPage:
        total = await deps.articles.count(section)
        pagination = Pagination.of(page, LIST_SIZE, total, path)
        cards = await deps.articles.latest(LIST_SIZE, pagination.offset, section)
        title = f"{name or '전체기사'} - {deps.settings.render_site_name}"
        if page > 1:
            title = f"{name or '전체기사'} ({page}쪽) - {deps.settings.render_site_name}"
        meta = Meta(
            title=title,
            description=_description(deps, f"{name or '전체'} 뉴스: 최신 기사 {total}건"),
            canonical=absolute(deps, pagination.href(page)),
            noindex=page > pagination.pages,
        )
        return await render(
            request, "news_list.html", meta, cards=cards, total=total, pagination=pagination,
            section=section, section_name=name, current=section or "all",
            status=404 if page > pagination.pages > 1 else 200,
        )  # fmt: skip

    return await cached(request, ("news", section, page), load)


def visitor_id(request: web.Request) -> str:
    """A pseudonymous visitor: a hash of address and browser, never stored in the clear."""
    raw = f"{request.remote}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


async def _count_view(request: web.Request, article_id: str) -> None:
    """Queued, not published here: a page never waits on the bus."""
    deps = request.app[RENDER]
    agent = request.headers.get("User-Agent", "")
    section = _sections.get(article_id, "")
    try:
        await deps.record_view(article_id, section, visitor_id(request), agent)
    except Exception as exc:  # a view uncounted, never a failed page
        log.warning("view_not_recorded", error=repr(exc))


def _remember_section(article_id: str, section: str) -> None:
    if len(_sections) >= MAX_REMEMBERED:
        _sections.clear()  # rebuilt as pages render again
    _sections[article_id] = section


def _article_ld(deps: RenderDeps, story: ArticlePage, url: str) -> dict[str, Any]:
    a = story.article
    site = deps.settings.render_site_name
    ld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.headline,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "datePublished": formatting.iso(a.published_at),
        "dateModified": formatting.iso(a.updated_at or a.published_at),
        "articleSection": deps.settings.sections.get(a.section, a.section),
        "inLanguage": "ko",
        "publisher": {"@type": "Organization", "name": site, "url": absolute(deps, "/")},
        "description": story.card.subhead or _lead(story),
    }
    if a.byline:
        ld["author"] = [{"@type": "Person", "name": a.byline.removesuffix(" 기자").strip()}]
    if a.images:
        ld["image"] = [str(i.url) for i in a.images]
    if a.tags:
        ld["keywords"] = list(a.tags)
    return ld


def _lead(story: ArticlePage) -> str:
    return plain_lead(story.article.body_html, 150)


async def article(request: web.Request) -> web.Response:
    """The article page; a hit of the page cache reads no database at all."""
    deps = request.app[RENDER]
    article_id = request.match_info["article_id"]

    async def load() -> CachedPage:
        story = await deps.articles.page(article_id)
        if story is None:
            return await not_found_page(request)
        if story.retracted:
            return await gone_page(request, story.article.section)
        a = story.article
        _remember_section(a.article_id, a.section)
        url = absolute(deps, formatting.article_path(a.article_id))
        section_name = deps.settings.sections.get(a.section, a.section)
        meta = Meta(
            title=f"{a.headline} - {deps.settings.render_site_name}",
            description=formatting.cut(a.subhead or _lead(story), 150),
            canonical=url, og_type="article", og_title=a.headline,
            image=str(a.images[0].url) if a.images else None,
        )  # fmt: skip
        updated = a.updated_at is not None and a.updated_at > a.published_at
        site_url = absolute(deps, "/")
        return await render(
            request, "article.html", meta, a=a, section_name=section_name, updated=updated,
            share=share_links(url, a.headline, site_url), ld=_article_ld(deps, story, url),
            current=a.section, last_modified=a.updated_at or a.published_at,
        )  # fmt: skip

    response = await cached(request, ("article", article_id), load)
    if response.status in (200, 304):
        await _count_view(request, article_id)
    return response


async def gone_page(request: web.Request, section: str) -> CachedPage:
    """410 with a notice: the article was retracted."""
    deps = request.app[RENDER]
    meta = Meta(
        title=f"삭제된 기사 - {deps.settings.render_site_name}",
        description="이 기사는 삭제되었습니다.",
        noindex=True,
    )
    lines = [
        "요청하신 기사는 발행처의 결정으로 삭제되어 더 이상 제공되지 않습니다.",
        "다른 기사를 찾으시려면 검색을 이용해 주세요.",
    ]
    return await render(
        request, "notice.html", meta, status=410, heading="삭제된 기사입니다", lines=lines,
        current=section,
    )  # fmt: skip


async def not_found_page(request: web.Request) -> CachedPage:
    deps = request.app[RENDER]
    meta = Meta(
        title=f"페이지를 찾을 수 없습니다 - {deps.settings.render_site_name}",
        description="요청하신 페이지를 찾을 수 없습니다.",
        noindex=True,
    )
    lines = [
        "주소가 바뀌었거나 잘못 입력되었을 수 있습니다.",
        "홈이나 전체기사에서 찾으시는 소식을 둘러보세요.",
    ]
    return await render(
        request, "notice.html", meta, status=404, heading="페이지를 찾을 수 없습니다",
        lines=lines,
    )  # fmt: skip


async def not_found(request: web.Request) -> web.Response:
    return respond(request, await not_found_page(request), "no-cache")


ABOUT: dict[str, tuple[str, list[str]]] = {
    "": ("회사소개", ["지역의 소식을 정확하고 빠르게 전하는 지역 일간지입니다."]),
    "greeting": ("인사말", ["독자 여러분의 관심과 성원에 감사드립니다."]),
    "ethics": ("윤리강령", ["신문윤리강령 및 그 실천요강을 준수합니다."]),
    "ad-ethics": ("광고 윤리강령", ["독자를 오도하는 광고는 싣지 않습니다."]),
    "subscribe": ("구독신청", ["구독 문의는 아래 연락처로 해 주세요."]),
    "organization": ("조직도", ["편집국, 경영지원국으로 이루어져 있습니다."]),
    "advertise": ("광고문의", ["광고 문의는 아래 연락처로 해 주세요."]),
    "partnership": ("제휴문의", ["기사 제휴와 협력 문의는 아래 연락처로 해 주세요."]),
    "careers": ("채용정보 안내", ["채용 공고는 이 페이지와 공지사항에 게시합니다."]),
    "privacy": (
        "개인정보취급방침",
        [
            "회원가입 때 이메일과 닉네임만 받으며, 비밀번호는 복원할 수 없는 형태로 저장합니다.",
            "많이 본 뉴스 집계에는 개인을 알아볼 수 없는 방문자 해시만 씁니다.",
        ],
    ),
    "youth": (
        "청소년보호정책",
        [
            "유해한 정보로부터 청소년을 보호하기 위해 청소년보호책임자를 지정하고 있습니다.",
        ],
    ),
}


async def about(request: web.Request) -> web.Response:
    deps = request.app[RENDER]
    name = request.match_info.get("page", "")
    if name not in ABOUT:
        return await not_found(request)
    heading, lines = ABOUT[name]

    async def load() -> CachedPage:
        meta = Meta(
            title=f"{heading} - {deps.settings.render_site_name}",
            description=f"{deps.settings.render_site_name} {heading}",
            canonical=absolute(deps, request.path),
        )
        return await render(
            request, "about.html", meta, sidebar=False, heading=heading, lines=lines
        )

    return await cached(request, ("about", name), load, (ARTICLES,))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NOT_SITE = ("/api/", "/healthz", "/readyz", "/metrics")
NOT_HTML = (*NOT_SITE, "/static/")


PAGE_HEADERS = {
    # The site's own scripts and styles only; article images may come from partners' hosts.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' https: http: data:; "
    "script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'self'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@web.middleware
async def page_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every page and asset of the site (APIs set their own)."""
    response = await handler(request)
    if not request.path.startswith(NOT_SITE):
        response.headers.update(PAGE_HEADERS)
    return response


SERVER_ERROR = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>잠시 후 다시 시도해 주세요</title><link rel="stylesheet" href="/static/site.css"></head>
<body><main id="main" class="wrap"><section class="notice-page"><p class="notice-code">500</p>
<h1>잠시 후 다시 시도해 주세요</h1><p>페이지를 만드는 중에 문제가 생겼습니다.</p>
<ul class="notice-links"><li><a href="/">홈으로</a></li></ul></section></main></body></html>
"""


@web.middleware
async def html_not_found(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown site addresses get the 404 page with the site's chrome, a failing page a plain
    500 page (it needs no database); APIs keep their JSON errors."""
    if request.path.startswith(NOT_HTML) or request.method not in ("GET", "HEAD"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPNotFound:
        if RENDER not in request.app:
            raise
        return await not_found(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("page_failed", path=request.path)
        return web.Response(
            text=SERVER_ERROR,
            status=500,
            content_type="text/html",
            headers={"Cache-Control": "no-store"},
        )


ARTICLE_PATH = re.compile(r"/news/(\d{16})")
POST_PATH = re.compile(r"/community/([a-z][a-z0-9-]{0,39})/([0-9a-f]{21})")


async def page_ready(request: web.Request) -> web.Response:
    """Whether render already shows a page the reader just created (the forms' script waits
    on this, not on 404s, before going there)."""
    deps = request.app[RENDER]
    path = request.query.get("path", "")
    if match := ARTICLE_PATH.fullmatch(path):
        story = await deps.articles.page(match.group(1))
        ready = story is not None
    elif match := POST_PATH.fullmatch(path):
        found = await deps.boards.post(match.group(2))
        ready = found is not None and found.post.board == match.group(1)
    else:
        raise ServiceError(
            400, "invalid_query", "path must be an article or a board post page",
            [{"field": "path", "message": "not a page render makes", "type": "value"}],
        )  # fmt: skip
    return json_response({"path": path, "ready": ready})
