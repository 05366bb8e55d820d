"""The floor of embedded HTTP ingest: what the required work per article costs before storing.

    .venv/bin/python -m bench.ingest_floor [-n 3000] [--out docs/benchmarks.md]

Issue 3 asks HTTP ingest for ≥ 50% of the raw store's insert rate. On one core (the pinned
placement of `bench.ingest_throughput --pin`) both are CPU-bound, so 50% of the raw rate is
a budget of twice a raw insert's CPU per article. This measures, in one run, on CPU 0:

(1) raw store inserts, exactly as `bench.ingest_throughput` does (one at a time, awaited,
    three rounds, the median);
(2) the anchor: the parse-JSON-and-201 aiohttp process loaded by wrk (from CPU 1), its CPU
    per request: what any HTTP endpoint on this server stack costs;
(3) the article work ingest cannot skip, in this process, one article at a time with the
    benchmark's own article, each step timed on its own (CPU time, best of 5 rounds): parse
    the JSON, validate it (pydantic), sanitise and normalise it (nh3, NFC), its id and
    fingerprint, the version decision, the stored article's dump, its event envelope, and
    the story and outbox documents encoded as the store writes them. No I/O: storing,
    publishing and answering come on top;
(4) what a durable write costs on this core, below the storage port: an awaited hand-off
    to a thread and back (`run_in_executor`, how every SQLite call leaves the event loop),
    and in raw `sqlite3` with the adapter's settings (WAL, synchronous NORMAL) one
    transaction holding one article-sized row, then one row of a transaction of
    GROUP_ROWS (what a group commit pays per copy of an article; the HTTP path writes three
    copies: the story, its outbox entry and the bus's log record);
(5) the whole of ingest without HTTP: the service's own Ingestor, store, outbox relay and
    local bus in this process, fed by CONCURRENCY tasks (as many as wrk's connections) each
    submitting parsed articles as the HTTP view does (`wait_published=False`), until the last
    event is published: CPU per article.

The floor is (2) + (3): the CPU an article costs through HTTP if storing, the outbox and
publishing were free. Reported beside the budget, with the rate the floor allows as a share
of the raw rate; (5) - (3) is what storing, the outbox and publishing add, beside the three
batched rows of (4) they cannot do without.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.ingest_throughput import PLACEMENT, environ, environment, raw_store_rate, start, story
from bench.ingest_throughput import wrk_post as wrk_answers
from bench.output import emit
from services.bootstrap import make_bus, open_storage
from services.ingest.domain import article_id_for, decide, fingerprint
from services.ingest.outbox import OutboxRelay
from services.ingest.sanitize import clean_submission
from services.ingest.store import ArticleStore, Story
from services.ingest.submissions import Ingestor, parse_submission
from shared.schemas import ArticlePublished
from shared.schemas.envelope import envelope_json
from shared.settings import DEFAULT_SECTIONS, SinmunSettings
from shared.topics import ALL_TOPICS

ROUNDS = 5
CONCURRENCY = 64
GROUP_ROWS = 64
COPIES = 3  # article-sized rows an HTTP submission writes: story, outbox entry, log record


def cpu_us(step: Callable[[], Any], n: int) -> float:
    """CPU µs per call of `step`, the best of ROUNDS rounds of n calls."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(n):
            step()
        best = min(best, time.process_time() - started)
    return best / n * 1e6


def article_steps(n: int) -> dict[str, float]:
    """CPU µs per article of each step ingest cannot skip (see the module's docstring)."""
    raw = orjson.dumps(story("floor-guid"))
    document = orjson.loads(raw)
    submission = parse_submission(document)
    clean = clean_submission(submission)
    digest = fingerprint(clean)
    article_id = article_id_for(clean.source, clean.guid)
    now = datetime.now(UTC)
    article = decide(None, None, clean, now, digest, article_id=article_id).article
    article_json = article.model_dump(mode="json")
    event = envelope_json(ArticlePublished, {"article": article_json}, "ingest", None)
    saved = Story(article, digest, 1, (event,), ())
    saved.__dict__["article_json"] = article_json
    return {
        "parse the JSON body": cpu_us(lambda: orjson.loads(raw), n),
        "validate (pydantic)": cpu_us(lambda: parse_submission(document), n),
        "sanitise and normalise (nh3, NFC)": cpu_us(lambda: clean_submission(submission), n),
        "story id and fingerprint": cpu_us(
            lambda: (article_id_for(clean.source, clean.guid), fingerprint(clean)), n
        ),
        "version decision": cpu_us(
            lambda: decide(None, None, clean, now, digest, article_id=article_id), n
        ),
        "stored article dump": cpu_us(lambda: article.model_dump(mode="json"), n),
        "event envelope": cpu_us(
            lambda: envelope_json(ArticlePublished, {"article": article_json}, "ingest", None), n
        ),
        "story and outbox documents, encoded": cpu_us(
            lambda: [orjson.dumps(d) for d in (saved.document(), *saved.outbox_documents())], n
        ),
    }


