"""Board views: the boards, their posts (list, read, write)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.boards.catalog import Access, BoardConfig, allowed
from services.boards.identity import parse
from services.boards.members import MemberStore
from services.boards.outbox import BoardsOutbox, entry, queued
from services.boards.posts import PostStore, new_id, now, post_of
from services.boards.reactions import AlreadyReportedError, AlreadyVotedError, ReactionStore
from services.boards.read_cache import PageCache, ViewCounter
from services.boards.spam import SpamGuard
from services.boards.text import to_html
from shared.auth import current_session, require_session
from shared.errors import ServiceError
from shared.schemas.boards import (
    BoardComment,
    BoardPost,
    CommentAdded,
    PostCreated,
    PostHidden,
    PostUpdated,
)
from shared.sessions import Session
from shared.topics import BOARDS_EVENTS
from shared.web import json_response

MAX_PAGE_SIZE = 50
MAX_BODY_CHARS = 20_000


class NewPost(BaseModel):
    """Strict: every field its JSON type, nothing else (no operator objects, no extra keys)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body_text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BODY_CHARS)
    ]
    pinned: bool = False
    website: str | None = Field(default=None, description="the honeypot: people leave it empty")


class NewComment(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    body_text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)
    ]
    parent_id: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, description="the honeypot: people leave it empty")


class EditPost(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    body_text: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BODY_CHARS)
        ]
        | None
    ) = None


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


REPORTS_TO_HIDE = 3


@dataclass
class BoardDeps:
    boards: dict[str, BoardConfig]
    posts: PostStore
    reactions: ReactionStore
    members: MemberStore
    pages: PageCache
    views: ViewCounter
    spam: SpamGuard
    outbox: BoardsOutbox


BOARDS = web.AppKey("boards_posts", BoardDeps)


def _board(request: web.Request) -> tuple[str, BoardConfig]:
    slug = request.match_info["board"]
    config = request.app[BOARDS].boards.get(slug)
    if config is None:
        raise ServiceError(404, "no_such_board", f"there is no board {slug!r}")
    return slug, config


def _int(request: web.Request, name: str, default: int, high: int) -> int:
    raw = request.query.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        value = 0
    if not 1 <= value <= high:
        raise ServiceError(
            400,
            "invalid_query",
            f"{name} must be between 1 and {high}",
            [{"field": name, "message": "out of range", "type": "value"}],
        )
    return value


def post_body(post: BoardPost, counters: dict[str, Any] | None = None) -> dict[str, Any]:
    body = post.model_dump(mode="json")
    body["body_html"] = to_html(post.body_text)
    if counters is not None:
        body.update({k: v for k, v in counters.items() if k != "hidden"})
    return body


async def list_boards(request: web.Request) -> web.Response:
    boards = request.app[BOARDS].boards
    return json_response({"boards": [
        {"board": slug, "name": c.name, "write": c.write.value, "comment": c.comment.value}
        for slug, c in boards.items()
    ]})  # fmt: skip


async def list_posts(request: web.Request) -> web.Response:
    slug, config = _board(request)
    page = _int(request, "page", 1, 10_000)
    size = _int(request, "size", 20, MAX_PAGE_SIZE)
    q = request.query.get("q", "").strip()
    if request.query.get("hidden") == "true":  # staff's queue: hidden posts awaiting a decision
        await _staff(request)
        total, posts = await request.app[BOARDS].posts.page(
            slug, (page - 1) * size, size, hidden=True
        )
    elif q:
        by = request.query.get("by", "title")
        if by not in {"title", "author"} or len(q) > 100:
            raise ServiceError(
                400,
                "invalid_query",
                "search by title or author, up to 100 chars",
                [{"field": "by", "message": "title or author", "type": "value"}],
            )
        total, posts = await request.app[BOARDS].posts.search(slug, q, by, (page - 1) * size, size)
    else:
        deps = request.app[BOARDS]
        total, posts = await deps.pages.get(
            (slug, page, size), lambda: deps.posts.page(slug, (page - 1) * size, size)
        )
    return json_response({
        "board": slug, "name": config.name, "total": total, "page": page, "size": size,
        "posts": [post_body(p, c) | _hidden_fields(c) for p, c in posts],
    })  # fmt: skip


