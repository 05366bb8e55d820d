"""The whole platform in one run: one table, each figure beside its anchor from the same run.

    set -a; source .local/servers.env; set +a   # for the distributed rows
    .venv/bin/python -m bench.platform [--backend embedded|distributed|both] [--quick]
        [--out docs/benchmarks.md]

Runs, one after the other, each benchmark's own measurement (its module's function, in this
process; the services and anchors in processes of their own, as each benchmark starts them):
ingest throughput and its floor, search speed, its floor and relevance, render speed and the
most-viewed consumer, boards under load. Each figure goes in one table with the anchor that
benchmark measures beside it in the same run, their ratio, the target (docs/benchmarks.md,
"Reading the … numbers") and the command that reproduces the row alone. Sizes: `FULL`
(about 14 minutes for both backends) or `--quick` (a few minutes, for trying the harness).
The soak (`bench.soak`) is not part of it: ten minutes of its own, with absolute targets.
Prints the table, and appends it to `--out` if given.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench import platform_ingest, platform_pages, platform_search
from bench.ingest_throughput import PLACEMENT
from bench.output import emit
from bench.platform_plan import FULL, QUICK, Sizes
from bench.platform_table import Row, table, verdict

BACKENDS = {"embedded": ("embedded",), "distributed": ("distributed",),
            "both": ("embedded", "distributed")}  # fmt: skip
AREAS = ("ingest", "search", "render", "boards")  # the table's order, then by backend

NOTES = (
    "- Targets: the `Reading the … numbers` sections of docs/benchmarks.md: ingest ≥ 50% "
    "of the raw store's inserts; search adds ≤ 20% to the engine (p50 and p99), "
    "publish → searchable p95 ≤ 100 ms embedded and ≤ 1.5 s distributed; render ≥ 50% of "
    "hello world. The ingest floor must fit in the budget 50% leaves; relevance must stay "
    "within 0.02 of `tests/data/search/relevance_baseline.json` (the regression test's bound).",
    "- Not in this table: the soak (`.venv/bin/python -m bench.soak --seconds 600`), ten "
    "minutes of its own with absolute rates and no anchor.",
)


@dataclass(frozen=True)
class Step:
    name: str
    measure: Callable[[], list[Row]]


def steps(backends: tuple[str, ...], sizes: Sizes) -> list[Step]:
    """Every benchmark for the chosen backends, area by area."""
    per_backend: list[tuple[str, Callable[[str, Sizes], list[Row]]]] = [
        ("ingest", platform_ingest.throughput),
        ("search", platform_search.speed),
        ("render", platform_pages.render),
        ("boards", platform_pages.boards),
    ]
    after: dict[str, list[Step]] = {
        "ingest": [Step("ingest floor", partial(platform_ingest.floor, sizes))]
        if "embedded" in backends
        else [],
        "search": (
            [Step("search floor", partial(platform_search.floor, sizes))]
            if "distributed" in backends
            else []
        )
        + [Step("search relevance", partial(platform_search.relevance, backends))],
        "render": [Step("render views", partial(platform_pages.views, backends, sizes))],
    }
    out: list[Step] = []
    for area, measure in per_backend:
        out += [Step(f"{area} {b}", partial(measure, b, sizes)) for b in backends]
        out += after.get(area, [])
    return out


@contextmanager
def isolated() -> Iterator[None]:
    """A benchmark's changes to this process undone after it: the environment, the CPUs it
    runs on (`--pin` moves it), the ingest benchmarks' placement."""
    environ, cpus = dict(os.environ), os.sched_getaffinity(0)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        os.sched_setaffinity(0, cpus)
        PLACEMENT.pin = False


def progress(message: str) -> None:
    print(f"[platform {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Outcome:
    rows: list[Row]
    minutes: dict[str, float]
    failures: dict[str, str]


def run(backends: tuple[str, ...], sizes: Sizes) -> Outcome:
    outcome = Outcome([], {}, {})
    for step in steps(backends, sizes):
        progress(f"{step.name} …")
        started = time.perf_counter()
        try:
            with isolated():
                outcome.rows += step.measure()
        except Exception as error:  # one benchmark failing leaves the others' rows
            traceback.print_exc()
            outcome.failures[step.name] = f"{type(error).__name__}: {error}"[:300]
        outcome.minutes[step.name] = (time.perf_counter() - started) / 60
        progress(f"{step.name}: {outcome.minutes[step.name]:.1f} min")
    return outcome


def ordered(rows: list[Row]) -> list[Row]:
    """Area by area, embedded before distributed, each benchmark's rows in its own order."""
    backends = BACKENDS["both"]
    return sorted(rows, key=lambda r: (AREAS.index(r.area), backends.index(r.backend)))


def loads(averages: tuple[float, float, float]) -> str:
    return ", ".join(f"{a:.2f}" for a in averages)


def report(
    outcome: Outcome, *, title: str, command: str,
    load: tuple[tuple[float, float, float], tuple[float, float, float]],
) -> str:  # fmt: skip
    lines = [
        f"\n### Platform, {title} ({time.strftime('%Y-%m-%d %H:%M')})\n",
        f"Command: `{command}` (distributed rows with `.local/servers.env` sourced). "
        f"Load average (1, 5, 15 min) {loads(load[0])} before, {loads(load[1])} after, on "
        f"{os.cpu_count()} cores; {sum(outcome.minutes.values()):.0f} min in all. Every ratio "
        "is between two figures of this run (value / anchor value; for ingest the median of "
        "its rounds' own ratios, each round beside its own raw inserts).\n",
        table(ordered(outcome.rows)),
        verdict(ordered(outcome.rows)),
    ]
    if outcome.failures:
        lines += ["", "Failed (no rows):", *(f"- {k}: {v}" for k, v in outcome.failures.items())]
    minutes = ", ".join(f"{k} {v:.1f}" for k, v in outcome.minutes.items())
    lines += ["", *NOTES, f"- Minutes per benchmark: {minutes}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=list(BACKENDS), default="both")
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the harness")
    parser.add_argument("--out", type=Path, help="append the table to this file")
    args = parser.parse_args()
    backends = BACKENDS[args.backend]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: bash deploy/local/system-packages.sh")
    if "distributed" in backends and not os.environ.get("SINMUN_KAFKA_BOOTSTRAP_SERVERS"):
        raise SystemExit("distributed: set -a; source .local/servers.env; set +a")
    command = f".venv/bin/python -m bench.platform --backend {args.backend}"
    command += " --quick" if args.quick else ""
    command += f" --out {args.out}" if args.out else ""
    load_before = os.getloadavg()
    outcome = run(backends, QUICK if args.quick else FULL)
    title = " and ".join(backends) + (", `--quick`: sizes too small to quote" if args.quick else "")
    text = report(outcome, title=title, command=command, load=(load_before, os.getloadavg()))
    emit(text, args.out)


if __name__ == "__main__":
    main()
