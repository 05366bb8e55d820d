"""Who is calling: member sessions from a cookie or a bearer token, and CSRF for cookies.

Every service verifies sessions itself with boards' public key (`shared.sessions`). A request
authenticated by the session cookie that changes something must also carry the CSRF token
(the `sinmun_csrf` cookie's value, in the `X-CSRF-Token` header or a `csrf_token` form field):
another site can make a browser send the cookie, but cannot read it to copy its value. Bearer
tokens are not sent by browsers on their own, so they need no CSRF token.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from shared.errors import ServiceError
from shared.forms import read_form
from shared.sessions import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    Session,
    SessionVerifier,
)

VERIFIER = web.AppKey("session_verifier", SessionVerifier)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def current_session(request: web.Request) -> Session | None:
    """The caller's session, or None for an anonymous reader (or a bad/expired token)."""
    verifier = request.app.get(VERIFIER)
    if verifier is None:
        raise ServiceError(
            503, "sessions_unconfigured", "SINMUN_SESSION_PUBLIC_KEY is not set on this service"
        )
    bearer = _bearer(request)
    if bearer is not None:
        return verifier.verify(bearer)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        return None
    session = verifier.verify(cookie)
    if session is not None and request.method not in SAFE_METHODS:
        await _check_csrf(request)
    return session


async def require_session(request: web.Request) -> Session:
    session = await current_session(request)
    if session is None:
        raise ServiceError(401, "unauthorized", "log in first (a session cookie or bearer token)")
    return session


async def _check_csrf(request: web.Request) -> None:
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in {
        "application/x-www-form-urlencoded", "multipart/form-data",
    }:  # fmt: skip
        sent = str((await read_form(request)).get(CSRF_FIELD, ""))
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise ServiceError(
            403, "csrf_failed", f"send the {CSRF_COOKIE} cookie's value as {CSRF_HEADER}"
        )
