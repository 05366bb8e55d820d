"""The client's address behind trusted reverse proxies (`X-Forwarded-For`).

Behind Caddy or an ingress controller every request comes from the proxy, so login throttling
per address, 조회수 and the visitor hash of 많이본 뉴스 would see one client. A request from a
trusted proxy is given the address its `X-Forwarded-For` names: read from the right, the first
hop that is not itself a trusted proxy (the left part is whatever the client sent, and a client
may lie there). From anyone else the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from aiohttp.typedefs import Middleware

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> str | None:
    """The address a request stands for: `peer`, or the hop its trusted proxies name."""
    if peer is None or not forwarded_for or not _trusted(peer, trusted):
        return peer
    address = peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # not an address: keep the last one a trusted proxy vouched for
        address = hop
        if not _trusted(hop, trusted):
            break
    return address


def forwarded_middleware(trusted: Sequence[Network]) -> Middleware:
    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        remote = client_address(request.remote, request.headers.get("X-Forwarded-For"), trusted)
        if remote is not None and remote != request.remote:
            request = request.clone(remote=remote)
        return await handler(request)

    return forwarded
