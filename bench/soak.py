"""Soak: the distributed site under a steady mixed load for minutes, then what went wrong,
what got lost and what grew.

    set -a; source .local/servers.env; set +a
    .venv/bin/python -m bench.soak [--seconds 600] [--scale 1.0] [--out docs/benchmarks.md]

1. Ingest, search, boards and render, each its own `sinmun serve` process on Kafka, FerretDB
   and OpenSearch (loopback), on a Kafka namespace, database prefix and index prefix of the
   run's own (deleted at the end); seeded with a reporter token, a few hundred articles (the
   corpus under new guids), reporters with sessions and the first board posts, until render
   and search show them.
2. For `--seconds`, all at once, each loop paced and stopping by itself: wrk on render's
   pages (home, sections, 전체기사, article pages, the boards and their posts), on the search
   API (the judged queries in turn) and on render's search page; reporters posting and
   commenting through boards' API; a partner producing signed submissions to
   `articles.submitted`. Every 10 s each service's RSS and CPU time (/proc), and the shared
   Kafka's, FerretDB's and OpenSearch's (read only: where the services' time went).
3. Then: errors per load, every partner submission stored and searchable, every board post
   indexed, every `.dlq` empty, error lines in the services' logs; p50/p99 and rate per load;
   RSS per service at start (after the warm-up), middle and end, and its fitted slope.
Appends the report to docs/benchmarks.md (`--out`). `tests/resilience/test_soak.py` runs the
same harness for under a minute and asserts the correctness part.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import shutil
import string
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bench.output import emit
from bench.relevance import judged_queries
from bench.soak_audit import audit
from bench.soak_monitor import sample_every
from bench.soak_report import report
from bench.soak_results import LoadResult, Sample, SoakResult
from bench.soak_seed import Seeded, seed
from bench.soak_servers import server_pids
from bench.soak_stack import Stack, error_lines, running_stack
from bench.soak_writers import BoardWriters, PartnerProducer
from bench.soak_wrk import WrkTarget, run_wrk
from shared.adapters.kafka_bus import KafkaBus
from shared.settings import DEFAULT_SECTIONS

ROOT = Path(__file__).parent.parent


@dataclass(frozen=True)
class SoakPlan:
    """How long, how much seed, and each load's rate and connections."""

    seconds: float = 600.0
    seed_articles: int = 320
    writers: int = 10
    seed_posts: int = 30
    render_rate: float = 150.0
    render_connections: int = 8
    search_rate: float = 25.0
    search_connections: int = 4
    search_page_rate: float = 10.0
    search_page_connections: int = 4
    post_rate: float = 0.5
    comment_rate: float = 1.0
    partner_rate: float = 10.0
    sample_every_s: float = 10.0
    wrk_timeout_s: float = 5.0  # a reader gives up (a socket error) after this

    @property
    def warmup_s(self) -> float:
        """Samples before this are the services warming up (caches, pools, Kiwi's first
        analyses), not growth."""
        return min(60.0, self.seconds / 5)

    def scaled(self, factor: float) -> SoakPlan:
        """Every load's rate times `factor` (the connections stay)."""
        rates = ("render_rate", "search_rate", "search_page_rate", "post_rate", "comment_rate",
                 "partner_rate")  # fmt: skip
        return dataclasses.replace(self, **{r: getattr(self, r) * factor for r in rates})


def render_paths(seeded: Seeded) -> list[str]:
    """About half article pages, a third lists (home, 전체기사, sections, boards), the rest
    board posts, shuffled the same way every run."""
    lists = ["/", "/", "/", "/news", "/news?page=2", "/community/free", "/community/free?page=2",
             "/community/notice", *(f"/news/{s}" for s in DEFAULT_SECTIONS)]  # fmt: skip
    articles = [f"/news/{a}" for a in seeded.article_ids]
    posts = [f"/community/free/{p}" for p in seeded.post_ids]
    lists_repeat = max(1, round(len(articles) * 0.7 / len(lists)))
    posts_repeat = max(1, round(len(articles) * 0.3 / max(1, len(posts))))
    paths = articles + lists * lists_repeat + posts * posts_repeat
    random.Random(0).shuffle(paths)
    return paths


