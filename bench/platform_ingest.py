"""The platform table's ingest rows: `bench.ingest_throughput` and `bench.ingest_floor`."""

from __future__ import annotations

import asyncio
import dataclasses
import statistics

from bench import ingest_floor, ingest_throughput
from bench.ingest_throughput import CONNECTIONS, PLACEMENT
from bench.platform_plan import Sizes
from bench.platform_table import Row, Target

RAW = "raw store inserts, one at a time, awaited (median of 3 runs a round)"
HTTP = f"HTTP `POST /api/articles` → `articles.published` (wrk, {CONNECTIONS} connections)"


def throughput(backend: str, sizes: Sizes) -> list[Row]:
    """HTTP and the partner topic beside the raw store inserts of the same rounds (embedded:
    pinned, the placement the verdict rests on), and HTTP beside the parse-JSON anchor. Each
    ratio is the median of the rounds' own ratios, as the benchmark reports it."""
    n = sizes.ingest_embedded_n if backend == "embedded" else sizes.ingest_distributed_n
    rounds = sizes.ingest_rounds
    pin = backend == "embedded"
    command = (
        f".venv/bin/python -m bench.ingest_throughput --backend {backend} -n {n} "
        f"--rounds {rounds}" + (" --pin" if pin else "")
    )
    PLACEMENT.pin = pin
    try:
        r = asyncio.run(ingest_throughput.run(backend, n, rounds))
    finally:
        PLACEMENT.pin = False
    http = Row(
        "ingest", backend, HTTP, r["http"], "articles/s", command,
        anchor=RAW, anchor_value=r["raw"], anchor_unit="docs/s",
        given_ratio=statistics.median(r["http_ratios"]), target=Target("≥", 0.5),
    )  # fmt: skip
    topic = dataclasses.replace(
        http, figure="partner topic backlog → `articles.published`", value=r["topic"],
        given_ratio=statistics.median(r["topic_ratios"]),
    )  # fmt: skip
    beside_anchor = dataclasses.replace(
        http, anchor=f"parse-JSON-and-201 aiohttp process (wrk, {CONNECTIONS} connections)",
        anchor_value=r["hello"], anchor_unit="req/s",
        given_ratio=statistics.median(r["http_anchor_ratios"]), target=None,
    )  # fmt: skip
    return [http, topic, beside_anchor]


def floor(sizes: Sizes) -> list[Row]:
    """Embedded HTTP's CPU per article on one core beside the budget 50% of the raw rate
    leaves (twice a raw insert's CPU): the floor (nothing stored), and the anchor with the
    whole of ingest without HTTP."""
    n = sizes.floor_n
    command = f".venv/bin/python -m bench.ingest_floor -n {n}"
    try:
        r = asyncio.run(ingest_floor.run(n))
    finally:
        PLACEMENT.pin = False
    d = ingest_floor.derived(r)
    budget = Row(
        "ingest", "embedded",
        "HTTP floor: the anchor's CPU and the article work ingest cannot skip, nothing stored",
        d["floor"], "µs/article", command,
        anchor="budget: twice a raw insert's CPU (what 50% of the raw rate allows)",
        anchor_value=d["budget"], target=Target("≤", 1.0),
    )  # fmt: skip
    together = dataclasses.replace(
        budget, figure="the anchor's CPU and ingest without HTTP (Ingestor, store, outbox, "
        f"local bus, {ingest_floor.CONCURRENCY} submitters)", value=d["together"],
    )  # fmt: skip
    return [budget, together]
