"""The paper's boards and who may write on them (configuration, `SINMUN_BOARDS_BOARDS`)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from shared.schemas.boards import Role
from shared.sessions import Session


class Access(StrEnum):
    MEMBER = "member"  # any signed-in member
    STAFF = "staff"  # reporters, editors, admins


class BoardConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    write: Access = Access.MEMBER
    comment: Access = Access.MEMBER


DEFAULT_BOARDS = {
    "notice": BoardConfig(name="공지사항", write=Access.STAFF, comment=Access.MEMBER),
    "free": BoardConfig(name="자유게시판", write=Access.MEMBER, comment=Access.MEMBER),
}
STAFF = frozenset({Role.REPORTER, Role.EDITOR, Role.ADMIN})


def allowed(access: Access, session: Session) -> bool:
    return access is Access.MEMBER or session.role in STAFF
