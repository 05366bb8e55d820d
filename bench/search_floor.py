"""The floor of the search service's overhead over the engine: where the added latency goes.

    .venv/bin/python -m bench.search_floor [-n 10000] [--calls 1000] [--out docs/benchmarks.md]

Issue 4 asks the search service to add at most 20% to the engine's latency (p50 and p99 at
1, 10 and 50 clients, `bench.search_speed`). This splits that overhead in one run, over the
same kept n-article OpenSearch index as `bench.search_speed --keep-index`:

(1) three servers, each its own process, each measured against the direct path (the same
    request posted straight to the engine) in alternating rounds as `bench.search_speed`
    does, with the server's CPU per request read from /proc:
    - `hello`: the service's server stack answering a fixed body (no engine);
    - `forward`: the same stack forwarding the service's serialised request to the engine
      through the service's own connection pool and answering the engine's bytes as they
      are: the cheapest search service this stack allows, with none of its own work;
    - `service`: the search service itself (`sinmun serve search`);
(2) the service's own work per query, in this process, on real engine answers, each step
    timed on its own (best of 5 rounds, warm): the reader's query parsed (analysis cached,
    as in a running service), the engine's answer turned into results, the page of hits
    (of which the ten snippets), and the JSON response.

`forward` over direct is what any service in front of the engine costs on this machine:
the hop, the HTTP server and the second wake-up. What is left of the 20% after it is the
budget for the service's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiohttp import ClientSession

from bench.output import emit
from bench.relevance import judged_queries
from bench.search_speed import (
    ROOT,
    fill,
    kept,
    levels,
    post_to_engine,
    quantile,
    settings_for,
    start_service,
)
from bench.service_process import free_port, wait_ready
from services.search.analysis import KiwiAnalyzer, user_words
from services.search.api import hit_body, page_body, query_marker
from services.search.queries import parse_query
from services.search.snippets import snippet
from shared.adapters.engine_client import engine_client
from shared.adapters.engine_search import SEARCH_FILTER_PATH, EngineSearchIndex, search_body
from shared.ports.search import SearchResults
from shared.settings import DEFAULT_SECTIONS
from shared.web import json_response

LEVELS = (1, 10, 50)
VARIANTS = ("hello", "forward", "service")
WARM_CALLS = 300


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_variant(variant: str, engine_url: str, index: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.search_floor_app", variant, str(port), engine_url, index],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


async def measure(
    base: str, pid: int, engine_url: str, index: str, calls: int
) -> dict[int, tuple[list[float], list[float], float]]:
    """Per level: the variant's latencies, the direct path's, and the variant's CPU per call."""
    analyzer = KiwiAnalyzer()
    queries = [q.text for q in judged_queries()]
    bodies = [search_body(parse_query({"q": q}, analyzer, DEFAULT_SECTIONS)) for q in queries]
    analyzer.close()
    url = f"{engine_url}/{index}/_search"
    out: dict[int, tuple[list[float], list[float], float]] = {}
    async with ClientSession() as session:

        async def through(i: int) -> None:
            params = {"q": queries[i % len(queries)]}
            async with session.get(base + "/api/search", params=params) as response:
                assert response.status == 200, await response.text()
                await response.read()

        async def direct(i: int) -> None:
            await post_to_engine(session, url, bodies[i % len(bodies)])

        await levels(through, direct, (1,), WARM_CALLS)
        for level in LEVELS:
            before = process_cpu_s(pid)
            served, straight = await levels(through, direct, (level,), calls)
            out[level] = (served[level], straight[level], (process_cpu_s(pid) - before) / calls)
    return out


def _run(coroutine: Coroutine[Any, Any, SearchResults]) -> SearchResults:
    """A coroutine that never waits (the stub engine below), driven without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise RuntimeError("the stub engine waited")


class AnswerReplay:
    """An engine client answering each serialised request with the engine's recorded bytes."""

    def __init__(self, answers: dict[bytes, bytes]) -> None:
        self._answers = answers

    async def search(self, index: str, body: Any, filter_path: str | None = None) -> Any:
        return orjson.loads(self._answers[body])


def per_query_us(step: Callable[[], Any], count: int) -> float:
    """Microseconds a query, best of 5 rounds of `step` (which does `count` queries)."""
    return min(timeit.repeat(step, number=20, repeat=5)) / 20 / count * 1e6


