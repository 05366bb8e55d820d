"""Ingest throughput and latency, each beside the raw store's insert rate in the same run.

    .venv/bin/python -m bench.ingest_throughput [--backend embedded|distributed] [-n 1000]

Measures, on one backend: (1) raw inserts of stored-article-sized documents into the storage
port, (2) articles/s through `POST /api/articles` (8 concurrent clients), (3) articles/s
through the partner topic (signed records, counted until their ArticlePublished is on
`articles.published`), (4) submission → published latency p50/p95 on the topic path.
Two anchors locate the cost: the same clients posting the same documents to an aiohttp
handler that only parses the JSON and answers 201 (the ceiling of any HTTP path here), and
`Ingestor.submit` called directly by 8 tasks (the pipeline without HTTP).
Appends a result table to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from services.bootstrap import create_app, open_storage
from services.ingest.api import DEPS
from services.ingest.settings import IngestSettings
from services.ingest.submissions import parse_submission
from services.ingest.tokens import TokenRole, TokenStore
from shared.ports.bus import Record
from shared.service import INFRA
from shared.settings import Mode
from shared.signatures import SIGNATURE_HEADER, sign
from shared.topics import ARTICLES_PUBLISHED, ARTICLES_SUBMITTED

ROOT = Path(__file__).parent.parent
PARTNER, SECRET = "경북통신", "bench-secret"
TEMPLATE = json.loads((ROOT / "tests/data/articles.jsonl").read_text("utf-8").splitlines()[0])


def settings_for(backend: str, data_dir: Path) -> IngestSettings:
    run = uuid.uuid4().hex[:8]
    common: dict[str, Any] = {
        "data_dir": data_dir,
        "ingest_partner_secrets": {PARTNER: SECRET},
        "log_level": "WARNING",
    }
    if backend == "embedded":
        return IngestSettings(mode=Mode.EMBEDDED, **common)
    env = IngestSettings()
    return IngestSettings(
        mode=Mode.DISTRIBUTED,
        kafka_bootstrap_servers=env.kafka_bootstrap_servers,
        mongo_url=env.mongo_url,
        kafka_namespace=f"bench{run}.",
        mongo_db_prefix=f"bench{run}_",
        **common,
    )


def story(prefix: str, n: int, source: str = "newsroom") -> dict[str, Any]:
    return {**TEMPLATE, "source": source, "guid": f"{prefix}-{n:06d}"}


async def raw_store_rate(settings: IngestSettings, n: int) -> float:
    storage = await open_storage(settings, "rawbench")
    docs = await storage.collection("docs")
    body = {"article": story("raw", 0), "fingerprint": "x" * 64, "outbox": [], "version": 1}
    started = time.perf_counter()
    for i in range(n):
        await docs.insert({**body, "_id": f"raw-{i}"})
    elapsed = time.perf_counter() - started
    await storage.close()
    return n / elapsed


async def hello_rate(n: int) -> float:
    async def accept(request: web.Request) -> web.Response:
        await request.json()
        return web.json_response({"article_id": "0", "version": 1}, status=201)

    app = web.Application()
    app.router.add_post("/api/articles", accept)
    server = TestServer(app)
    await server.start_server()
    try:
        return await http_rate(server, "-", n)
    finally:
        await server.close()


async def pipeline_rate(server: TestServer, n: int, workers: int = 8) -> float:
    ingestor = server.app[DEPS].ingestor
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            await ingestor.submit(parse_submission(story("direct", queue.get_nowait())))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return n / (time.perf_counter() - started)


async def http_rate(server: TestServer, token: str, n: int, clients: int = 8) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def client(session: ClientSession) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            async with session.post(
                server.make_url("/api/articles"),
                json=story("http", i),
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                assert response.status == 201, await response.text()

    async with ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        return n / (time.perf_counter() - started)


async def topic_rate(server: TestServer, n: int) -> tuple[float, list[float]]:
    infra = server.app[INFRA]
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()

    async def on_published(record: Record) -> None:
        guid = json.loads(record.value)["payload"]["article"]["guid"]
        if guid in sent_at and guid.startswith("topic-"):
            latencies.append(time.perf_counter() - sent_at.pop(guid))
            if len(latencies) == n:
                done.set()

    await infra.consume(ARTICLES_PUBLISHED.name, f"bench-{uuid.uuid4().hex[:6]}", on_published)
    started = time.perf_counter()
    for i in range(n):
        value = json.dumps(story("topic", i, PARTNER), ensure_ascii=False).encode()
        sent_at[f"topic-{i:06d}"] = time.perf_counter()
        await infra.bus.send(
            ARTICLES_SUBMITTED.name,
            f"{PARTNER}:topic-{i:06d}",
            value,
            {SIGNATURE_HEADER: sign(SECRET, value).encode()},
        )
    await asyncio.wait_for(done.wait(), timeout=600)
    return n / (time.perf_counter() - started), latencies


async def run(backend: str, n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(backend, Path(tmp))
        raw = await raw_store_rate(settings, n)
        hello = await hello_rate(n)
        server = TestServer(create_app(settings, ["ingest"]))
        await server.start_server()
        try:
            storage = await open_storage(settings, "ingest")
            token = await (await TokenStore.open(storage)).create("bench", TokenRole.REPORTER)
            await storage.close()
            http = await http_rate(server, token, n)
            pipeline = await pipeline_rate(server, n)
            topic, latencies = await topic_rate(server, n)
        finally:
            await server.close()
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "backend": backend,
        "n": n,
        "raw": raw,
        "hello": hello,
        "pipeline": pipeline,
        "http": http,
        "topic": topic,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": quantiles[94] * 1000,
    }


def report(results: dict[str, Any], command: str) -> str:
    r = results
    return (
        f"\n### Ingest, {r['backend']} ({time.strftime('%Y-%m-%d')}, n = {r['n']})\n\n"
        f"Command: `{command}`\n\n"
        "| measure | value | vs raw store inserts |\n|---|---|---|\n"
        f"| raw store inserts | {r['raw']:.0f} docs/s | 100% |\n"
        f"| anchor: parse-JSON-and-201 aiohttp handler (8 clients) | {r['hello']:.0f} req/s | "
        f"{100 * r['hello'] / r['raw']:.0f}% |\n"
        f"| `Ingestor.submit` without HTTP (8 tasks) | {r['pipeline']:.0f} articles/s | "
        f"{100 * r['pipeline'] / r['raw']:.0f}% |\n"
        f"| HTTP `POST /api/articles` (8 clients) | {r['http']:.0f} articles/s | "
        f"{100 * r['http'] / r['raw']:.0f}% ({100 * r['http'] / r['hello']:.0f}% of the anchor) |\n"
        f"| partner topic → `articles.published` | {r['topic']:.0f} articles/s | "
        f"{100 * r['topic'] / r['raw']:.0f}% |\n"
        f"| submission → published latency (topic) | p50 {r['p50_ms']:.1f} ms, "
        f"p95 {r['p95_ms']:.1f} ms | |\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    results = asyncio.run(run(args.backend, args.n))
    command = f".venv/bin/python -m bench.ingest_throughput --backend {args.backend} -n {args.n}"
    text = report(results, command)
    print(text)
    if not args.out.exists():
        args.out.write_text("# Benchmarks\n\nMedians and ratios are from one run each.\n", "utf-8")
    with args.out.open("a", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    main()
