"""Form bodies a browser never sends are the client's error: 400, not 500."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from shared.forms import read_form
from shared.web import base_application, json_response

ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]


async def echo(request: web.Request) -> web.Response:
    form = await read_form(request)
    return json_response({name: str(value) for name, value in form.items()})


@pytest.fixture
async def client(aiohttp_client: ClientFactory) -> TestClient:  # type: ignore[type-arg]
    app = base_application(["boards"])
    app.router.add_post("/form", echo)
    return await aiohttp_client(app)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        # A part without its headers' blank line (schemathesis sent `False` as multipart).
        ("multipart/form-data; boundary=b", b"--b\r\nFalse--b--\r\n"),
        ("multipart/form-data", b"--b\r\n\r\nx\r\n--b--\r\n"),  # no boundary
        ("application/x-www-form-urlencoded; charset=utf-8", b"title=\xff\xfe"),
    ],
)
async def test_a_malformed_form_is_a_400_with_the_error_body(
    client: TestClient,  # type: ignore[type-arg]
    content_type: str,
    body: bytes,
) -> None:
    response = await client.post("/form", data=body, headers={"Content-Type": content_type})
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "malformed_form"


async def test_a_well_formed_form_is_read(client: TestClient) -> None:  # type: ignore[type-arg]
    response = await client.post("/form", data={"title": "영일대"})
    assert response.status == 200
    assert await response.json() == {"title": "영일대"}
