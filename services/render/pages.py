"""News pages: home, 전체기사 and section lists, the article page; page readiness."""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Any

import structlog
from aiohttp import web

from services.render import formatting
from services.render.chrome import Meta, absolute, cached, page_number, render
from services.render.deps import RENDER, RenderDeps
from services.render.models import ArticlePage
from services.render.most_viewed import client_class
from services.render.notices import gone_page, not_found, not_found_page
from services.render.page_cache import ARTICLES, BOARDS, MOST_VIEWED, CachedPage
from services.render.pagination import Pagination
from services.render.read_models import plain_lead
from services.render.share import share_links
from shared.errors import ServiceError
from shared.schemas import ClientClass
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
            status=404 if page > pagination.pages else 200,
        )  # fmt: skip

    return await cached(request, ("news", section, page), load)


def visitor_id(request: web.Request) -> str:
    """A pseudonymous visitor: a hash of address and browser, never stored in the clear."""
    raw = f"{request.remote}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


async def _count_view(request: web.Request, deps: RenderDeps, article_id: str, agent: str) -> None:
    """Queued, not published here: a page never waits on the bus."""
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

    response = await cached(request, ("article", article_id), load, deps=deps)
    if response.status in (200, 304):
        agent = request.headers.get("User-Agent", "")
        # The agent first: a crawler's or a script's reading is no view, and needs no visitor.
        if client_class(agent) is not ClientClass.BOT:
            await _count_view(request, deps, article_id, agent)
    return response


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