async def write_costs(n: int, folder: Path) -> dict[str, float]:
    """CPU µs of (4): a thread hand-off, a one-row transaction, a row of a GROUP_ROWS batch."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1) as thread:
        await loop.run_in_executor(thread, int)
        best = float("inf")
        for _ in range(ROUNDS):
            started = time.process_time()
            for _ in range(n):
                await loop.run_in_executor(thread, int)
            best = min(best, time.process_time() - started)
    hand_off = best / n * 1e6
    row = orjson.dumps({"article": story("floor-row")}).decode()
    conn = sqlite3.connect(folder / "rows.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")

    def transaction(rows: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO rows (doc) VALUES (?)", [(row,)] * rows)
        conn.execute("COMMIT")

    single = cpu_us(lambda: transaction(1), n)
    batched = cpu_us(lambda: transaction(GROUP_ROWS), max(1, n // GROUP_ROWS)) / GROUP_ROWS
    conn.close()
    return {"hand_off": hand_off, "single": single, "batched": batched}


async def ingest_without_http(settings: SinmunSettings, n: int, round_: int) -> float:
    """CPU µs per article through the Ingestor, store, outbox and local bus (no HTTP)."""
    storage, bus = await open_storage(settings, "ingest"), make_bus(settings)
    await bus.start()
    await bus.ensure_topics(list(ALL_TOPICS))
    store = await ArticleStore.open(storage)
    ingestor = Ingestor(store, OutboxRelay(store, bus), DEFAULT_SECTIONS)
    bodies = iter([orjson.dumps(story(f"inproc{round_}-{i}")) for i in range(n)])

    async def submitter() -> None:
        for body in bodies:
            submission = parse_submission(orjson.loads(body))
            await ingestor.submit(submission, None, wait_published=False)

    started = time.process_time()
    await asyncio.gather(*(submitter() for _ in range(CONCURRENCY)))
    await ingestor.publishing_below(1)
    used = time.process_time() - started
    await bus.stop()
    await storage.close()
    return used / n * 1e6


async def run(n: int) -> dict[str, Any]:
    PLACEMENT.pin = True
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = environment("embedded", tmp / "data")
        with environ(env):
            settings = SinmunSettings()
            PLACEMENT.move_here(PLACEMENT.measured)
            raws = [await raw_store_rate(settings, n, round_) for round_ in range(3)]
            steps = article_steps(n)
            writes = await write_costs(n, tmp)
            whole = statistics.median([await ingest_without_http(settings, n, k) for k in range(3)])
            PLACEMENT.move_here(PLACEMENT.loaders)
            anchor = await start("--serve-anchor", env)
            try:
                rate, anchor_cpu = await wrk_answers(
                    anchor, n, "floor", token="-", tmp=tmp, bus=None
                )
            finally:
                anchor.stop()
    return {
        "n": n,
        "raw": statistics.median(r for r, _ in raws),
        "raw_cpu": statistics.median(c for _, c in raws),
        "anchor": rate,
        "anchor_cpu": anchor_cpu,
        "steps": steps,
        "writes": writes,
        "whole": whole,
        "load": os.getloadavg()[0],
    }


def derived(r: dict[str, Any]) -> dict[str, float]:
    """CPU µs per article: the budget (twice a raw insert), the steps, the floor (the anchor
    and the steps), the floor with the batched rows, and the anchor with ingest without HTTP."""
    budget = 2 * r["raw_cpu"]
    steps = sum(r["steps"].values())
    floor = r["anchor_cpu"] + steps
    stored = floor + COPIES * r["writes"]["batched"]
    together = r["anchor_cpu"] + r["whole"]
    return {"budget": budget, "steps": steps, "floor": floor, "stored": stored,
            "together": together}  # fmt: skip


def report(r: dict[str, Any], command: str) -> str:
    d = derived(r)
    budget, steps, floor, stored = d["budget"], d["steps"], d["floor"], d["stored"]
    writes = r["writes"]
    rows = "".join(f"| {name} | {us:.1f} µs |\n" for name, us in r["steps"].items())
    return (
        f"\n### Ingest, embedded HTTP: the floor ({time.strftime('%Y-%m-%d')}, n = {r['n']})\n\n"
        f"Command: `{command}` (load average {r['load']:.1f} on 2 cores; everything measured "
        "on CPU 0, wrk on CPU 1)\n\n"
        "| CPU per article | µs |\n|---|---|\n"
        f"| raw store insert (median of 3 rounds; {r['raw']:.0f} docs/s) "
        f"| {r['raw_cpu']:.1f} µs |\n"
        f"| **budget at 50% of the raw rate** (twice a raw insert) | **{budget:.1f} µs** |\n"
        f"| anchor: parse-JSON-and-201 aiohttp process ({r['anchor']:.0f} req/s) "
        f"| {r['anchor_cpu']:.1f} µs |\n"
        + rows
        + f"| **floor**: the anchor and the steps above, nothing stored or published "
        f"| **{floor:.1f} µs** ({floor / budget:.0%} of the budget; at most "
        f"{100 * r['raw_cpu'] / floor:.0f}% of the raw rate) |\n"
        f"| a thread hand-off and back (`run_in_executor`, awaited) "
        f"| {writes['hand_off']:.1f} µs |\n"
        f"| `sqlite3`: a transaction of one article-sized row | {writes['single']:.1f} µs |\n"
        f"| `sqlite3`: one row of a transaction of {GROUP_ROWS} | {writes['batched']:.1f} µs |\n"
        f"| the floor and {COPIES} batched rows (story, outbox entry, log record) "
        f"| {stored:.1f} µs ({stored / budget:.0%} of the budget) |\n"
        f"| ingest without HTTP: Ingestor, store, outbox, local bus, {CONCURRENCY} submitters "
        f"(median of 3) | {r['whole']:.1f} µs (storing, outbox and publishing: "
        f"{r['whole'] - steps:.1f} µs) |\n"
        f"| the two together: the anchor and ingest without HTTP "
        f"| {r['anchor_cpu'] + r['whole']:.1f} µs ({(r['anchor_cpu'] + r['whole']) / budget:.0%}"
        " of the budget) |\n"
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=3000)
    parser.add_argument("--out", type=Path, help="append the table to this file")
    args = parser.parse_args()
    text = report(asyncio.run(run(args.n)), f".venv/bin/python -m bench.ingest_floor -n {args.n}")
    emit(text, args.out)


if __name__ == "__main__":
    main()
