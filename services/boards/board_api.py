"""Board views: the boards, their posts (list, read, write)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.boards.catalog import Access, BoardConfig, allowed
from services.boards.comments import AlreadyVotedError, CommentStore
from services.boards.identity import parse
from services.boards.members import MemberStore
from services.boards.posts import PostStore, new_id, now
from services.boards.spam import SpamGuard
from shared.auth import require_session
from shared.errors import ServiceError
from shared.ports.bus import EventBus
from shared.schemas import Envelope
from shared.schemas.boards import BoardComment, BoardPost, CommentAdded, PostCreated
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
    parent_id: str | None = None
    website: str | None = Field(default=None, description="the honeypot: people leave it empty")


@dataclass
class BoardDeps:
    boards: dict[str, BoardConfig]
    posts: PostStore
    comments: CommentStore
    members: MemberStore
    spam: SpamGuard
    bus: EventBus


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
    total, posts = await request.app[BOARDS].posts.page(slug, (page - 1) * size, size)
    return json_response({
        "board": slug, "name": config.name, "total": total, "page": page, "size": size,
        "posts": [post_body(p, c) for p, c in posts],
    })  # fmt: skip


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
    await deps.posts.create(post)
    await deps.bus.publish(
        BOARDS_EVENTS.name, post.post_id, Envelope.wrap(PostCreated(post=post), "boards")
    )
    return json_response(
        {"post": post_body(post)}, status=201,
        headers={"Location": f"/api/boards/{slug}/posts/{post.post_id}"},
    )  # fmt: skip


async def _trusted(deps: BoardDeps, session: Session) -> bool:
    member = await deps.members.get(session.member_id)
    if member is None:
        raise ServiceError(401, "unauthorized", "the member no longer exists")
    return deps.spam.trusted(session.is_staff, member.joined_at)


async def _visible_post(request: web.Request) -> tuple[BoardPost, dict[str, Any], BoardConfig]:
    slug, config = _board(request)
    found = await request.app[BOARDS].posts.get(request.match_info["post_id"])
    if found is None or found[0].board != slug or found[1].get("hidden"):
        raise ServiceError(404, "not_found", "no such post")
    return found[0], found[1], config


async def get_post(request: web.Request) -> web.Response:
    post, counters, _ = await _visible_post(request)
    return json_response({"post": post_body(post, counters)})


async def list_comments(request: web.Request) -> web.Response:
    post, _, _ = await _visible_post(request)
    thread = await request.app[BOARDS].comments.thread(post.post_id)
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
        parent = await deps.comments.get(form.parent_id)
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
    await deps.comments.add(comment)
    await deps.posts.bump(post.post_id, "comments")
    await deps.bus.publish(
        BOARDS_EVENTS.name, post.post_id, Envelope.wrap(CommentAdded(comment=comment), "boards")
    )
    return json_response({"comment": comment.model_dump(mode="json")}, status=201)


async def vote(request: web.Request) -> web.Response:
    post, counters, _ = await _visible_post(request)
    session = await require_session(request)
    if session.member_id == post.author_id:
        raise ServiceError(403, "own_post", "you cannot recommend your own post")
    deps = request.app[BOARDS]
    try:
        await deps.comments.vote(post.post_id, session.member_id)
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
    app.router.add_get(post + "/comments", list_comments)
    app.router.add_post(post + "/comments", add_comment)
    app.router.add_post(post + "/vote", vote)
