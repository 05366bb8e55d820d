"""Ingest's HTTP views: thin — authenticate, parse, call the Ingestor, serialise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from services.ingest.ninjs import looks_like_ninjs, ninjs_to_submission
from services.ingest.store import ArticleStore
from services.ingest.submissions import Ingestor, parse_submission
from services.ingest.tokens import STAFF_ROLES, TOKEN_PREFIX, Principal, TokenRole, TokenStore
from shared.auth import VERIFIER, current_session
from shared.errors import ServiceError
from shared.schemas import ArticleStatus, TraceContext
from shared.schemas.articles import MAX_BODY_BYTES
from shared.telemetry import current_traceparent
from shared.web import json_response

MAX_REQUEST_BYTES = MAX_BODY_BYTES + 256 * 1024  # the body plus room for the other fields


@dataclass
class IngestDeps:
    ingestor: Ingestor
    store: ArticleStore
    tokens: TokenStore
    newsroom_source: str


DEPS = web.AppKey("ingest", IngestDeps)


async def authenticate(request: web.Request, deps: IngestDeps) -> Principal:
    """An API token (`snm_…`), or a newsroom member's session (the 기사쓰기 form)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip().startswith(TOKEN_PREFIX):
        principal = await deps.tokens.verify(token.strip())
        if principal is None:
            raise ServiceError(401, "unauthorized", "the token is unknown or revoked")
        return principal
    session = await current_session(request) if VERIFIER in request.app else None
    if session is None:
        raise ServiceError(401, "unauthorized", "a bearer token or a reporter session is required")
    if session.role.value not in {r.value for r in STAFF_ROLES}:
        raise ServiceError(403, "forbidden", "only reporters, editors and admins write articles")
    return Principal(name=session.nickname, role=TokenRole(session.role.value))


def _trace(request: web.Request) -> TraceContext | None:
    """The request's span when tracing is on (its events continue it), else its header."""
    traceparent = current_traceparent() or request.headers.get("traceparent", "")
    if not traceparent:  # the usual case: no validation error built only to be dropped
        return None
    try:
        return TraceContext(traceparent=traceparent)
    except ValueError:
        return None


async def read_json(request: web.Request) -> dict[str, Any]:
    too_large = ServiceError(
        413, "payload_too_large", f"requests are limited to {MAX_REQUEST_BYTES} bytes"
    )
    if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
        raise too_large
    # Read the whole body (one read returns one chunk), never buffering more than the limit.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise too_large
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # also for bytes that are not UTF-8
        raise ServiceError(400, "malformed_json", f"the body is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ServiceError(400, "malformed_json", "the body must be a JSON object")
    return document


async def submit_article(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    principal = await authenticate(request, deps)
    document = await read_json(request)
    default_source = principal.name if principal.role is TokenRole.PARTNER else deps.newsroom_source
    if looks_like_ninjs(document):
        document = ninjs_to_submission(document, default_source)
    document.setdefault("source", default_source)
    submission = parse_submission(document)
    if not principal.may_submit_as(submission.source, deps.newsroom_source):
        raise ServiceError(
            403,
            "forbidden",
            f"{principal.role} {principal.name!r} may not submit as {submission.source!r}",
        )
    # Answered once the version and its event are stored; the outbox publishes it.
    receipt = await deps.ingestor.submit(submission, _trace(request), wait_published=False)
    status = 200 if receipt.outcome == "unchanged" else (201 if receipt.version == 1 else 202)
    return json_response(
        receipt.body(), status=status, headers={"Location": f"/api/articles/{receipt.article_id}"}
    )


async def get_article(request: web.Request) -> web.Response:
    story = await request.app[DEPS].store.story(request.match_info["article_id"])
    if story is None:
        raise ServiceError(404, "not_found", "no such article")
    if story.article.status is ArticleStatus.RETRACTED:
        raise ServiceError(
            410, "retracted", "the article was retracted", {"version": story.article.version}
        )
    return json_response(story.article.model_dump(mode="json"))


async def get_versions(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    principal = await authenticate(request, deps)
    if principal.role not in STAFF_ROLES:
        raise ServiceError(403, "forbidden", "the revision history is for the newsroom")
    versions = await deps.store.versions(request.match_info["article_id"])
    if not versions:
        raise ServiceError(404, "not_found", "no such article")
    return json_response({"versions": [v.model_dump(mode="json") for v in versions]})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/articles", submit_article)
    app.router.add_get(r"/api/articles/{article_id:\d+}", get_article)
    app.router.add_get(r"/api/articles/{article_id:\d+}/versions", get_versions)
