"""A loopback proxy that lets the official `elasticsearch` client talk to OpenSearch in tests.

Elasticsearch itself cannot be installed here, and its client refuses any server that does not
answer `X-Elastic-Product: Elasticsearch` and sends its own versioned media type. The proxy
translates just those two things, so the ElasticsearchClient adapter runs its real calls (its
keyword-argument conventions, its errors, its response objects) with the same query DSL.
"""

from __future__ import annotations

import re

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

VENDOR_JSON = re.compile(r"application/vnd\.elasticsearch\+(json|x-ndjson);\s*compatible-with=\d+")
HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


def _plain(value: str) -> str:
    return VENDOR_JSON.sub(lambda m: f"application/{m.group(1)}", value)


async def start_proxy(upstream: str) -> TestServer:
    session = ClientSession()

    async def forward(request: web.Request) -> web.Response:
        headers = {k: _plain(v) for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        async with session.request(
            request.method, upstream.rstrip("/") + request.rel_url.path_qs,
            headers=headers, data=await request.read(),
        ) as answer:  # fmt: skip
            body = await answer.read()
            reply = web.Response(status=answer.status, body=body)
            reply.headers["Content-Type"] = answer.headers.get("Content-Type", "application/json")
            reply.headers["X-Elastic-Product"] = "Elasticsearch"
            return reply

    async def close_session(_: web.Application) -> None:
        await session.close()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    app.on_cleanup.append(close_session)
    server = TestServer(app)
    await server.start_server()
    return server
