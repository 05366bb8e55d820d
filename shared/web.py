"""HTTP pieces every service shares: JSON errors, trace ids, metrics, health and readiness."""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Awaitable, Callable, Mapping

import orjson
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from shared.errors import ServiceError, error_body

log = structlog.get_logger("sinmun.http")

Probe = Callable[[], Awaitable[bool]]
PROBES = web.AppKey("probes", dict[str, Probe])
SERVICES = web.AppKey("services", list[str])

REQUESTS = Counter(
    "sinmun_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"]
)
LATENCY = Histogram(
    "sinmun_http_request_duration_seconds", "HTTP request latency by route", ["method", "route"]
)
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
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every error leaves as `{"error": {"code", "message", "details"}}` with a fitting status."""
    try:
        return await handler(request)
    except ServiceError as exc:
        return json_response(exc.body(), status=exc.status, headers=exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = STATUS_CODES.get(exc.status, "http_error")
        return json_error(exc.status, code, exc.reason, None)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled_error", path=request.path)
        return json_error(500, "internal_error", "internal server error")


@web.middleware
async def observe_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Binds the trace id to log lines and counts the request by its route template."""
    match = TRACEPARENT.match(request.headers.get("traceparent", ""))
    structlog.contextvars.clear_contextvars()
    if match:
        structlog.contextvars.bind_contextvars(trace_id=match.group(1))
    info = request.match_info.route.resource
    route = info.canonical if info is not None else "unmatched"
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        latency, count = _route_metrics(request.method, route, status)
        latency.observe(time.perf_counter() - started)
        count.inc()


@functools.lru_cache(maxsize=4096)
def _route_metrics(method: str, route: str, status: int) -> tuple[Histogram, Counter]:
    """The labelled series of one route and status (looked up once, not on every request)."""
    return LATENCY.labels(method, route), REQUESTS.labels(method, route, str(status))


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
        return await asyncio.wait_for(probe(), timeout=5)
    except (TimeoutError, OSError):
        return False


async def metrics(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response


def base_application(services: list[str]) -> web.Application:
    """An app with the shared middlewares and the /healthz, /readyz, /metrics routes."""
    app = web.Application(
        middlewares=[observe_middleware, errors_middleware], client_max_size=2 * 1024 * 1024
    )
    app[SERVICES] = services
    app[PROBES] = {}
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
