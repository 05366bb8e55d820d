"""The lean engine HTTP pool (under opensearch-py) against real local HTTP servers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
import pytest
import uvloop
from aiohttp import web
from aiohttp.test_utils import TestServer
from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import ConnectionTimeout, NotFoundError

from shared.adapters.engine_client import OpenSearchClient, lean_http
from shared.adapters.engine_http import EngineHttpError, HttpPool
from shared.adapters.opensearch_connection import LeanConnection


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {"method": request.method, "path": request.path_qs, "body": body.decode(),
         "type": request.headers.get("content-type")},
        headers={"Warning": '299 OpenSearch-2 "careful"'} if "warn" in request.query else None,
    )  # fmt: skip


async def chunked(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for part in (b'{"hits": ', b'{"total": ', b"3}}"):
        await response.write(part)
    await response.write_eof()
    return response


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(2)
    return web.json_response({})


async def head(request: web.Request) -> web.Response:
    return web.Response(text="x" * 50)  # HEAD: aiohttp sends the length, not the body


async def missing(request: web.Request) -> web.Response:
    return web.json_response({"error": {"type": "index_not_found_exception"}}, status=404)


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_route("*", "/{index}/_search", echo)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/slow", slow)
    app.router.add_route("*", "/missing", missing)
    app.router.add_route("HEAD", "/", head)
    test_server = TestServer(app)
    await test_server.start_server()
    yield test_server
    await test_server.close()


def pool_for(server: TestServer, size: int = 4) -> HttpPool:
    return HttpPool("127.0.0.1", server.port or 0, size, {"content-type": "application/json"})


async def test_requests_share_kept_alive_connections(server: TestServer) -> None:
    pool = pool_for(server, size=2)
    answers = await asyncio.gather(
        *(pool.request("POST", f"/echo?n={i}", b'{"q": 1}', 5) for i in range(20))
    )
    assert [a.status for a in answers] == [200] * 20
    assert answers[7].body.startswith(b"{")
    assert '"path":"/echo?n=7"' in answers[7].body.decode().replace(" ", "")
    assert answers[0].headers["content-type"].startswith("application/json")
    assert len(pool._idle) <= 2  # never more connections than the pool's size
    pool.close()


async def test_a_chunked_answer_is_read_whole(server: TestServer) -> None:
    pool = pool_for(server)
    answer = await pool.request("GET", "/chunked", None, 5)
    assert answer.body == b'{"hits": {"total": 3}}'
    again = await pool.request("GET", "/chunked", None, 5)  # the connection is still usable
    assert again.body == answer.body
    pool.close()


async def test_a_head_answer_ends_at_its_headers(server: TestServer) -> None:
    pool = pool_for(server)
    answer = await asyncio.wait_for(pool.request("HEAD", "/", None, 5), 3)
    assert answer.status == 200 and answer.body == b""
    assert (await pool.request("POST", "/echo", b"{}", 5)).status == 200
    pool.close()


async def test_a_slow_engine_times_out_and_its_connection_is_not_reused(
    server: TestServer,
) -> None:
    pool = pool_for(server, size=1)
    with pytest.raises(TimeoutError):
        await pool.request("GET", "/slow", None, 0.2)
    # The late answer of /slow must not be read as the answer of the next request.
    answer = await pool.request("POST", "/echo", b'{"next": true}', 5)
    assert b"next" in answer.body
    pool.close()


async def test_callers_beyond_the_pool_wait_their_turn_and_a_cancelled_one_frees_nothing(
    server: TestServer,
) -> None:
    pool = pool_for(server, size=1)
    busy = asyncio.create_task(pool.request("GET", "/slow", None, 0.3))
    await asyncio.sleep(0.05)
    given_up = asyncio.create_task(pool.request("POST", "/echo", b'{"n": 1}', 5))
    queued = asyncio.create_task(pool.request("POST", "/echo", b'{"n": 2}', 5))
    await asyncio.sleep(0.05)
    assert not queued.done()  # the one slot is taken
    given_up.cancel()
    with pytest.raises(TimeoutError):
        await busy
    assert orjson.loads(orjson.loads((await queued).body)["body"]) == {"n": 2}
    assert given_up.cancelled()
    assert pool._free == 1 and not pool._waiting  # every slot back, none handed to the cancelled
    pool.close()


async def test_an_unreachable_engine_is_a_connection_error() -> None:
    pool = HttpPool("127.0.0.1", closed_port(), 1, {})
    with pytest.raises(EngineHttpError):
        await pool.request("GET", "/", None, 5)


async def test_a_connection_the_engine_closed_is_replaced() -> None:
    """A keep-alive connection the engine dropped while idle: the next request opens a new one."""
    served = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        await reader.readuntil(b"\r\n\r\n")
        served += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()  # no `Connection: close` announced: the pool finds out by itself

    tcp = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    pool = HttpPool("127.0.0.1", port, 1, {})
    for _ in range(3):
        answer = await pool.request("GET", "/", None, 5)
        assert answer.body == b"{}"
        await asyncio.sleep(0.05)  # the close reaches the pool
    assert served == 3
    pool.close()
    tcp.close()
    await tcp.wait_closed()


async def with_client(
    server: TestServer, use: Callable[[AsyncOpenSearch], Awaitable[None]]
) -> None:
    client = AsyncOpenSearch(
        hosts=[f"http://127.0.0.1:{server.port}"], connection_class=LeanConnection, timeout=5,
        max_retries=0,
    )  # fmt: skip
    try:
        await use(client)
    finally:
        await client.close()


async def test_opensearch_py_over_the_lean_connection(server: TestServer) -> None:
    async def use(client: AsyncOpenSearch) -> None:
        answer = await client.transport.perform_request(
            "POST", "/echo", params={"filter_path": "hits.hits._id,a*"}, body={"query": 1}
        )
        assert answer["method"] == "POST"
        assert answer["path"] == "/echo?filter_path=hits.hits._id%2Ca%2A"
        assert orjson.loads(answer["body"]) == {"query": 1}
        assert answer["type"] == "application/json"
        assert await client.ping()
        with pytest.raises(NotFoundError):
            await client.transport.perform_request("GET", "/missing")
        with pytest.warns(Warning, match="careful"):
            await client.transport.perform_request("GET", "/echo", params={"warn": "1"})
        with pytest.raises(ConnectionTimeout):
            await client.transport.perform_request("GET", "/slow", timeout=0.2)

    await with_client(server, use)


async def test_an_unreachable_engine_through_opensearch_py() -> None:
    port = closed_port()
    client = AsyncOpenSearch(
        hosts=[f"http://127.0.0.1:{port}"], connection_class=LeanConnection, max_retries=0
    )
    with pytest.raises(OpenSearchConnectionError):
        await client.transport.perform_request("GET", "/")
    assert not await OpenSearchClient(f"http://127.0.0.1:{port}").ping()
    await client.close()


def test_the_lean_connection_is_used_for_plain_http_only() -> None:
    assert lean_http("http://127.0.0.1:9200")
    assert lean_http("http://search:9200/")
    assert not lean_http("https://search:9200")
    assert not lean_http("http://user:secret@search:9200")
    assert not lean_http("http://search:9200/engine")


def test_the_pool_runs_under_uvloop() -> None:
    """The services run on uvloop, whose transports are not asyncio.Transport subclasses."""

    async def main() -> bytes:
        app = web.Application()
        app.router.add_post("/echo", echo)
        test_server = TestServer(app)
        await test_server.start_server()
        pool = pool_for(test_server)
        try:
            return (await pool.request("POST", "/echo", b"{}", 5)).body
        finally:
            pool.close()
            await test_server.close()

    assert b'"method"' in uvloop.run(main())


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_elastic_transport_over_the_lean_node(server: TestServer) -> None:
    from elastic_transport import AsyncTransport, ConnectionTimeout, NodeConfig

    from shared.adapters.elasticsearch_node import LeanNode

    node = NodeConfig("http", "127.0.0.1", server.port or 0, request_timeout=5)
    transport = AsyncTransport([node], node_class=LeanNode, max_retries=0)
    try:
        answer = await transport.perform_request(
            "POST", "/echo?x=1", body={"query": 1}, headers={"content-type": "application/json"}
        )
        assert answer.meta.status == 200
        assert answer.body["path"] == "/echo?x=1"
        assert orjson.loads(answer.body["body"]) == {"query": 1}
        missing_answer = await transport.perform_request("GET", "/missing")
        assert missing_answer.meta.status == 404  # the client above turns it into its error
        with pytest.raises(ConnectionTimeout):
            await transport.perform_request("GET", "/slow", request_timeout=0.2)
    finally:
        await transport.close()


async def test_a_search_goes_straight_through_the_lean_connection(server: TestServer) -> None:
    """`post_json`: the search hot path, without the client's machinery but with its errors."""
    connection = LeanConnection(host="127.0.0.1", port=server.port, timeout=5)
    try:
        answer = await connection.post_json("/echo", "filter_path=hits.hits._id", b'{"q": 1}')
        assert answer["method"] == "POST"
        assert answer["path"] == "/echo?filter_path=hits.hits._id"
        assert answer["body"] == '{"q": 1}'
        assert answer["type"] == "application/json"
        with pytest.warns(Warning, match="careful"):
            await connection.post_json("/echo", "warn=1", b"{}")
        with pytest.raises(NotFoundError):
            await connection.post_json("/missing", "", b"{}")
    finally:
        await connection.close()


async def test_the_client_searches_through_its_own_lean_connection(server: TestServer) -> None:
    """OpenSearchClient.search with serialised bytes sends the request the client's own
    `search` sends (the index escaped, filter_path encoded) and parses the answer."""
    client = OpenSearchClient(f"http://127.0.0.1:{server.port}")
    try:
        assert client._searches is not None
        fast = await client.search("a b,c", b'{"size": 1}', "hits.hits._id,a*")
        client._searches = None  # the official client's path, for comparison
        slow = await client.search("a b,c", b'{"size": 1}', "hits.hits._id,a*")
        assert fast == slow
        assert fast["path"] == "/a%20b,c/_search?filter_path=hits.hits._id%2Ca%2A"
        assert orjson.loads(fast["body"]) == {"size": 1}
    finally:
        await client.close()


async def test_a_search_the_lean_path_cannot_deliver_falls_back_to_the_client() -> None:
    client = OpenSearchClient(f"http://127.0.0.1:{closed_port()}")
    try:
        with pytest.raises(OpenSearchConnectionError):
            await client.search("articles", b"{}", None)
    finally:
        await client.close()
