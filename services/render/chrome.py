"""What every page shares: the viewer, header, sidebar and footer data, SEO meta, responses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from services.render.deps import RENDER, RenderDeps
from services.render.models import ArticleCard, RankedArticle
from services.render.page_cache import ARTICLES, MOST_VIEWED, PUBLIC, CachedPage, respond
from services.render.templating import asset_version
from shared.auth import VERIFIER
from shared.sessions import SESSION_COOKIE, Session

ASSET_VERSION = asset_version()
SIDEBAR_LATEST = 15
SIDEBAR_RANKED = 10
FOOTER_LINKS = (
    ("/about", "회사소개"),
    ("/about/greeting", "인사말"),
    ("/about/ethics", "윤리강령"),
    ("/about/ad-ethics", "광고 윤리강령"),
    ("/about/subscribe", "구독신청"),
    ("/about/organization", "조직도"),
    ("/about/advertise", "광고문의"),
    ("/about/partnership", "제휴문의"),
    ("/about/careers", "채용정보 안내"),
    ("/about/privacy", "개인정보취급방침"),
    ("/about/youth", "청소년보호정책"),
)


def viewer(request: web.Request) -> Session | None:
    """The member reading this page (from the session cookie), or None for an anonymous reader."""
    raw = request.headers.get("Cookie")
    if raw is None or SESSION_COOKIE not in raw:
        return None  # most readers: no session, and no cookies to parse
    token = request.cookies.get(SESSION_COOKIE)
    verifier = request.app.get(VERIFIER)
    if not token or verifier is None:
        return None
    return verifier.verify(token)


def viewer_key(who: Session | None) -> tuple[str, ...]:
    """Pages differ per viewer only in the header: cache one copy per nickname and role."""
    return () if who is None else (who.member_id, who.nickname, who.role.value)


@dataclass(frozen=True)
class Meta:
    """The page's <head>: title, description, canonical address and sharing cards."""

    title: str
    description: str
    canonical: str | None = None
    og_type: str = "website"
    og_title: str | None = None
    image: str | None = None
    noindex: bool = False


@dataclass
class Chrome:
    edited: datetime | None
    sidebar: bool
    latest: list[ArticleCard] = field(default_factory=list)
    most_viewed: list[RankedArticle] = field(default_factory=list)


async def chrome(deps: RenderDeps, sidebar: bool = True) -> Chrome:
    if not sidebar:
        return Chrome(await deps.articles.last_edited(), False)
    edited, latest, ranked = await asyncio.gather(
        deps.articles.last_edited(),
        deps.articles.latest(SIDEBAR_LATEST),
        deps.most_viewed.top(SIDEBAR_RANKED),
    )
    return Chrome(edited, True, latest, ranked)


def site_context(deps: RenderDeps) -> dict[str, Any]:
    s = deps.settings
    return {
        "name": s.render_site_name,
        "url": s.render_public_url.rstrip("/"),
        "sections": s.sections,
        "boards": s.render_boards,
        "company": s.render_company,
    }


def absolute(deps: RenderDeps, path: str) -> str:
    return deps.settings.render_public_url.rstrip("/") + path


async def render(
    request: web.Request,
    template: str,
    meta: Meta,
    *,
    status: int = 200,
    sidebar: bool = True,
    last_modified: datetime | None = None,
    **context: Any,
) -> CachedPage:
    """A page rendered into a cacheable body with its ETag."""
    deps = request.app[RENDER]
    parts = await chrome(deps, sidebar)
    html = deps.templates.get_template(template).render(
        site=site_context(deps),
        chrome=parts,
        viewer=viewer(request),
        meta=meta,
        footer_links=FOOTER_LINKS,
        asset_version=ASSET_VERSION,
        **context,
    )
    return CachedPage.of(html, "text/html; charset=utf-8", last_modified or parts.edited, status)


async def cached(
    request: web.Request,
    key: tuple[object, ...],
    load: Callable[[], Awaitable[CachedPage]],
    depends: Iterable[str] = (ARTICLES, MOST_VIEWED),
    deps: RenderDeps | None = None,
) -> web.Response:
    """The page for `key` from this replica's cache (rendered on a miss), 304 when current;
    one copy per viewer (see `viewer_key`)."""
    who = viewer(request)
    cache = (deps or request.app[RENDER]).cache
    viewers_key = (*key, viewer_key(who))
    page = cache.hit(viewers_key)
    if page is None:
        page = await cache.get(viewers_key, load, depends)
    # A member's page shows their nickname: browsers may keep it, shared caches may not.
    control = "private, no-cache" if who else PUBLIC
    # Vary: the header's member menu depends on the session.
    return respond(request, page, control, vary="Cookie")


async def fresh(request: web.Request, page: CachedPage) -> web.Response:
    """An uncached page (forms, search results) with its validators."""
    return respond(request, page, "private, no-cache")


def page_number(request: web.Request, high: int = 10_000) -> int:
    try:
        value = int(request.query.get("page", "1"))
    except ValueError:
        return 1
    return min(max(value, 1), high)