def _hidden_fields(counters: dict[str, Any]) -> dict[str, Any]:
    """What staff see of a hidden post: that it is hidden, and why."""
    if not counters["hidden"]:
        return {}
    return {"hidden": True, "hidden_reason": counters["hidden_reason"]}


async def create_post(request: web.Request) -> web.Response:
    slug, config = _board(request)
    session = await require_session(request)
    if not allowed(config.write, session):
        raise ServiceError(403, "forbidden", f"only staff write on {config.name}")
    form: NewPost = await parse(request, NewPost)
    if form.pinned and not allowed(Access.STAFF, session):
        raise ServiceError(403, "forbidden", "only staff pin posts")
    deps = request.app[BOARDS]
    trusted = await _trusted(deps, session)
    deps.spam.check_text(form.title, form.body_text, honeypot=form.website, trusted=trusted)
    await deps.spam.admit_post(session.member_id, trusted, form.title, form.body_text)
    created = now()
    post = BoardPost(
        post_id=new_id(created), board=slug, title=form.title, body_text=form.body_text,
        author_id=session.member_id, author_nick=session.nickname, created_at=created,
        pinned=form.pinned,
    )  # fmt: skip
    doc = await deps.posts.create(post, entry(BOARDS_EVENTS, post.post_id, PostCreated(post=post)))
    await _published(deps, post, doc)
    return json_response(
        {"post": post_body(post)}, status=201,
        headers={"Location": f"/api/boards/{slug}/posts/{post.post_id}"},
    )  # fmt: skip


async def _trusted(deps: BoardDeps, session: Session) -> bool:
    member = await deps.members.get(session.member_id)
    if member is None:
        raise ServiceError(401, "unauthorized", "the member no longer exists")
    return deps.spam.trusted(session.is_staff, member.joined_at)


async def _visible_post(
    request: web.Request, staff_sees_hidden: bool = False
) -> tuple[BoardPost, dict[str, Any], BoardConfig]:
    slug, config = _board(request)
    found = await request.app[BOARDS].posts.get(request.match_info["post_id"])
    if found is None or found[0].board != slug:
        raise ServiceError(404, "not_found", "no such post")
    if found[1]["hidden"]:
        session = await current_session(request) if staff_sees_hidden else None
        if session is None or not session.is_staff:
            raise ServiceError(404, "not_found", "no such post")
    return found[0], found[1], config


def _viewer(request: web.Request, session: Session | None) -> str:
    if session is not None:
        return "m:" + session.member_id
    raw = f"{request.remote}|{request.headers.get('User-Agent', '')}"
    return "a:" + hashlib.sha256(raw.encode()).hexdigest()[:24]


async def get_post(request: web.Request) -> web.Response:
    post, counters, _ = await _visible_post(request, staff_sees_hidden=True)
    deps = request.app[BOARDS]
    viewer = _viewer(request, await current_session(request))
    unwritten = deps.views.view(post.post_id, viewer)  # written in the background
    counters = {**counters, "views": counters["views"] + unwritten}
    return json_response({"post": post_body(post, counters) | _hidden_fields(counters)})


def _may_change(session: Session, post: BoardPost, counters: dict[str, Any]) -> None:
    if session.is_staff:
        return
    if session.member_id != post.author_id:
        raise ServiceError(403, "forbidden", "only the author or staff may change a post")
    if counters["comments"]:
        raise ServiceError(409, "locked", "a post with comments can no longer be changed")


