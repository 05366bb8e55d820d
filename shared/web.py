"""HTTP pieces every service shares: JSON errors, trace ids, metrics, health and readiness."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping

import orjson
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.errors import ServiceError, error_body
from shared.metrics import HTTP_REQUESTS

log = structlog.get_logger("sinmun.http")

Probe = Callable[[], Awaitable[bool]]
PROBES = web.AppKey("probes", dict[str, Probe])
SERVICES = web.AppKey("services", list[str])

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def json_response(
    body: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON with Korean text as UTF-8, not \\u escapes (orjson: the hot path of every API)."""
    return web.Response(
        body=orjson.dumps(body), status=status, headers=headers,
        content_type="application/json", charset="utf-8",
    )  # fmt: skip


def json_error(status: int, code: str, message: str, details: object = None) -> web.Response:
    return json_response(error_body(code, message, details), status=status)


@web.middleware
async def edge_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """The shared edge of every request, in one layer (each middleware layer is a coroutine
    more per request): the caller's trace id bound into log lines, every error as
    `{"error": {"code", "message", "details"}}` with a fitting status, and the request counted
    and timed by its route template.

    Nothing is cleared first: aiohttp handles each request in a task of its own, with a copy
    of the connection's context, so what one request binds never reaches the next."""
    traceparent = request.headers.get("traceparent")
    if traceparent is not None and (match := TRACEPARENT.match(traceparent)):
        structlog.contextvars.bind_contextvars(trace_id=match.group(1))
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except ServiceError as exc:
        status = exc.status
        return json_response(exc.body(), status=exc.status, headers=exc.headers)
    except web.HTTPException as exc:
        status = exc.status
        if status < 400:
            raise  # a redirect raised by a handler: aiohttp sends it as it is
        return json_error(status, STATUS_CODES.get(status, "http_error"), exc.reason, None)
    except asyncio.CancelledError:
        raise  # the client went away: counted as 500, as it got no answer
    except Exception:
        log.exception("unhandled_error", path=request.path)
        return json_error(500, "internal_error", "internal server error")
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        HTTP_REQUESTS.observe(request.method, route, status, time.perf_counter() - started)


async def healthz(request: web.Request) -> web.Response:
    """Alive: the process answers. Says nothing about its backends."""
    services: list[str] = request.app[SERVICES]
    return json_response({"status": "ok", "services": services})


async def readyz(request: web.Request) -> web.Response:
    """Ready: every backend this process needs answers (503 naming the ones that do not)."""
    probes = request.app[PROBES]
    names = list(probes)
    results = await asyncio.gather(*(_probe(probes[n]) for n in names))
    checks = dict(zip(names, results, strict=True))
    if all(checks.values()):
        return json_response({"status": "ready", "checks": checks})
    failing = [n for n, ok in checks.items() if not ok]
    return json_error(503, "not_ready", f"backends unreachable: {', '.join(failing)}", checks)


async def _probe(probe: Probe) -> bool:
    try:
        async with asyncio.timeout(5):
            return await probe()
    except (TimeoutError, OSError):
        return False


async def metrics(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response


def base_application(services: list[str]) -> web.Application:
    """An app with the shared edge middleware and the /healthz, /readyz, /metrics routes."""
    app = web.Application(middlewares=[edge_middleware], client_max_size=2 * 1024 * 1024)
    app[SERVICES] = services
    app[PROBES] = {}
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
