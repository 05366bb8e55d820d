"""The two stand-ins `bench.search_floor` puts beside the search service, each its own process:

    python -m bench.search_floor_app hello|forward PORT ENGINE_URL INDEX

- `hello`: the service's server stack (aiohttp on uvloop, the shared edge middleware, the
  same route) answering a fixed JSON body: what any answer of this stack costs;
- `forward`: the same, and each request's query (the judged queries' parsed and serialised
  bodies, looked up by `q`) posted to the engine through the service's own lean connection
  pool, the engine's bytes answered as they are: the search service with nothing of its
  own work left (no query analysis, no parsing of the answer, no page of hits).
"""

from __future__ import annotations

import sys
from urllib.parse import urlencode, urlsplit

import uvloop
from aiohttp import web

from bench.relevance import judged_queries
from services.search.analysis import KiwiAnalyzer
from services.search.queries import parse_query
from shared.adapters.engine_http import HttpPool
from shared.adapters.engine_search import SEARCH_FILTER_PATH, search_body
from shared.settings import DEFAULT_SECTIONS
from shared.web import base_application, json_response

POOL = web.AppKey("pool", HttpPool)
HELLO = {"total": 0, "hits": []}


def serialised_queries() -> dict[str, bytes]:
    analyzer = KiwiAnalyzer()
    try:
        return {
            q.text: search_body(parse_query({"q": q.text}, analyzer, DEFAULT_SECTIONS))
            for q in judged_queries()
        }
    finally:
        analyzer.close()


def make_app(variant: str, engine_url: str, index: str) -> web.Application:
    app = base_application(["search-floor"])
    if variant == "hello":

        async def hello(request: web.Request) -> web.Response:
            return json_response(HELLO)

        app.router.add_get("/api/search", hello)
        return app
    bodies = serialised_queries()
    target = f"/{index}/_search?{urlencode({'filter_path': SEARCH_FILTER_PATH})}"
    engine = urlsplit(engine_url)

    async def forward(request: web.Request) -> web.Response:
        answer = await request.app[POOL].request("POST", target, bodies[request.query["q"]], 10)
        return web.Response(body=answer.body, content_type="application/json")

    async def open_pool(app: web.Application) -> None:
        # The pool the service's LeanConnection opens: 10 connections, JSON, keep-alive.
        headers = {"content-type": "application/json", "connection": "keep-alive"}
        app[POOL] = HttpPool(engine.hostname or "127.0.0.1", engine.port or 9200, 10, headers)

    async def close_pool(app: web.Application) -> None:
        app[POOL].close()

    app.on_startup.append(open_pool)
    app.on_cleanup.append(close_pool)
    app.router.add_get("/api/search", forward)
    return app


def main() -> None:
    variant, port, engine_url, index = sys.argv[1:5]
    if variant not in {"hello", "forward"}:
        raise SystemExit(f"unknown variant {variant!r}: hello or forward")
    web.run_app(
        make_app(variant, engine_url, index), host="127.0.0.1", port=int(port),
        loop=uvloop.new_event_loop(), access_log=None, print=None,
    )  # fmt: skip


if __name__ == "__main__":
    main()
