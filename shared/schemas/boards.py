"""Community models and events: members, board posts, comments."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.schemas.articles import Slug
from shared.schemas.envelope import Event

Nickname = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=20)]


class Role(StrEnum):
    READER = "reader"
    MEMBER = "member"
    REPORTER = "reporter"
    EDITOR = "editor"
    ADMIN = "admin"


class BoardPost(BaseModel):
    """A post on a community board (공지사항 `notice`, 자유게시판 `free`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    post_id: str
    board: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    body_text: str = Field(max_length=100_000)
    author_id: str
    author_nick: Nickname
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None
    version: int = Field(default=1, ge=1)
    pinned: bool = Field(default=False, description="a notice kept at the top of its board")


class BoardComment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    comment_id: str
    post_id: str
    parent_id: str | None = Field(default=None, description="the comment this one replies to")
    board: Slug
    body_text: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    author_id: str
    author_nick: Nickname
    created_at: AwareDatetime


class PostCreated(Event):
    event_type = "PostCreated"
    post: BoardPost


class PostUpdated(Event):
    event_type = "PostUpdated"
    post: BoardPost


class PostHidden(Event):
    """A moderator (or the spam filter) hid a post; projections must stop showing it."""

    event_type = "PostHidden"
    post_id: str
    board: Slug
    reason: str = Field(max_length=1000)
    hidden_at: AwareDatetime


class CommentAdded(Event):
    event_type = "CommentAdded"
    comment: BoardComment


class MemberJoined(Event):
    event_type = "MemberJoined"
    member_id: str
    nickname: Nickname
    role: Role = Role.MEMBER
    joined_at: AwareDatetime


class MemberRoleChanged(Event):
    event_type = "MemberRoleChanged"
    member_id: str
    old_role: Role
    new_role: Role
    changed_at: AwareDatetime
    changed_by: str | None = None
