"""Member and newsroom forms: 회원가입, 로그인, 기사쓰기.

The pages are plain forms; their script posts JSON to the owning service's API (boards'
/api/members and /api/sessions, ingest's /api/articles) — render stores nothing of them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.render.chrome import Meta, fresh, render
from services.render.deps import RENDER


def _safe_next(target: str) -> str:
    """Only a path on this site (no `//host` or scheme): no open redirect after logging in."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def _form(request: web.Request, template: str, title: str, **context: Any) -> web.Response:
    deps = request.app[RENDER]
    meta = Meta(
        title=f"{title} - {deps.settings.render_site_name}",
        description=f"{deps.settings.render_site_name} {title}",
        noindex=True,
    )
    page = await render(request, template, meta, sidebar=False, **context)
    return await fresh(request, page)


async def signup(request: web.Request) -> web.Response:
    return await _form(request, "signup.html", "회원가입")


async def login(request: web.Request) -> web.Response:
    return await _form(
        request, "login.html", "로그인", next=_safe_next(request.query.get("next", "/"))
    )


async def write(request: web.Request) -> web.Response:
    return await _form(request, "write.html", "기사쓰기")
