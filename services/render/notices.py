"""What the site says when there is no page: 404 and 410 notices, the 500 page, about pages,
and the middlewares that give every site address its chrome and security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from services.render.chrome import Meta, absolute, cached, render
from services.render.deps import RENDER
from services.render.page_cache import ARTICLES, PAGE_HEADERS, CachedPage, respond

log = structlog.get_logger("sinmun.render")


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


SERVER_ERROR = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>잠시 후 다시 시도해 주세요</title><link rel="stylesheet" href="/static/site.css"></head>
<body><main id="main" class="wrap"><section class="notice-page"><p class="notice-code">500</p>
<h1>잠시 후 다시 시도해 주세요</h1><p>페이지를 만드는 중에 문제가 생겼습니다.</p>
<ul class="notice-links"><li><a href="/">홈으로</a></li></ul></section></main></body></html>
"""


@web.middleware
async def site_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every site address (not APIs, probes or metrics) gets the site's security headers;
    unknown pages get the 404 page with the site's chrome, a failing page a plain 500 page
    (it needs no database); assets a long cache. APIs keep their JSON errors. One layer, as it
    runs for every request of the process."""
    path = request.path
    if path.startswith(NOT_SITE):
        return await handler(request)
    if path.startswith("/static/") or request.method not in ("GET", "HEAD"):
        response = await handler(request)
    else:
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            if RENDER not in request.app:
                raise
            response = await not_found(request)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("page_failed", path=path)
            response = web.Response(
                text=SERVER_ERROR,
                status=500,
                content_type="text/html",
                headers={"Cache-Control": "no-store"},
            )
    headers = response.headers
    if "Content-Security-Policy" not in headers:  # a cached page's headers come with them
        headers.update(PAGE_HEADERS)
    if path.startswith("/static/") and response.status == 200:
        # Pages link the CSS and script with ?v=<their hash>: such a URL never changes.
        versioned = "v" in request.query
        headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if versioned else "public, max-age=3600"
        )
    return response
