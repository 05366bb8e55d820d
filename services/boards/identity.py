"""Boards' identity views: sign-up (`/api/members`), log in and out (`/api/sessions`)."""

from __future__ import annotations

import asyncio
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from aiohttp import web
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from services.boards.member_events import NoSuchMemberError, change_role
from services.boards.members import MemberStore, TakenError, email_key, nickname_key
from services.boards.outbox import BoardsOutbox
from services.boards.passwords import dummy_hash, hash_password, verify_password, weakness
from services.boards.spam import refuse
from services.boards.throttle import LoginThrottle
from shared.auth import require_session
from shared.errors import ServiceError, validation_details
from shared.forms import read_form
from shared.schemas.boards import Role
from shared.sessions import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, SessionSigner
from shared.web import json_response

NICKNAME = r"^[0-9A-Za-z가-힣_\-]+$"


class SignUp(BaseModel):
    """Strict: a JSON object where a string belongs (`{"$gt": ""}`) is a 422, never a query."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: EmailStr
    nickname: Annotated[str, StringConstraints(min_length=2, max_length=20, pattern=NICKNAME)]
    password: str = Field(max_length=256)
    website: str | None = Field(default=None, description="the honeypot: people leave it empty")

    @field_validator("nickname", mode="before")
    @classmethod
    def _compatible_forms(cls, value: object) -> object:
        """Full-width and other compatibility forms become plain ones (ＰＯＨＡＮＧ → POHANG)."""
        return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    role: Role = Field(description="member, reporter, editor or admin")

    @field_validator("role")
    @classmethod
    def _not_reader(cls, role: Role) -> Role:
        if role is Role.READER:
            raise ValueError("reader is the anonymous visitor, not a member's role")
        return role


class LogIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    login: str = Field(min_length=1, max_length=254, description="email or nickname")
    password: str = Field(min_length=1, max_length=256)


@dataclass
class IdentityDeps:
    members: MemberStore
    throttle: LoginThrottle
    signer: SessionSigner
    outbox: BoardsOutbox
    cookie_secure: bool
    session_ttl_s: int


IDENTITY = web.AppKey("boards_identity", IdentityDeps)


FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


async def parse(request: web.Request, model: type[BaseModel]) -> Any:
    """A JSON body (strict: every field its JSON type), or an HTML form's fields (strings,
    so `on`/`true` may be a bool; empty fields are absent; the CSRF field is not data)."""
    try:
        if request.content_type in FORM_TYPES:
            return model.model_validate(await _form_fields(request), strict=False)
        return model.model_validate_json(await request.read())
    except ValidationError as exc:
        raise ServiceError(
            422, "invalid_request", "the request does not match the schema",
            validation_details(exc),
        ) from exc  # fmt: skip


async def _form_fields(request: web.Request) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    names: set[str] = set()
    for name, value in (await read_form(request)).items():
        if name in names:
            repeated = [{"field": name, "message": "sent twice", "type": "value"}]
            raise ServiceError(422, "invalid_request", f"the form sends {name} twice", repeated)
        names.add(name)
        if name != CSRF_FIELD and value != "":
            fields[name] = value if isinstance(value, str) else {"file": "(uploaded)"}
    return fields


async def sign_up(request: web.Request) -> web.Response:
    deps = request.app[IDENTITY]
    form: SignUp = await parse(request, SignUp)
    if form.website:
        raise refuse(400, "spam_detected", "the form was filled in by a bot", "website")
    problem = weakness(form.password, form.email, form.nickname)
    if problem:
        raise ServiceError(422, "weak_password", problem,
                           [{"field": "password", "message": problem, "type": "weak"}])  # fmt: skip
    # argon2 takes ~0.2 s and releases the GIL: in a thread, the loop serves others meanwhile.
    password_hash = await asyncio.to_thread(hash_password, form.password)
    try:
        member = await deps.members.create(form.email, form.nickname, password_hash, Role.MEMBER)
    except TakenError as exc:
        raise ServiceError(
            409,
            f"{exc.field}_taken",
            f"that {exc.field} is already registered",
            [{"field": exc.field, "message": "taken", "type": "duplicate"}],
        ) from exc
    await deps.outbox.relay("members", member.member_id, member.document())  # MemberJoined
    return json_response({"member": member.public()}, status=201)


async def set_role(request: web.Request) -> web.Response:
    """An admin gives a member a role; the change is announced as MemberRoleChanged. Sessions
    already issued keep their role until they expire (verifiers never call boards)."""
    deps = request.app[IDENTITY]
    session = await require_session(request)
    caller = await deps.members.get(session.member_id)
    if caller is None or caller.role is not Role.ADMIN:  # the stored role, not the token's
        raise ServiceError(403, "forbidden", "only admins change roles")
    member_id = request.match_info["member_id"]
    if member_id == caller.member_id:
        raise ServiceError(403, "forbidden", "admins do not change their own role here")
    form: RoleChange = await parse(request, RoleChange)
    try:
        member, _ = await change_role(
            deps.members, deps.outbox, member_id, form.role, by=caller.member_id
        )
    except NoSuchMemberError as exc:
        raise ServiceError(404, "not_found", "no such member") from exc
    return json_response({"member": member.public()})


async def log_in(request: web.Request) -> web.Response:
    deps = request.app[IDENTITY]
    form: LogIn = await parse(request, LogIn)
    login = form.login.strip()
    account = "acct:" + (email_key(login) if "@" in login else nickname_key(login))
    client = "ip:" + (request.remote or "unknown")
    wait = await deps.throttle.wait_s(account, client)
    if wait:
        raise ServiceError(
            429, "too_many_failures", f"too many failed logins; try again in {wait} s",
            {"retry_after_s": wait}, headers={"Retry-After": str(wait)},
        )  # fmt: skip
    member = await (deps.members.by_email(login) if "@" in login
                    else deps.members.by_nickname(login))  # fmt: skip
    # An unknown login costs the same hash check, so timing does not reveal members.
    stored = member.password_hash if member else dummy_hash()
    ok = await asyncio.to_thread(verify_password, stored, form.password)
    if member is None or not ok:
        await deps.throttle.failed(account, client)
        raise ServiceError(401, "invalid_credentials", "wrong login or password")
    await deps.throttle.succeeded(account)
    token, session = deps.signer.issue(member.member_id, member.nickname, member.role)
    csrf = secrets.token_urlsafe(24)
    response = json_response({
        "token": token, "member": member.public(), "csrf_token": csrf,
        "expires_at": session.expires_at.isoformat(),
    })  # fmt: skip
    common: dict[str, Any] = {"path": "/", "samesite": "Lax", "secure": deps.cookie_secure,
                              "max_age": deps.session_ttl_s}  # fmt: skip
    response.set_cookie(SESSION_COOKIE, token, httponly=True, **common)
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, **common)
    return response


async def log_out(request: web.Request) -> web.Response:
    response = web.Response(status=204)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.del_cookie(name, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    session = await require_session(request)
    member = await request.app[IDENTITY].members.get(session.member_id)
    if member is None:
        raise ServiceError(401, "unauthorized", "the member no longer exists")
    return json_response({"member": member.public(), "expires_at": session.expires_at.isoformat()})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/members", sign_up)
    app.router.add_patch("/api/members/{member_id:[0-9a-f]{32}}", set_role)
    app.router.add_post("/api/sessions", log_in)
    app.router.add_delete("/api/sessions", log_out)
    app.router.add_get("/api/sessions/me", me)
