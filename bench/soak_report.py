"""The soak's report: a section in the style of docs/benchmarks.md."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bench.soak_monitor import trend
from bench.soak_results import LoadResult, SoakResult

if TYPE_CHECKING:
    from bench.soak import SoakPlan


def _load(averages: tuple[float, float, float]) -> str:
    return ", ".join(f"{a:.2f}" for a in averages)


def _errors(load: LoadResult) -> str:
    if not load.errors:
        return "0"
    reasons = ", ".join(f"{reason}: {n}" for reason, n in load.errors.items())
    return f"**{load.error_count}** ({reasons})"


def load_table(result: SoakResult) -> list[str]:
    lines = ["| load | how | requests | rate | p50 | p99 | max | errors |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for load in result.loads:
        lines.append(
            f"| {load.kind} | {load.detail} | {load.count} | {load.rate:.1f}/s | "
            f"{load.p50_ms:.1f} ms | {load.p99_ms:.1f} ms | {load.max_ms:.0f} ms | "
            f"{_errors(load)} |"
        )
    c = result.completeness
    if c is not None:
        p50, p99 = c.publish_latency_ms
        lines.append(
            f"| partner submission → `ArticlePublished` | send to the event's timestamp | "
            f"{c.partner_stored} | | {p50:.0f} ms | {p99:.0f} ms | | |"
        )
    return lines


def completeness_table(result: SoakResult) -> list[str]:
    c = result.completeness
    if c is None:
        return ["The audit did not run."]

    def row(check: str, expected: object, found: object) -> str:
        mark = "" if expected == found else " ✗"
        return f"| {check} | {expected} | {found}{mark} |"

    posts = c.seed_posts + c.posts_created
    logged = sum(len(lines) for lines in result.log_errors.values())
    return [
        "| check (after the load, waiting for the consumers) | expected | found |",
        "|---|---|---|",
        row("partner submissions stored by ingest", c.partner_sent, c.partner_stored),
        row("partner submissions found by `/api/search`", c.partner_sent, c.partner_searchable),
        row("board posts in search's posts index (seed + new)", posts, c.posts_indexed),
        row("records in `*.dlq` topics", 0, sum(c.dead_letters.values())),
        row("error lines in the services' logs", 0, logged),
        row("services that exited during the load", 0, len(result.exited)),
    ]


def memory_table(result: SoakResult) -> list[str]:
    lines = [
        "| service | RSS at start | middle | end | growth | fitted slope | CPU (of one core) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, samples in (result.samples | result.server_samples).items():
        if not samples:
            continue
        m = trend(samples, result.warmup_s)
        lines.append(
            f"| {name} | {m.start.rss_mb:.0f} MB ({m.start.t:.0f} s) | "
            f"{m.middle.rss_mb:.0f} MB ({m.middle.t:.0f} s) | {m.end.rss_mb:.0f} MB "
            f"({m.end.t:.0f} s) | {m.growth_mb:+.1f} MB | {m.slope_mb_min:+.2f} MB/min | "
            f"{m.cpu_percent:.0f}% |"
        )
    return lines


def findings(result: SoakResult) -> list[str]:
    out = []
    for kind, errors in result.errors().items():
        out.append(f"- {kind}: {errors}")
    if result.completeness is not None and result.completeness.dead_letters:
        out.append(f"- dead letters: {result.completeness.dead_letters}")
    for name in result.exited:
        out.append(f"- {name} exited during the load")
    for name, lines in result.log_errors.items():
        out += [f"- {name} logged: `{line[:300]}`" for line in lines[:3]]
    return out


def report(result: SoakResult, plan: SoakPlan, command: str) -> str:
    verdict = "clean" if result.clean() else "**not clean** (below)"
    lines = [
        f"\n### Soak, distributed ({time.strftime('%Y-%m-%d')}, {result.seconds:.0f} s)\n",
        f"Command: `{command}`\n",
        "Ingest, search, boards and render each a `sinmun serve` process on Kafka, FerretDB "
        "and OpenSearch (loopback), in a namespace of the run's own; seeded with "
        f"{result.seed_articles} articles (the corpus under new guids), {plan.writers} "
        f"reporters with sessions and {result.seed_posts} board posts. For "
        f"{result.seconds:.0f} s, all at once: wrk (paced with `delay()`, one process per "
        "row) on render's pages (half of the article pages as a browser, so views flow), on "
        "the search API and on render's search page (the judged queries in turn); reporters "
        "posting and commenting; a partner producing signed submissions to "
        f"`articles.submitted`. RSS and CPU of each service every {plan.sample_every_s:.0f} s; "
        f"the first {result.warmup_s:.0f} s are the warm-up. Machine: 2 cores shared by the "
        f"load, the services and the servers; load average (1, 5, 15 min) "
        f"{_load(result.load_before)} before, {_load(result.load_after)} after. "
        f"Verdict: {verdict}.\n",
        *load_table(result),
        "",
        *completeness_table(result),
        "",
        *memory_table(result),
        "",
        "Rows marked (shared): the machine's Kafka, FerretDB and OpenSearch, whose work is every "
        "user's of the machine, this run's included.",
    ]
    found = findings(result)
    if found:
        lines += ["", "Findings:", *found]
    return "\n".join(lines) + "\n"