async def edit_post(request: web.Request) -> web.Response:
    post, counters, _ = await _visible_post(request)
    session = await require_session(request)
    _may_change(session, post, counters)
    form: EditPost = await parse(request, EditPost)
    if form.title is None and form.body_text is None:
        nothing = [{"field": "(root)", "message": "nothing to change", "type": "value"}]
        raise ServiceError(422, "invalid_request", "send a title or a body_text", nothing)
    deps = request.app[BOARDS]
    title = form.title or post.title
    body_text = form.body_text or post.body_text
    if not session.is_staff:
        deps.spam.check_text(title, body_text, honeypot=None, trusted=await _trusted(deps, session))

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        fields = {"title": title, "body_text": body_text, "post_version": doc["post_version"] + 1,
                  "updated_at": now().isoformat()}  # fmt: skip
        return fields | _updated_event(doc, fields)

    changed = await deps.posts.change(post.post_id, edit)
    if changed is None:
        raise ServiceError(404, "not_found", "no such post")
    updated = post_of(changed)
    await _published(deps, updated, changed)
    return json_response({"post": post_body(updated, counters)})


def _updated_event(doc: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The outbox fields announcing the post as `fields` change it (PostUpdated)."""
    event = PostUpdated(post=post_of({**doc, **fields}))
    return queued(doc, entry(BOARDS_EVENTS, doc["_id"], event))


async def _hide(deps: BoardDeps, post: BoardPost, reason: str) -> None:
    def hide(doc: dict[str, Any]) -> dict[str, Any] | None:
        if doc["hidden"]:
            return None
        event = PostHidden(post_id=post.post_id, board=post.board, reason=reason, hidden_at=now())
        return {"hidden": True, "hidden_reason": reason,
                **queued(doc, entry(BOARDS_EVENTS, post.post_id, event))}  # fmt: skip

    changed = await deps.posts.change(post.post_id, hide)
    if changed is not None:
        await _published(deps, post, changed)


async def _published(deps: BoardDeps, post: BoardPost, doc: dict[str, Any]) -> None:
    """After a post's write (`doc`): its board's cached pages go, its stored events go out."""
    deps.pages.invalidate(post.board)
    await deps.outbox.relay("posts", post.post_id, doc)


async def delete_post(request: web.Request) -> web.Response:
    post, counters, _ = await _visible_post(request)
    session = await require_session(request)
    _may_change(session, post, counters)
    await _hide(request.app[BOARDS], post, "deleted by its author" if not session.is_staff
                else "deleted by staff")  # fmt: skip
    return web.Response(status=204)


async def report(request: web.Request) -> web.Response:
    post, _, _ = await _visible_post(request)
    session = await require_session(request)
    if session.member_id == post.author_id:
        raise ServiceError(403, "own_post", "you cannot report your own post")
    form: Reason = await parse(request, Reason)
    deps = request.app[BOARDS]
    try:
        await deps.reactions.report(post.post_id, session.member_id, form.reason)
    except AlreadyReportedError as exc:
        raise ServiceError(409, "already_reported", "you reported this post already") from exc
    changed = await deps.posts.change(post.post_id, lambda d: {"reports": d["reports"] + 1})
    reports = int(changed["reports"]) if changed else 0
    if reports >= REPORTS_TO_HIDE:
        await _hide(deps, post, f"reported by {reports} members; awaiting staff")
    return json_response({"post_id": post.post_id, "reports": reports,
                          "hidden": reports >= REPORTS_TO_HIDE})  # fmt: skip


async def _staff(request: web.Request) -> Session:
    session = await require_session(request)
    if not session.is_staff:
        raise ServiceError(403, "forbidden", "moderation is for staff")
    return session


async def hide(request: web.Request) -> web.Response:
    post, _, _ = await _visible_post(request, staff_sees_hidden=True)
    await _staff(request)
    form: Reason = await parse(request, Reason)
    await _hide(request.app[BOARDS], post, form.reason)
    return json_response({"post_id": post.post_id, "hidden": True})


async def restore(request: web.Request) -> web.Response:
    post, _, _ = await _visible_post(request, staff_sees_hidden=True)
    await _staff(request)
    deps = request.app[BOARDS]

    def restore(doc: dict[str, Any]) -> dict[str, Any] | None:
        if not doc["hidden"]:
            return None
        # Restored is staff's decision: earlier reports no longer count toward hiding it.
        fields = {"hidden": False, "hidden_reason": None, "reports": 0}
        return fields | _updated_event(doc, fields)

    changed = await deps.posts.change(post.post_id, restore)
    if changed is not None:
        await _published(deps, post, changed)
    return json_response({"post_id": post.post_id, "hidden": False})


async def list_comments(request: web.Request) -> web.Response:
    post, _, _ = await _visible_post(request)
    thread = await request.app[BOARDS].reactions.thread(post.post_id)
    return json_response({"post_id": post.post_id, "comments": thread})


async def add_comment(request: web.Request) -> web.Response:
    post, _, config = await _visible_post(request)
    session = await require_session(request)
    if not allowed(config.comment, session):
        raise ServiceError(403, "forbidden", f"only staff comment on {config.name}")
    form: NewComment = await parse(request, NewComment)
    deps = request.app[BOARDS]
    trusted = await _trusted(deps, session)
    deps.spam.check_text(form.body_text, honeypot=form.website, trusted=trusted)
    if form.parent_id is not None:
        parent = await deps.reactions.get(form.parent_id)
        if parent is None or parent.post_id != post.post_id:
            raise ServiceError(
                422,
                "invalid_request",
                "parent_id is not a comment of this post",
                [{"field": "parent_id", "message": "unknown", "type": "value"}],
            )
        if parent.parent_id is not None:
            raise ServiceError(
                422,
                "invalid_request",
                "replies go one level deep",
                [{"field": "parent_id", "message": "a reply", "type": "value"}],
            )
    await deps.spam.admit_comment(session.member_id, session.is_staff)
    created = now()
    comment = BoardComment(
        comment_id=new_id(created), post_id=post.post_id, parent_id=form.parent_id,
        board=post.board, body_text=form.body_text, author_id=session.member_id,
        author_nick=session.nickname, created_at=created,
    )  # fmt: skip
    added = CommentAdded(comment=comment)
    doc = await deps.reactions.add(comment, entry(BOARDS_EVENTS, post.post_id, added))
    await deps.posts.bump(post.post_id, "comments")
    await deps.outbox.relay("comments", comment.comment_id, doc)
    body = {**comment.model_dump(mode="json"), "body_html": to_html(comment.body_text)}
    return json_response({"comment": body}, status=201)


async def vote(request: web.Request) -> web.Response:
    post, counters, _ = await _visible_post(request)
    session = await require_session(request)
    if session.member_id == post.author_id:
        raise ServiceError(403, "own_post", "you cannot recommend your own post")
    deps = request.app[BOARDS]
    try:
        await deps.reactions.vote(post.post_id, session.member_id)
    except AlreadyVotedError as exc:
        raise ServiceError(409, "already_voted", "you recommended this post already") from exc
    await deps.posts.bump(post.post_id, "votes")
    return json_response({"post_id": post.post_id, "votes": counters["votes"] + 1})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/boards", list_boards)
    app.router.add_get("/api/boards/{board}/posts", list_posts)
    app.router.add_post("/api/boards/{board}/posts", create_post)
    post = r"/api/boards/{board}/posts/{post_id:[0-9a-f]{21}}"
    app.router.add_get(post, get_post)
    app.router.add_patch(post, edit_post)
    app.router.add_delete(post, delete_post)
    app.router.add_post(post + "/report", report)
    app.router.add_post(post + "/hide", hide)
    app.router.add_post(post + "/restore", restore)
    app.router.add_get(post + "/comments", list_comments)
    app.router.add_post(post + "/comments", add_comment)
    app.router.add_post(post + "/vote", vote)
