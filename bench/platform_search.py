"""The platform table's search rows: `bench.search_speed`, `bench.search_floor` and
`bench.search_relevance`."""

from __future__ import annotations

import asyncio
import json
import os
import statistics

from bench import search_floor, search_relevance, search_speed
from bench.platform_plan import Sizes
from bench.platform_table import Row, Target
from bench.relevance import judged_queries

DIRECT = {
    "embedded": "the SQLite index called in process with the same parsed query",
    "distributed": "OpenSearch `_search` with the service's own request",
}
# Publish → searchable, p95 (docs/benchmarks.md, "Reading the search numbers").
PUBLISH_P95_MS = {"embedded": 100.0, "distributed": 1500.0}
MS = 1000


def clients(level: int) -> str:
    return f"{level} client" + ("s" if level > 1 else "")


def speed(backend: str, sizes: Sizes) -> list[Row]:
    """Query latency through the service beside the same query straight to the index, at
    each concurrency level (target ≤ ×1.20 beside the engine; embedded's direct path has no
    HTTP at all, so it has no target), and publish → searchable. Distributed keeps the
    n-article index between runs (`--keep-index`), as `bench.search_floor` needs it."""
    keep = backend == "distributed"
    n, calls, published = sizes.search_n, sizes.search_calls, sizes.search_publish
    result = asyncio.run(
        search_speed.measure(backend, n, keep, False, calls=calls, publish_n=published)
    )
    flags = search_speed.flags_of(keep, False, calls, published)
    command = f".venv/bin/python -m bench.search_speed --backend {backend} -n {n}{flags}"
    target = Target("≤", 1.2) if backend == "distributed" else None
    rows = []
    for level in search_speed.LEVELS:
        s, d = result.service[level], result.direct[level]
        for name, q in (("p50", 50), ("p99", 99)):
            rows.append(
                Row(
                    "search",
                    backend,
                    f"`GET /api/search` {name}, {clients(level)} ({n} articles, {calls} calls)",
                    search_speed.quantile(s, q) * MS,
                    "ms",
                    command,
                    anchor=f"{name}: {DIRECT[backend]}",
                    anchor_value=search_speed.quantile(d, q) * MS,
                    style="times",
                    target=target,
                )
            )
    p95 = search_speed.quantile(result.publish, 95) * MS
    rows.append(
        Row(
            "search",
            backend,
            f"publish → searchable p95 ({published} articles one by one; p50 "
            f"{statistics.median(result.publish) * MS:.0f} ms)",
            p95,
            "ms",
            command,
            target=Target("≤", PUBLISH_P95_MS[backend], on="value"),
        )
    )
    return rows


def floor(sizes: Sizes) -> list[Row]:
    """What any service in front of the engine adds on this machine: a bare forwarder (the
    service's stack and engine pool, none of its work) beside the direct request."""
    n, calls = sizes.search_n, sizes.floor_calls
    result = asyncio.run(search_floor.run(n, calls))
    command = f".venv/bin/python -m bench.search_floor -n {n} --calls {calls}"
    rows = []
    for level, (served, straight, _cpu) in result.results["forward"].items():
        rows.append(
            Row(
                "search",
                "distributed",
                f"bare forwarder p50 (the service's stack, none of its work), {clients(level)}",
                statistics.median(served) * MS,
                "ms",
                command,
                anchor="p50: OpenSearch `_search` with the service's own request",
                anchor_value=statistics.median(straight) * MS,
                style="times",
            )
        )
    return rows


def relevance(backends: tuple[str, ...]) -> list[Row]:
    """nDCG@10 of Kiwi (the default analysis) beside the naive character bigrams on the same
    index, in the same run; the target is the regression test's (baseline − 0.02)."""
    url = os.environ.get("SINMUN_SEARCH_URL") if "distributed" in backends else None
    outcome = asyncio.run(search_relevance.run(url))
    baseline = json.loads(search_relevance.BASELINE.read_text("utf-8"))
    command = ".venv/bin/python -m bench.search_relevance"
    rows = []
    for backend, index in (("embedded", "embedded"), ("distributed", "engine")):
        kiwi, bigram = f"{index}/kiwi", f"{index}/bigram"
        if backend not in backends or kiwi not in outcome["results"]:
            continue
        rows.append(
            Row(
                "search",
                backend,
                f"relevance nDCG@10, {kiwi} ({outcome['articles']} articles, "
                f"{len(judged_queries())} judged queries)",
                outcome["results"][kiwi]["ndcg@10"],
                "",
                command,
                anchor=f"{bigram}: character bigrams, the naive baseline",
                anchor_value=outcome["results"][bigram]["ndcg@10"],
                target=Target("≥", baseline[kiwi] - 0.02, on="value"),
                digits=3,
            )
        )
    return rows
