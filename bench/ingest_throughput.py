"""Ingest throughput and latency, each beside the raw store's insert rate in the same run.

    .venv/bin/python -m bench.ingest_throughput [--backend embedded|distributed] [-n 1000]

Measures, on one backend: (1) raw inserts of stored-article-sized documents into the storage
port (one at a time, each awaited), (2) articles/s through `POST /api/articles` (8 concurrent
clients), counted until the last one's ArticlePublished is on `articles.published`, (3)
articles/s through the partner topic (signed records, produced with up to 64 in flight as a
batching Kafka producer does, counted the same way), (4) submission → published latency
p50/p95 on the topic path.
Two anchors locate the cost: the same clients posting the same documents to an aiohttp
handler that only parses the JSON and answers 201 (the ceiling of any HTTP path here), and
`Ingestor.submit` called directly by 8 tasks (the pipeline without HTTP).
Appends a result table to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
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
PRODUCER_IN_FLIGHT = 64
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
        return await http_rate(server, "-", n, None)
    finally:
        await server.close()


async def pipeline_rate(
    server: TestServer, n: int, watch: PublishedWatch, workers: int = 8
) -> float:
    """What the HTTP view does, without HTTP: submit (answered once stored), counted until
    the last event is published."""
    ingestor = server.app[DEPS].ingestor
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            document = story("direct", queue.get_nowait())
            watch.sent_at[document["guid"]] = time.perf_counter()
            await ingestor.submit(parse_submission(document), wait_published=False)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    await watch.all_of("direct", n)
    return n / (time.perf_counter() - started)


class PublishedWatch:
    """Counts what reaches `articles.published`, by guid prefix (one consumer for the run)."""

    def __init__(self) -> None:
        self.sent_at: dict[str, float] = {}
        self.latencies: dict[str, list[float]] = {}
        self._waiting: dict[str, tuple[int, asyncio.Event]] = {}

    async def start(self, infra: Any) -> None:
        await infra.consume_batches(
            ARTICLES_PUBLISHED.name, f"bench-{uuid.uuid4().hex[:6]}", self.on_published
        )

    async def on_published(self, records: Sequence[Record]) -> list[None]:
        now = time.perf_counter()
        for record in records:
            guid = orjson.loads(record.value)["payload"]["article"]["guid"]
            prefix = guid.partition("-")[0]
            sent = self.sent_at.pop(guid, None)
            if sent is not None:
                done = self.latencies.setdefault(prefix, [])
                done.append(now - sent)
                expected, event = self._waiting.get(prefix, (0, None))
                if event is not None and len(done) == expected:
                    event.set()
        return [None] * len(records)

    async def all_of(self, prefix: str, n: int) -> list[float]:
        """Wait until `n` articles with this guid prefix are published; their latencies."""
        event = asyncio.Event()
        self._waiting[prefix] = (n, event)
        if len(self.latencies.get(prefix, [])) < n:
            await asyncio.wait_for(event.wait(), timeout=600)
        return self.latencies[prefix]


async def http_rate(
    server: TestServer, token: str, n: int, watch: PublishedWatch | None, clients: int = 8
) -> float:
    """Articles/s from the first request until the last one's event is on the topic (with a
    watch; else until the last answer, as for the anchor)."""
    prefix = "http" if watch is not None else "hello"
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def client(session: ClientSession) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            document = story(prefix, i)
            if watch is not None:
                watch.sent_at[document["guid"]] = time.perf_counter()
            async with session.post(
                server.make_url("/api/articles"),
                json=document,
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                assert response.status == 201, await response.text()

    async with ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        if watch is not None:
            await watch.all_of(prefix, n)
        return n / (time.perf_counter() - started)


async def topic_rate(
    server: TestServer, n: int, watch: PublishedWatch
) -> tuple[float, list[float]]:
    """Articles/s from the first record produced until the last one's event is published.

    The partner's producer keeps up to PRODUCER_IN_FLIGHT records in flight, as a Kafka
    producer batching by linger does (one record, one round trip would measure the producer).
    """
    infra = server.app[INFRA]
    window = asyncio.Semaphore(PRODUCER_IN_FLIGHT)

    async def produce(i: int) -> None:
        value = orjson.dumps(story("topic", i, PARTNER))
        async with window:
            watch.sent_at[f"topic-{i:06d}"] = time.perf_counter()
            await infra.bus.send(
                ARTICLES_SUBMITTED.name,
                f"{PARTNER}:topic-{i:06d}",
                value,
                {SIGNATURE_HEADER: sign(SECRET, value).encode()},
            )

    started = time.perf_counter()
    await asyncio.gather(*(produce(i) for i in range(n)))
    latencies = await watch.all_of("topic", n)
    return n / (time.perf_counter() - started), latencies


class CpuMeter:
    """This process's CPU time (all its threads) per operation of each measure: unlike a
    rate, it does not move with what else the machine runs."""

    def __init__(self) -> None:
        self.us_per_op: dict[str, float] = {}
        self._started = 0.0

    def start(self) -> None:
        self._started = time.process_time()

    def stop(self, name: str, n: int) -> None:
        self.us_per_op[name] = (time.process_time() - self._started) / n * 1e6


async def run(backend: str, n: int) -> dict[str, Any]:
    cpu = CpuMeter()
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(backend, Path(tmp))
        cpu.start()
        raw = await raw_store_rate(settings, n)
        cpu.stop("raw", n)
        cpu.start()
        hello = await hello_rate(n)
        cpu.stop("hello", n)
        server = TestServer(create_app(settings, ["ingest"]))
        await server.start_server()
        try:
            storage = await open_storage(settings, "ingest")
            token = await (await TokenStore.open(storage)).create("bench", TokenRole.REPORTER)
            await storage.close()
            watch = PublishedWatch()
            await watch.start(server.app[INFRA])
            cpu.start()
            http = await http_rate(server, token, n, watch)
            cpu.stop("http", n)
            cpu.start()
            pipeline = await pipeline_rate(server, n, watch)
            cpu.stop("pipeline", n)
            cpu.start()
            topic, latencies = await topic_rate(server, n, watch)
            cpu.stop("topic", n)
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
        "cpu": cpu.us_per_op,
        "load": os.getloadavg()[0],
    }


def report(results: dict[str, Any], command: str) -> str:
    r, cpu = results, results["cpu"]

    def row(name: str, value: str, key: str, note: str = "") -> str:
        ratio = f"{100 * r[key] / r['raw']:.0f}%{note}"
        return f"| {name} | {value} | {ratio} | {cpu[key]:.0f} µs |\n"

    anchor = f" ({100 * r['http'] / r['hello']:.0f}% of the anchor)"
    return (
        f"\n### Ingest, {r['backend']} ({time.strftime('%Y-%m-%d')}, n = {r['n']})\n\n"
        f"Command: `{command}` (load average {r['load']:.1f} on 2 cores)\n\n"
        "| measure | value | vs raw store inserts | CPU of this process per item |\n"
        "|---|---|---|---|\n"
        + row("raw store inserts (one at a time)", f"{r['raw']:.0f} docs/s", "raw")
        + row("anchor: parse-JSON-and-201 aiohttp handler (8 clients)",
              f"{r['hello']:.0f} req/s", "hello")
        + row("`Ingestor.submit` → `articles.published` without HTTP (8 tasks)",
              f"{r['pipeline']:.0f} articles/s",
              "pipeline")
        + row("HTTP `POST /api/articles` → `articles.published` (8 clients)",
              f"{r['http']:.0f} articles/s", "http", anchor)
        + row("partner topic → `articles.published`", f"{r['topic']:.0f} articles/s", "topic")
        + f"| submission → published latency (topic) | p50 {r['p50_ms']:.1f} ms, "
        f"p95 {r['p95_ms']:.1f} ms | | |\n"
    )  # fmt: skip


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
