"""Community pages (공지사항, 자유게시판): lists, posts with comments, the write form.

Pages read render's board read model; what a member does (write, comment, 추천, 신고) the
page's own script sends to the boards API with the CSRF token.
"""

from __future__ import annotations

from aiohttp import web

from services.render import formatting
from services.render.chrome import Meta, absolute, cached, fresh, page_number, render
from services.render.deps import RENDER
from services.render.notices import not_found, not_found_page
from services.render.page_cache import ARTICLES, BOARDS, MOST_VIEWED, CachedPage
from services.render.pagination import Pagination

PAGE_SIZE = 20
POST_ID = r"[0-9a-f]{21}"


def _board(request: web.Request) -> tuple[str, str] | None:
    slug = request.match_info["board"]
    name = request.app[RENDER].settings.render_boards.get(slug)
    return (slug, name) if name else None


async def board_list(request: web.Request) -> web.Response:
    board = _board(request)
    if board is None:
        return await not_found(request)
    slug, name = board
    deps = request.app[RENDER]
    page = page_number(request)

    async def load() -> CachedPage:
        posts, total = await deps.boards.posts(slug, page, PAGE_SIZE)
        pagination = Pagination.of(page, PAGE_SIZE, total, f"/community/{slug}")
        meta = Meta(
            title=f"{name} - {deps.settings.render_site_name}",
            description=f"{deps.settings.render_site_name} 커뮤니티 {name}",
            canonical=absolute(deps, pagination.href(page)),
        )
        return await render(
            request, "board_list.html", meta, board=slug, board_name=name, posts=posts,
            total=total, pagination=pagination, current="community",
        )  # fmt: skip

    return await cached(request, ("board", slug, page), load, (ARTICLES, BOARDS, MOST_VIEWED))


async def post_page(request: web.Request) -> web.Response:
    board = _board(request)
    if board is None:
        return await not_found(request)
    slug, name = board
    deps = request.app[RENDER]
    post_id = request.match_info["post_id"]

    async def load() -> CachedPage:
        # Read inside the cached load, so a change that lands meanwhile is never kept stale.
        found = await deps.boards.post(post_id)
        if found is None or found.post.board != slug:
            return await not_found_page(request)
        p = found.post
        meta = Meta(
            title=f"{p.title} - {name} - {deps.settings.render_site_name}",
            description=formatting.cut(p.body_text, 150),
            canonical=absolute(deps, f"/community/{slug}/{p.post_id}"),
            og_type="article", og_title=p.title,
        )  # fmt: skip
        return await render(
            request, "post.html", meta, board=slug, board_name=name, p=p,
            comments=found.comments, here=request.path, current="community",
            last_modified=p.updated_at or p.created_at,
        )  # fmt: skip

    return await cached(request, ("post", slug, post_id), load, (ARTICLES, BOARDS, MOST_VIEWED))


async def write_post(request: web.Request) -> web.Response:
    board = _board(request)
    if board is None:
        return await not_found(request)
    slug, name = board
    deps = request.app[RENDER]
    meta = Meta(
        title=f"{name} 글쓰기 - {deps.settings.render_site_name}",
        description=f"{name}에 글을 씁니다.",
        noindex=True,
    )
    page = await render(
        request, "post_write.html", meta, sidebar=False, board=slug, board_name=name,
        here=request.path, current="community",
    )  # fmt: skip
    return await fresh(request, page)
