"""Search speed: publish → searchable, and query latency at 10k articles beside the engine.

    .venv/bin/python -m bench.search_speed --backend embedded|distributed [-n 10000]
        [--keep-index] [--queries-only] [--calls 2000] [--publish 50]

1. Publish → searchable: ingest and search in one app (embedded: SQLite and the local bus;
   distributed: Kafka, FerretDB, OpenSearch); 50 articles (`--publish`) submitted one by
   one, each timed from `POST /api/articles` until `/api/search` finds it.
2. Query latency: the corpus re-submitted under new guids up to n articles, written straight
   into the index; the search service runs as its own process (`sinmun up` embedded, `sinmun
   serve search` distributed); the judged queries are sent by 1, 10 and 50 concurrent clients
   through the service (`GET /api/search`), and the same parsed queries straight to the index
   (OpenSearch `_search` with the service's request: the same body bytes and filter_path,
   uncompressed like the service's;
   embedded: the SQLite index called in process), `--calls` per path and level. p50/p99 per
   level, and the service's p50 as a ratio of the direct one.
Appends a table to docs/benchmarks.md.

`--keep-index` keeps the n-article index of part 2 (a fixed name, or a fixed data dir when
embedded) and reuses it on the next run when it holds n live articles: filling it takes
minutes. `--queries-only` skips part 1 (for trying a change; the report says so).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import string
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bench.output import emit
from bench.relevance import corpus, judged_queries
from bench.service_process import start, wait_ready
from services.bootstrap import create_app, open_storage
from services.ingest.settings import IngestSettings
from services.ingest.tokens import TokenRole, TokenStore
from services.search.analysis import KiwiAnalyzer, user_words
from services.search.documents import index_document
from services.search.queries import parse_query
from shared.adapters.engine_client import engine_client
from shared.adapters.engine_search import SEARCH_FILTER_PATH, EngineSearchIndex, search_body
from shared.adapters.sqlite_search import SqliteSearchIndex
from shared.ports.search import IndexDocument, SearchIndex
from shared.settings import DEFAULT_SECTIONS, Mode, SearchEngine, SinmunSettings

ROOT = Path(__file__).parent.parent
LEVELS = (1, 10, 50)
REQUESTS_PER_LEVEL = 2000  # per path: p99 is then the 20th slowest call, not the 6th
ROUND = 100  # calls through one path before the other takes its turn
PUBLISHED = 50  # articles timed publish → searchable


def settings_for(backend: str, data_dir: Path, run: str) -> IngestSettings:
    if backend == "embedded":
        return IngestSettings(mode=Mode.EMBEDDED, data_dir=data_dir, log_level="WARNING")
    env = IngestSettings()
    return IngestSettings(
        mode=Mode.DISTRIBUTED, data_dir=data_dir, log_level="WARNING",
        kafka_bootstrap_servers=env.kafka_bootstrap_servers, kafka_namespace=f"bench{run}.",
        mongo_url=env.mongo_url, mongo_db_prefix=f"bench{run}_",
        search_engine=SearchEngine.OPENSEARCH, search_url=env.search_url,
        search_index_prefix=f"bench{run}-",
    )  # fmt: skip


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def publish_to_searchable(settings: IngestSettings, n: int = 50) -> list[float]:
    server = TestServer(create_app(settings, ["ingest", "search"]))
    await server.start_server()
    storage = await open_storage(settings, "ingest")
    token = await (await TokenStore.open(storage)).create("bench", TokenRole.REPORTER)
    await storage.close()
    template = corpus()[0].model_dump(mode="json", include={"headline", "section", "body_html"})
    latencies: list[float] = []
    try:
        async with ClientSession() as session:
            for i in range(n):
                # Letters only: Kiwi splits digits from letters, and the marker must be one token.
                marker = "zq" + "".join(random.choices(string.ascii_lowercase, k=12))
                document = {**template, "guid": f"speed-{marker}", "headline": f"{marker} 속보 {i}"}
                started = time.perf_counter()
                async with session.post(
                    server.make_url("/api/articles"), json=document,
                    headers={"Authorization": f"Bearer {token}"},
                ) as response:  # fmt: skip
                    assert response.status == 201, await response.text()
                async with asyncio.timeout(30):
                    while True:
                        async with session.get(
                            server.make_url("/api/search"), params={"q": marker}
                        ) as response:
                            if (await response.json())["total"] == 1:
                                break
                        await asyncio.sleep(0.002)
                latencies.append(time.perf_counter() - started)
    finally:
        await server.close()
    return latencies


async def fill(index: SearchIndex, n: int, analyzer: KiwiAnalyzer) -> None:
    """n documents: the corpus over and over under new ids. Each corpus article is analysed
    once (a copy differs from it only by its id, so its tokens are the same)."""
    base = [index_document(article, analyzer) for article in corpus()]
    await index.ensure()
    semaphore = asyncio.Semaphore(16)

    async def put(i: int) -> None:
        doc = base[i % len(base)]
        doc_id = f"{doc.doc_id}-r{i // len(base)}"
        copy = IndexDocument(doc_id, doc.version, {**doc.fields, "article_id": doc_id})
        async with semaphore:
            await index.upsert(copy)

    await asyncio.gather(*(put(i) for i in range(n)))
    await index.refresh()


async def kept(index: SearchIndex, n: int) -> bool:
    """Whether a kept index from an earlier run holds the n articles (else it is refilled)."""
    try:
        await index.ensure()
        return await index.count() == n
    except Exception:
        return False


async def levels(
    service: Callable[[int], Awaitable[None]],
    direct: Callable[[int], Awaitable[None]],
    concurrency: tuple[int, ...] = LEVELS,
    calls: int = REQUESTS_PER_LEVEL,
) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """Latencies of `calls` calls through each path at each concurrency level, the two paths
    taking turns in rounds of ROUND calls: other work on a shared machine then weighs on both
    alike instead of on whichever path happened to run during it."""
    out: tuple[dict[int, list[float]], dict[int, list[float]]] = ({}, {})

    async def worker(call: Callable[[int], Awaitable[None]], counter: Iterator[int],
                     latencies: list[float]) -> None:  # fmt: skip
        for i in counter:
            started = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - started)

    for level in concurrency:
        for path in out:
            path[level] = []
        for first in range(0, calls, ROUND):
            for call, path in zip((service, direct), out, strict=True):
                counter = iter(range(first, min(first + ROUND, calls)))
                await asyncio.gather(*(worker(call, counter, path[level]) for _ in range(level)))
    return out


async def post_to_engine(session: ClientSession, url: str, body: bytes) -> None:
    """The very request the service's client sends: the same body bytes (the same DSL
    serialised the same way), the same filter_path, and like it no Accept-Encoding
    (aiohttp's client asks for gzip by default, and the engine then spends CPU compressing
    every answer, which slowed this path down)."""
    async with session.post(
        url, data=body, params={"filter_path": SEARCH_FILTER_PATH},
        headers={"Content-Type": "application/json"}, skip_auto_headers=("Accept-Encoding",),
    ) as response:  # fmt: skip
        assert "Content-Encoding" not in response.headers
        assert response.status == 200, await response.text()
        await response.read()


async def same_totals(
    session: ClientSession, base: str, index: SearchIndex, queries: list[str], parsed: list[Any]
) -> None:
    """The service must answer from the index filled here: the same totals as asking it."""
    for text, query in zip(queries, parsed, strict=True):
        async with session.get(base + "/api/search", params={"q": text}) as response:
            through = (await response.json())["total"]
        direct = (await index.search(query)).total
        if through != direct:
            raise RuntimeError(f"{text!r}: the service found {through}, the index {direct}")


def start_service(settings: IngestSettings, backend: str) -> tuple[subprocess.Popen[bytes], str]:
    # Every setting that names the index the benchmark filled, so the service cannot end up
    # on another engine or index (an empty one answers fast) through its own defaults.
    env = {
        "SINMUN_DATA_DIR": str(settings.data_dir),
        "SINMUN_SEARCH_ENGINE": settings.search_engine.value,
        "SINMUN_SEARCH_URL": settings.search_url,
        "SINMUN_SEARCH_INDEX_PREFIX": settings.search_index_prefix,
        "SINMUN_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "SINMUN_KAFKA_NAMESPACE": settings.kafka_namespace,
        "SINMUN_MONGO_URL": settings.mongo_url,
        "SINMUN_MONGO_DB_PREFIX": settings.mongo_db_prefix,
    }
    return start(["up"] if backend == "embedded" else ["serve", "search"], env)


async def query_latency(
    settings: IngestSettings,
    backend: str,
    n: int,
    keep: bool = False,
    calls: int = REQUESTS_PER_LEVEL,
) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    analyzer = KiwiAnalyzer()
    queries = [q.text for q in judged_queries()]
    parsed = [parse_query({"q": q}, analyzer, DEFAULT_SECTIONS) for q in queries]
    index: SearchIndex
    if backend == "embedded":
        index = SqliteSearchIndex(settings.data_dir / "search.sqlite3")
    else:
        alias = f"{settings.search_index_prefix}sinmun-articles"
        index = EngineSearchIndex(
            engine_client("opensearch", settings.search_url), alias=alias, user_words=user_words()
        )
    if not (keep and await kept(index, n)):
        await fill(index, n, analyzer)
    process, base = start_service(settings, backend)
    try:
        await wait_ready(base, "/api/search/status", process)
        async with ClientSession() as session:

            async def through_service(i: int) -> None:
                params = {"q": queries[i % len(queries)]}
                async with session.get(base + "/api/search", params=params) as response:
                    assert response.status == 200, await response.text()
                    await response.read()

            async def straight_to_engine(i: int) -> None:
                if isinstance(index, SqliteSearchIndex):
                    await index.search(parsed[i % len(parsed)])
                    return
                url = f"{settings.search_url}/{settings.search_index_prefix}sinmun-articles/_search"
                await post_to_engine(session, url, search_body(parsed[i % len(parsed)]))

            await same_totals(session, base, index, queries, parsed)
            # Warm both paths once, then measure.
            await levels(through_service, straight_to_engine, calls=calls)
            service, direct = await levels(through_service, straight_to_engine, calls=calls)
    finally:
        process.terminate()
        process.wait(timeout=30)
        await index.close()
    return service, direct


@dataclass(frozen=True)
class SearchSpeed:
    """One run's figures: publish → searchable latencies (s; empty with `--queries-only`) and
    per concurrency level the latencies (s) through the service and straight to the index."""

    backend: str
    n: int
    calls: int
    publish: list[float]
    service: dict[int, list[float]]
    direct: dict[int, list[float]]


def report(result: SearchSpeed, *, flags: str = "") -> str:
    backend, n, publish = result.backend, result.n, result.publish
    service, direct = result.service, result.direct
    ms = 1000
    direct_name = (
        "the SQLite index called in process with the same parsed query"
        if backend == "embedded"
        else "OpenSearch `_search` with the service's own request (same body bytes, same "
        "filter_path, no Accept-Encoding: uncompressed, as the service asks)"
    )
    lines = [
        f"\n### Search speed, {backend} ({time.strftime('%Y-%m-%d')}, {n} articles)\n",
        f"Command: `.venv/bin/python -m bench.search_speed --backend {backend} -n {n}{flags}`\n",
        (
            f"Publish → searchable ({len(publish)} articles one by one): "
            f"p50 {statistics.median(publish) * ms:.0f} ms, "
            f"p95 {quantile(publish, 95) * ms:.0f} ms\n"
            if publish
            else "Publish → searchable: not measured in this run (`--queries-only`)\n"
        ),
        f"Queries ({result.calls} per level, the {len(judged_queries())} judged queries "
        f"in turn, the two paths alternating every {ROUND} calls); direct = {direct_name}:\n",
        "| clients | service p50 | service p99 | direct p50 | direct p99 | service/direct p50 "
        "| service/direct p99 |",
        "|---|---|---|---|---|---|---|",
    ]
    for level in LEVELS:
        s, d = service[level], direct[level]
        lines.append(
            f"| {level} | {statistics.median(s) * ms:.1f} ms | {quantile(s, 99) * ms:.1f} ms | "
            f"{statistics.median(d) * ms:.1f} ms | {quantile(d, 99) * ms:.1f} ms | "
            f"{statistics.median(s) / statistics.median(d):.2f} | "
            f"{quantile(s, 99) / quantile(d, 99):.2f} |"
        )
    return "\n".join(lines) + "\n"


async def measure(
    backend: str,
    n: int,
    keep: bool,
    queries_only: bool,
    *,
    calls: int = REQUESTS_PER_LEVEL,
    publish_n: int = PUBLISHED,
) -> SearchSpeed:
    """Part 1 (unless `queries_only`, `publish_n` articles) and part 2 (`calls` per path and
    level), the run's own data dropped afterwards (a kept index stays)."""
    run_id = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp:
        first = settings_for(backend, Path(tmp) / "a", run_id)
        settings = settings_for(backend, Path(tmp) / "b", run_id + "q")
        if keep:
            kept_dir = Path(tempfile.gettempdir()) / f"sinmun-bench-search-{n}"
            kept_dir.mkdir(exist_ok=True)
            settings = settings.model_copy(
                update={"data_dir": kept_dir, "search_index_prefix": f"benchkeep{n}-"}
            )
        dropped = [first] if keep else [first, settings]
        try:
            publish = [] if queries_only else await publish_to_searchable(first, publish_n)
            service, direct = await query_latency(settings, backend, n, keep, calls)
        finally:
            if backend == "distributed":
                await drop_engine_indexes(*dropped)
                await drop_run_data(first, settings)
    return SearchSpeed(backend, n, calls, publish, service, direct)