def targets(stack: Stack, seeded: Seeded, plan: SoakPlan) -> list[WrkTarget]:
    queries = [quote(q.text, safe="") for q in judged_queries()]
    articles = [f"/news/{a}" for a in seeded.article_ids]
    return [
        # Every other article page read by a browser (a view is recorded), the rest by a
        # crawler: views flow to articles.viewed as on a real site.
        WrkTarget("render pages", stack["render"].base, render_paths(seeded),
                  plan.render_connections, plan.render_rate, frozenset(articles[::2])),
        WrkTarget("search API `/api/search?q=`", stack["search"].base,
                  [f"/api/search?q={q}" for q in queries], plan.search_connections,
                  plan.search_rate),
        WrkTarget("search page `/search?q=` (render → search)", stack["render"].base,
                  [f"/search?q={q}" for q in queries], plan.search_page_connections,
                  plan.search_page_rate),
    ]  # fmt: skip


STARTED = time.monotonic()


def progress(message: str) -> None:
    print(f"soak [{time.monotonic() - STARTED:5.0f} s]: {message}", file=sys.stderr, flush=True)


async def apply_load(
    stack: Stack, seeded: Seeded, plan: SoakPlan, *, folder: Path, writers: BoardWriters,
    producer: PartnerProducer,
) -> tuple[list[LoadResult], dict[str, list[Sample]]]:  # fmt: skip
    """Every load at once for the plan's seconds, and the processes sampled meanwhile."""
    seconds = plan.seconds
    async with asyncio.TaskGroup() as group:  # one failing load cancels the others
        pids = stack.pids() | {f"{n} (shared)": p for n, p in server_pids(stack.settings).items()}
        sampler = group.create_task(sample_every(pids, plan.sample_every_s, seconds))
        readers = targets(stack, seeded, plan)
        wrks = [group.create_task(run_wrk(t, seconds, folder, plan.wrk_timeout_s)) for t in readers]
        boards = group.create_task(writers.run(plan.post_rate, plan.comment_rate, seconds))
        partner = group.create_task(producer.run_for(plan.partner_rate, seconds))
    loads = [w.result() for w in wrks] + boards.result() + [partner.result()]
    return loads, sampler.result()


async def run_soak(plan: SoakPlan, folder: Path) -> SoakResult:
    """The whole soak in `folder` (the services' logs); the measured result."""
    run_id = uuid.uuid4().hex[:8]
    marker = "soak" + "".join(random.choices(string.ascii_lowercase, k=10))  # one Kiwi token
    result = SoakResult(plan.seconds, plan.warmup_s, plan.seed_articles, plan.seed_posts)
    result.load_before = os.getloadavg()
    async with running_stack(run_id, folder) as stack:
        progress(f"services up (logs in {folder}); seeding")
        seeded = await seed(stack, plan.seed_articles, plan.writers, plan.seed_posts)
        s = stack.settings
        bus = KafkaBus(s.kafka_bootstrap_servers, client_id="soak", namespace=s.kafka_namespace)
        await bus.start()
        try:
            writers = BoardWriters(stack["boards"].base, seeded.writer_tokens, seeded.post_ids,
                                   run_id)  # fmt: skip
            producer = PartnerProducer(bus, run_id, marker)
            progress(f"load for {plan.seconds:.0f} s")
            result.loads, samples = await apply_load(
                stack, seeded, plan, folder=folder, writers=writers, producer=producer
            )
            result.samples = {n: s for n, s in samples.items() if n in stack.services}
            result.server_samples = {n: s for n, s in samples.items() if n not in stack.services}
            result.load_after = os.getloadavg()
            result.exited = [n for n, p in stack.services.items() if not p.alive()]
            progress("load done; waiting for the pipelines to catch up")
            result.completeness = await audit(
                stack, bus, marker=marker, sent=producer.sent,
                posts_expected=len(seeded.post_ids) + len(writers.created),
                seed_posts=len(seeded.post_ids),
            )  # fmt: skip
        finally:
            await bus.stop()
    errors = {name: error_lines(process.log_path) for name, process in stack.services.items()}
    result.log_errors = {name: lines for name, lines in errors.items() if lines}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="the distributed site under a mixed load")
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--scale", type=float, default=1.0, help="every load's rate times this")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: bash deploy/local/system-packages.sh")
    plan = SoakPlan(seconds=args.seconds).scaled(args.scale)
    folder = Path(tempfile.mkdtemp(prefix="sinmun-soak-"))
    result = asyncio.run(run_soak(plan, folder))
    command = ".venv/bin/python -m bench.soak " + " ".join(sys.argv[1:])
    emit(report(result, plan, command.strip()), args.out)
    if result.clean():
        shutil.rmtree(folder, ignore_errors=True)
    else:
        progress(f"not clean: the services' logs are kept in {folder}")


if __name__ == "__main__":
    main()
