"""The platform table's render and boards rows: `bench.render_speed`, `bench.render_views`
and `bench.boards_load`."""

from __future__ import annotations

import asyncio
import os

from bench import boards_load, render_speed, render_views
from bench.platform_plan import Sizes
from bench.platform_table import Row, Target

HELLO = "hello-world aiohttp handler, its own process, runs alternating with the article's"


def render(backend: str, sizes: Sizes) -> list[Row]:
    """The cached article page beside hello world under wrk (target ≥ 50% of its req/s)."""
    seconds, rounds, n = sizes.render_seconds, sizes.render_rounds, sizes.render_publish
    result = render_speed.run(seconds, rounds, n, backend, extras=False)
    med = render_speed.medians(result["runs"])
    article, hello = med["article"], med["hello"]
    errors = sum(r["non2xx"] + r["socket_errors"] for r in result["runs"]["article"])
    command = (
        f".venv/bin/python -m bench.render_speed --backend {backend} --seconds {seconds:g} "
        f"--rounds {rounds} -n {n}"
    )
    how = (
        f"wrk -t{render_speed.THREADS} -c{render_speed.CONNECTIONS}, median of {rounds} "
        f"run(s) of {seconds:g} s; {errors:.0f} errors"
    )
    return [
        Row("render", backend, f"article page, req/s ({how})", article["rps"], "req/s", command,
            anchor=HELLO, anchor_value=hello["rps"], target=Target("≥", 0.5)),
        Row("render", backend, "article page p99", article["p99"], "ms", command,
            anchor=f"p99: {HELLO}", anchor_value=hello["p99"], style="times"),
    ]  # fmt: skip


def views(backends: tuple[str, ...], sizes: Sizes) -> list[Row]:
    """Render's 많이본 뉴스 consumer: views/s on SQLite, and on FerretDB beside SQLite."""
    distributed = "distributed" in backends
    url = os.environ.get("SINMUN_MONGO_URL") if distributed else None
    measured = dict(asyncio.run(render_views.measure(sizes.views, url)))
    command = f".venv/bin/python -m bench.render_views --views {sizes.views} --no-write"
    figure = f"많이본 뉴스 consumer, views/s ({sizes.views} views, batches of 200)"
    sqlite = measured["embedded (SQLite)"]["views_per_s"]
    rows = []
    if "embedded" in backends:
        rows.append(Row("render", "embedded", figure, sqlite, "views/s", command))
    if "distributed (FerretDB)" in measured:
        rows.append(
            Row("render", "distributed", figure,
                measured["distributed (FerretDB)"]["views_per_s"], "views/s", command,
                anchor="the same consumer on SQLite, same run", anchor_value=sqlite)
        )  # fmt: skip
    return rows


def boards(backend: str, sizes: Sizes) -> list[Row]:
    """Reads under load beside the same readers against a bare handler; writes; errors."""
    seconds = sizes.boards_seconds
    result = asyncio.run(boards_load.run(backend, seconds, anchor=True))
    timings, elapsed = result["timings"], result["seconds"]
    reads = (len(timings["read list"]) + len(timings["read post"])) / elapsed
    command = (
        f".venv/bin/python -m bench.boards_load --backend {backend} --seconds {seconds:g} --anchor"
    )
    load = f"{boards_load.READERS} readers and {boards_load.WRITERS} writers, {elapsed:.0f} s"
    return [
        Row("boards", backend, f"reads (list and post), req/s ({load})", reads, "req/s",
            command, anchor=f"the same {boards_load.READERS} readers against a bare aiohttp "
            "handler, as long", anchor_value=result["anchor"]),
        Row("boards", backend, "writes (posts and comments), req/s",
            len(timings["write"]) / elapsed, "req/s", command),
        Row("boards", backend, "answers not 2xx under that load", len(result["errors"]), "",
            command, target=Target("≤", 0, on="value"), digits=0),
    ]  # fmt: skip