async def own_work(engine_url: str, index: str) -> dict[str, float]:
    """The service's own work per query on real answers, step by step (µs, warm)."""
    analyzer = KiwiAnalyzer()
    params = [{"q": q.text} for q in judged_queries()]
    parsed = [parse_query(p, analyzer, DEFAULT_SECTIONS) for p in params]
    engine = EngineSearchIndex(engine_client("opensearch", engine_url), alias=index)
    answers: dict[bytes, bytes] = {}
    async with ClientSession() as session:
        for query in parsed:
            body = search_body(query)
            async with session.post(
                f"{engine_url}/{index}/_search", data=body,
                params={"filter_path": SEARCH_FILTER_PATH},
                headers={"Content-Type": "application/json"},
            ) as response:  # fmt: skip
                answers[body] = await response.read()
    await engine.close()
    replay = EngineSearchIndex(AnswerReplay(answers), alias=index)  # type: ignore[arg-type]
    results = [_run(replay.search(q)) for q in parsed]
    count = len(parsed)

    def pages() -> list[dict[str, Any]]:
        return [
            page_body(q, r, hit_body, {k: dict(v) for k, v in r.facets.items()}, 0.0)
            for q, r in zip(parsed, results, strict=True)
        ]

    def snippets() -> None:
        for query, result in zip(parsed, results, strict=True):
            mark = query_marker(query)
            for hit in result.hits:
                snippet(str(hit.source.get("body") or ""), mark)

    built = pages()
    steps = {
        "query parsed (`parse_query`, Kiwi analysis cached)": per_query_us(
            lambda: [parse_query(p, analyzer, DEFAULT_SECTIONS) for p in params], count
        ),
        "engine answer → results (orjson, hits, facets)": per_query_us(
            lambda: [_run(replay.search(q)) for q in parsed], count
        ),
        "page of hits (`page_body`)": per_query_us(pages, count),
        "of which the snippets": per_query_us(snippets, count),
        "JSON response (`json_response`)": per_query_us(
            lambda: [json_response(b) for b in built], count
        ),
        "hits a page (mean)": statistics.mean(len(r.hits) for r in results),
        "answer bytes (mean)": statistics.mean(len(a) for a in answers.values()),
    }
    analyzer.close()
    return steps


PerLevel = dict[int, tuple[list[float], list[float], float]]


@dataclass(frozen=True)
class FloorResult:
    """Per variant and level: its latencies (s), the direct path's, its CPU s a call; and
    the service's own work per query (µs, by step)."""

    n: int
    calls: int
    results: dict[str, PerLevel]
    work: dict[str, float]
    load_before: float
    load_after: float


async def run(n: int, calls: int) -> FloorResult:
    settings = settings_for("distributed", Path(tempfile.gettempdir()), "floor")
    kept_dir = Path(tempfile.gettempdir()) / f"sinmun-bench-search-{n}"
    kept_dir.mkdir(exist_ok=True)
    settings = settings.model_copy(
        update={"data_dir": kept_dir, "search_index_prefix": f"benchkeep{n}-"}
    )
    index = f"{settings.search_index_prefix}sinmun-articles"
    engine = EngineSearchIndex(
        engine_client("opensearch", settings.search_url), alias=index, user_words=user_words()
    )
    analyzer = KiwiAnalyzer()
    try:
        if not await kept(engine, n):
            await fill(engine, n, analyzer)
    finally:
        analyzer.close()
        await engine.close()
    load_before = os.getloadavg()[0]
    results: dict[str, PerLevel] = {}
    for variant in VARIANTS:
        if variant == "service":
            process, base = start_service(settings, "distributed")
        else:
            process, base = start_variant(variant, settings.search_url, index)
        try:
            await wait_ready(base, "/healthz", process)
            results[variant] = await measure(base, process.pid, settings.search_url, index, calls)
        finally:
            process.terminate()
            process.wait(timeout=30)
    work = await own_work(settings.search_url, index)
    return FloorResult(n, calls, results, work, load_before, os.getloadavg()[0])


def report(result: FloorResult) -> str:
    n, calls, results, work = result.n, result.calls, result.results, result.work
    load_before, load_after = result.load_before, result.load_after
    ms = 1000
    lines = [
        f"\n### Search overhead floor ({time.strftime('%Y-%m-%d')}, {n} articles)\n",
        f"Command: `.venv/bin/python -m bench.search_floor -n {n} --calls {calls}` "
        f"(load average {load_before:.1f} before, {load_after:.1f} after; {calls} calls per "
        "path and level, each server against the direct path in alternating rounds)\n",
        "| server | clients | p50 | direct p50 | p50 ×direct | p99 ×direct "
        "| added p50 | server CPU a request |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for variant, per_level in results.items():
        for level, (served, straight, cpu_s) in per_level.items():
            s50, d50 = statistics.median(served), statistics.median(straight)
            s99, d99 = quantile(served, 99), quantile(straight, 99)
            lines.append(
                f"| {variant} | {level} | {s50 * ms:.2f} ms | {d50 * ms:.2f} ms | "
                f"{s50 / d50:.2f} | {s99 / d99:.2f} | "
                f"{'—' if variant == 'hello' else f'{(s50 - d50) * ms:+.2f} ms'} | "
                f"{cpu_s * 1e6:.0f} µs |"
            )
    lines += [
        "",
        "The service's own work a query, in process on the engine's real answers (warm, best "
        "of 5 rounds):",
        "",
        "| step | per query |",
        "|---|---|",
    ]
    for step, value in work.items():
        unit = "" if "mean" in step else " µs"
        lines.append(f"| {step} | {value:.1f}{unit} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=1000, help="calls per path and level")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    emit(report(asyncio.run(run(args.n, args.calls))), args.out)


if __name__ == "__main__":
    main()