def flags_of(keep: bool, queries_only: bool, calls: int, publish_n: int = PUBLISHED) -> str:
    """The command-line flags beyond backend and n that reproduce a run."""
    return (
        (f" --calls {calls}" if calls != REQUESTS_PER_LEVEL else "")
        + (f" --publish {publish_n}" if publish_n != PUBLISHED and not queries_only else "")
        + (" --keep-index" if keep else "")
        + (" --queries-only" if queries_only else "")
    )


async def drop_engine_indexes(*runs: IngestSettings) -> None:
    """Every index the runs' services made (articles and board posts, all generations)."""
    client = engine_client("opensearch", runs[0].search_url)
    try:
        for settings in runs:
            await client.delete_index(f"{settings.search_index_prefix}sinmun-*")
    finally:
        await client.close()


async def drop_run_data(*runs: SinmunSettings) -> None:
    """The runs' Kafka topics and FerretDB databases (a broker keeping every past run's
    partitions runs out of heap)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from pymongo import AsyncMongoClient

    namespaces = tuple(settings.kafka_namespace for settings in runs)
    admin = AIOKafkaAdminClient(bootstrap_servers=runs[0].kafka_bootstrap_servers)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(namespaces)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()
    prefixes = tuple(settings.mongo_db_prefix for settings in runs)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(runs[0].mongo_url)
    try:
        for name in await client.list_database_names():
            if name.startswith(prefixes):
                await client.drop_database(name)
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--keep-index", action="store_true", help="keep and reuse the index")
    parser.add_argument("--queries-only", action="store_true", help="skip publish → searchable")
    parser.add_argument("--calls", type=int, default=REQUESTS_PER_LEVEL, help="per path and level")
    parser.add_argument("--publish", type=int, default=PUBLISHED, help="articles timed (part 1)")
    args = parser.parse_args()
    result = asyncio.run(
        measure(args.backend, args.n, args.keep_index, args.queries_only,
                calls=args.calls, publish_n=args.publish)
    )  # fmt: skip
    flags = flags_of(args.keep_index, args.queries_only, args.calls, args.publish)
    emit(report(result, flags=flags), args.out)


if __name__ == "__main__":
    main()
