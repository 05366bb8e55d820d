"""Boards' HTTP API as OpenAPI operations (rendered by shared.openapi)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.boards.board_api import MAX_PAGE_SIZE, EditPost, NewComment, NewPost, Reason
from services.boards.catalog import Access
from services.boards.identity import LogIn, RoleChange, SignUp
from shared.openapi import Operation, Param, Reply, build_document, health_operations
from shared.schemas.boards import BoardComment, BoardPost, Role

SERVICE = "boards"
POST = "/api/boards/{board}/posts/{post_id}"
RETRY_AFTER = {"Retry-After": "seconds to wait"}
SESSION_ERRORS = {
    401: "no session, or an invalid or expired one",
    503: "sessions are not configured on this service",
}
MALFORMED = "a form body that cannot be read"
SPAM = "the honeypot field was filled in, or " + MALFORMED
CHANGE_ERRORS = {
    **SESSION_ERRORS,
    400: MALFORMED,
    403: "not allowed to the caller, or a session cookie without its CSRF token",
    413: "the request is too large",
    422: "the body does not match the schema (field paths in details)",
}
NO_POST = "no such board or post (hidden posts are shown to staff only)"


class MemberPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: str
    nickname: str
    role: Role
    joined_at: datetime


class MemberReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member: MemberPublic


class SessionReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(description="the session as a bearer token (also set as a cookie)")
    member: MemberPublic
    csrf_token: str = Field(description="X-CSRF-Token for state changes made with the cookie")
    expires_at: datetime


class Me(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member: MemberPublic
    expires_at: datetime


class BoardInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    board: str
    name: str
    write: Access
    comment: Access


class Boards(BaseModel):
    model_config = ConfigDict(extra="forbid")

    boards: list[BoardInfo]


class PostView(BoardPost):
    """A post as the API shows it: its text escaped to HTML, and its counters."""

    body_html: str
    views: int | None = None
    votes: int | None = None
    comments: int | None = None
    reports: int | None = None
    hidden: bool | None = Field(default=None, description="staff only: the post is hidden")
    hidden_reason: str | None = None


class PostReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post: PostView


class PostsPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    board: str
    name: str
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    size: int = Field(ge=1, le=MAX_PAGE_SIZE)
    posts: list[PostView] = Field(description="pinned first, then newest")


class CommentView(BoardComment):
    body_html: str


class ThreadComment(CommentView):
    replies: list[ThreadComment] = Field(description="replies oldest first")


class CommentReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: CommentView


class Thread(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_id: str
    comments: list[ThreadComment]


class Reported(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_id: str
    reports: int = Field(ge=0)
    hidden: bool


class Moderated(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_id: str
    hidden: bool


class Voted(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_id: str
    votes: int = Field(ge=1)


def _page(name: str, high: int, default: int) -> Param:
    schema = {"type": "integer", "minimum": 1, "maximum": high, "default": default}
    return Param(name, f"{name} (1 to {high})", schema)


MEMBER_OPERATIONS = [
    Operation(
        "POST", "/api/members", "sign up (회원가입)", tag="members", body=(SignUp,), forms=True,
        replies={201: Reply("the new member", MemberReply)},
        errors={400: SPAM, 409: "email or nickname taken",
                413: "the request is too large",
                422: "the body does not match the schema, or the password is weak"},
    ),
    Operation(
        "PATCH", "/api/members/{member_id}", "give a member a role (admins)", tag="members",
        body=(RoleChange,), forms=True, security="required",
        replies={200: Reply("the member with the new role", MemberReply)},
        errors={**CHANGE_ERRORS, 404: "no such member"},
    ),
    Operation(
        "POST", "/api/sessions", "log in", tag="sessions", body=(LogIn,), forms=True,
        replies={200: Reply("a session (also set as the sinmun_session and sinmun_csrf "
                            "cookies)", SessionReply, headers={"Set-Cookie": "the cookies"})},
        errors={400: MALFORMED, 401: "wrong login or password", 413: "the request is too large",
                422: "the body does not match the schema",
                429: "too many failed logins: wait Retry-After seconds"},
        error_headers={429: RETRY_AFTER},
    ),
    Operation(
        "DELETE", "/api/sessions", "log out (the cookies are cleared)", tag="sessions",
        replies={204: Reply("logged out", headers={"Set-Cookie": "the cleared cookies"})},
        errors={},
    ),
    Operation(
        "GET", "/api/sessions/me", "the caller's member and session", tag="sessions",
        security="required", replies={200: Reply("the member", Me)}, errors=SESSION_ERRORS,
    ),
]  # fmt: skip

BOARD_OPERATIONS = [
    Operation(
        "GET", "/api/boards", "the boards and who may write on them", tag="boards",
        replies={200: Reply("the boards", Boards)}, errors={},
    ),
    Operation(
        "GET", "/api/boards/{board}/posts", "a page of a board's posts", tag="boards",
        security="optional",
        params=[_page("page", 10_000, 1), _page("size", MAX_PAGE_SIZE, 20),
                Param("q", "search titles (or authors)", {"type": "string", "maxLength": 100}),
                Param("by", "what q searches", {"enum": ["title", "author"]}),
                Param("hidden", "true: the hidden posts awaiting staff", {"enum": ["true"]})],
        replies={200: Reply("a page of posts", PostsPage)},
        errors={**SESSION_ERRORS, 400: "page, size or the search are out of range",
                401: "hidden=true without a session", 403: "hidden=true for a non-staff member",
                404: "no such board"},
    ),
    Operation(
        "POST", "/api/boards/{board}/posts", "write a post", tag="boards", body=(NewPost,),
        forms=True, security="required",
        replies={201: Reply("the post", PostReply, headers={"Location": "the post's address"})},
        errors={**CHANGE_ERRORS, 400: SPAM, 404: "no such board",
                409: "the same post was just made, or a write race",
                422: "the body does not match the schema, blocked words or too many links",
                429: "posting too often: wait Retry-After seconds"},
        error_headers={429: RETRY_AFTER},
    ),
    Operation(
        "GET", POST, "a post with its counters (counts a view)", tag="boards",
        security="optional", replies={200: Reply("the post", PostReply)},
        errors={404: NO_POST, 503: SESSION_ERRORS[503]},
    ),
    Operation(
        "PATCH", POST, "edit a post (its author until commented, or staff)", tag="boards",
        body=(EditPost,), forms=True, security="required",
        replies={200: Reply("the edited post", PostReply)},
        errors={**CHANGE_ERRORS, 404: NO_POST, 409: "the post has comments",
                422: "the body does not match the schema, nothing to change, blocked words or "
                     "too many links"},
    ),
    Operation(
        "DELETE", POST, "delete (hide) a post", tag="boards", security="required",
        replies={204: Reply("deleted")},
        errors={**SESSION_ERRORS, 403: CHANGE_ERRORS[403], 404: NO_POST,
                409: "the post has comments"},
    ),
    Operation(
        "POST", POST + "/report", "report a post (신고)", tag="boards", body=(Reason,),
        forms=True, security="required",
        replies={200: Reply("the post's reports and whether they hid it", Reported)},
        errors={**CHANGE_ERRORS, 404: NO_POST, 409: "reported by this member already"},
    ),
    Operation(
        "POST", POST + "/hide", "hide a post (staff)", tag="moderation", body=(Reason,),
        forms=True, security="required", replies={200: Reply("hidden", Moderated)},
        errors={**CHANGE_ERRORS, 404: NO_POST},
    ),
    Operation(
        "POST", POST + "/restore", "show a hidden post again (staff)", tag="moderation",
        security="required", replies={200: Reply("shown", Moderated)},
        errors={**SESSION_ERRORS, 403: CHANGE_ERRORS[403], 404: NO_POST},
    ),
    Operation(
        "GET", POST + "/comments", "a post's comments with their replies", tag="boards",
        replies={200: Reply("the comments, oldest first", Thread)}, errors={404: NO_POST},
    ),
    Operation(
        "POST", POST + "/comments", "comment on a post (or reply to a comment)", tag="boards",
        body=(NewComment,), forms=True, security="required",
        replies={201: Reply("the comment", CommentReply)},
        errors={**CHANGE_ERRORS, 400: SPAM, 404: NO_POST,
                409: "a write race", 422: "the body does not match the schema, blocked words, "
                "too many links, or parent_id is no top-level comment of this post",
                429: "commenting too often: wait Retry-After seconds"},
        error_headers={429: RETRY_AFTER},
    ),
    Operation(
        "POST", POST + "/vote", "recommend a post (추천), once", tag="boards",
        security="required", replies={200: Reply("the post's votes", Voted)},
        errors={**SESSION_ERRORS, 403: "one's own post, or a cookie without its CSRF token",
                404: NO_POST, 409: "recommended by this member already"},
    ),
]  # fmt: skip


def document(routes: Mapping[tuple[str, str], Mapping[str, str]]) -> dict[str, Any]:
    return build_document(
        "Sinmun boards",
        "Members, sessions and the community boards (README.md: Members, sessions and the "
        "community boards).",
        [*MEMBER_OPERATIONS, *BOARD_OPERATIONS, *health_operations(SERVICE)],
        routes,
    )
