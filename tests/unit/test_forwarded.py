"""The client's address behind trusted proxies: X-Forwarded-For believed only from them."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from services.bootstrap import create_app
from shared.forwarded import client_address, forwarded_middleware
from shared.settings import SinmunSettings

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.0/8")]


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("10.1.2.3", "203.0.113.7", "203.0.113.7"),  # one proxy
        ("10.1.2.3", "203.0.113.7, 10.9.9.9", "203.0.113.7"),  # two proxies
        ("10.1.2.3", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client's own claim ignored
        ("198.51.100.4", "203.0.113.7", "198.51.100.4"),  # not a proxy: header ignored
        ("10.1.2.3", None, "10.1.2.3"),
        ("10.1.2.3", "garbage, 203.0.113.7", "203.0.113.7"),
        ("10.1.2.3", "garbage", "10.1.2.3"),
        ("10.1.2.3", "10.0.0.1, 10.0.0.2", "10.0.0.1"),  # all proxies: the farthest
        ("10.1.2.3", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(peer: str, header: str | None, client: str) -> None:
    assert client_address(peer, header, PROXIES) == client


def test_no_trusted_proxies_means_the_peer() -> None:
    assert client_address("10.1.2.3", "203.0.113.7", []) == "10.1.2.3"


async def echo(request: web.Request) -> web.Response:
    return web.Response(text=request.remote or "")


async def test_the_middleware_gives_handlers_the_client(aiohttp_client: AiohttpClient) -> None:
    app = web.Application(middlewares=[forwarded_middleware(PROXIES)])
    app.router.add_get("/", echo)
    client = await aiohttp_client(app)  # the test client connects from 127.0.0.1: a proxy
    response = await client.get("/", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"})
    assert await response.text() == "203.0.113.7"
    response = await client.get("/")
    assert await response.text() == "127.0.0.1"


def test_settings_take_the_networks_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SINMUN_TRUSTED_PROXIES", '["10.0.0.0/8", "fd00::/8"]')
    assert SinmunSettings().trusted_proxies == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
    ]
    monkeypatch.setenv("SINMUN_TRUSTED_PROXIES", '["not a network"]')
    with pytest.raises(ValueError, match="trusted_proxies"):
        SinmunSettings()


def test_every_process_uses_it_when_configured(tmp_path: Path) -> None:
    plain = create_app(SinmunSettings(data_dir=tmp_path), ["ingest"])
    trusted = create_app(
        SinmunSettings(data_dir=tmp_path, trusted_proxies=["10.0.0.0/8"]), ["ingest"]
    )
    assert len(trusted.middlewares) == len(plain.middlewares) + 1
