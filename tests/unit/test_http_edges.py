"""The shared HTTP edge: JSON errors, readiness, metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from shared.errors import ServiceError
from shared.web import PROBES, Probe, base_application

DOWN: web.AppKey[Probe] = web.AppKey("down")

ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]


@pytest.fixture
def app() -> web.Application:
    app = base_application(["ingest"])

    async def refuse(request: web.Request) -> web.Response:
        raise ServiceError(
            422, "validation_failed", "headline is too long", [{"loc": ["headline"]}]
        )

    async def crash(request: web.Request) -> web.Response:
        raise RuntimeError("bug")

    async def up() -> bool:
        return True

    async def down() -> bool:
        return False

    app.router.add_post("/refuse", refuse)
    app.router.add_get("/crash", crash)
    app[PROBES]["bus"] = up
    app[PROBES]["ingest.storage"] = up
    app[DOWN] = down
    return app


async def test_service_errors_become_the_json_error_body(
    aiohttp_client: ClientFactory, app: web.Application
) -> None:
    client = await aiohttp_client(app)
    response = await client.post("/refuse")
    assert response.status == 422
    assert await response.json() == {
        "error": {
            "code": "validation_failed",
            "message": "headline is too long",
            "details": [{"loc": ["headline"]}],
        }
    }
    missing = await client.get("/nowhere")
    assert missing.status == 404
    assert (await missing.json())["error"]["code"] == "not_found"
    wrong_method = await client.get("/refuse")
    assert (await wrong_method.json())["error"]["code"] == "method_not_allowed"
    crash = await client.get("/crash")
    assert crash.status == 500
    assert (await crash.json())["error"]["code"] == "internal_error"


async def test_readiness_names_the_unreachable_backend(
    aiohttp_client: ClientFactory, app: web.Application
) -> None:
    client = await aiohttp_client(app)
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["status"] == "ready"
    app[PROBES]["ingest.storage"] = app[DOWN]
    not_ready = await client.get("/readyz")
    body = await not_ready.json()
    assert not_ready.status == 503
    assert body["error"]["code"] == "not_ready"
    assert "ingest.storage" in body["error"]["message"]
    assert body["error"]["details"] == {"bus": True, "ingest.storage": False}
    assert (await client.get("/healthz")).status == 200


async def test_metrics_count_requests_by_route_template(
    aiohttp_client: ClientFactory, app: web.Application
) -> None:
    client = await aiohttp_client(app)
    await client.post("/refuse")
    text = await (await client.get("/metrics")).text()
    assert 'sinmun_http_requests_total{method="POST",route="/refuse",status="422"}' in text
