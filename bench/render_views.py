"""How many page views render's 많이본 뉴스 consumer absorbs, and what a ranking refresh costs.

    flock /tmp/sinmun-bench.lock .venv/bin/python -m bench.render_views [--views 20000]

On each storage backend (SQLite embedded; FerretDB at SINMUN_MONGO_URL, skipped when unset) the
consumer's own path (`ViewCounter.count_many`, batches of 200 as the bus hands them over) counts
`--views` views of 300 articles by readers of whom one in five comes back within the dedup
window; then the ranking (`MostViewed.refresh`) is recomputed 20 times. Prints views/s and the
refresh's median, and appends a table to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.render.most_viewed import MostViewed, ViewCounter
from services.render.read_models import ArticleReadModel
from shared.adapters.mongo_store import MongoStorage
from shared.adapters.sqlite_store import SqliteStorage
from shared.ports.storage import DocumentStorage
from shared.schemas import Article, ArticleStatus, ArticleViewed, ClientClass

ROOT = Path(__file__).parent.parent
ARTICLES = 300
BATCH = 200
REFRESHES = 20


def article(n: int, now: datetime) -> Article:
    return Article(
        article_id=f"{2026120100000000 + n:016d}", guid=f"bench-{n}", source="newsroom",
        version=1, status=ArticleStatus.PUBLISHED, headline=f"많이 본 기사 {n}",
        section="pohang", body_html="<p>본문</p>", published_at=now - timedelta(minutes=n),
    )  # fmt: skip


def views(count: int, now: datetime, rng: random.Random) -> list[tuple[ArticleViewed, str]]:
    """`count` views; articles by a long-tailed popularity, a fifth of them repeat visits."""
    out: list[tuple[ArticleViewed, str]] = []
    weights = [1 / (n + 1) for n in range(ARTICLES)]
    readers: list[tuple[int, str]] = []
    for i in range(count):
        if readers and rng.random() < 0.2:
            n, visitor = rng.choice(readers)
        else:
            n = rng.choices(range(ARTICLES), weights)[0]
            visitor = uuid.UUID(int=rng.getrandbits(128)).hex
            readers.append((n, visitor))
        at = now - timedelta(seconds=(count - i) * 0.05)
        event = ArticleViewed(
            article_id=f"{2026120100000000 + n:016d}", viewed_at=at,
            client_class=ClientClass.MOBILE, visitor=visitor,
        )  # fmt: skip
        out.append((event, str(uuid.UUID(int=rng.getrandbits(128)))))
    return out


async def run(storage: DocumentStorage, total: int) -> dict[str, float]:
    now = datetime.now(UTC)
    articles = await ArticleReadModel.open(storage)
    for n in range(ARTICLES):
        await articles.apply(article(n, now), False)
    counter = await ViewCounter.open(storage, timedelta(hours=24), timedelta(minutes=30))
    events = views(total, now, random.Random(7))
    started = time.perf_counter()
    counted = 0
    for i in range(0, len(events), BATCH):
        counted += await counter.count_many(events[i : i + BATCH])
    elapsed = time.perf_counter() - started
    ranking = MostViewed(counter, articles, refresh_s=10)
    timings = []
    for _ in range(REFRESHES):
        t = time.perf_counter()
        await ranking.refresh()
        timings.append(time.perf_counter() - t)
    return {
        "views": total, "counted": counted, "views_per_s": total / elapsed,
        "refresh_ms": statistics.median(timings) * 1000,
    }  # fmt: skip


async def measure(total: int, mongo_url: str | None) -> list[tuple[str, dict[str, float]]]:
    """`run` on SQLite, then on FerretDB at `mongo_url` if given: (backend's name, figures)."""
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SqliteStorage(Path(tmp) / "render.sqlite3")
        await sqlite.open()
        rows.append(("embedded (SQLite)", await run(sqlite, total)))
        await sqlite.close()
    if mongo_url:
        mongo = MongoStorage(mongo_url, f"bench_{uuid.uuid4().hex[:8]}_render")
        await mongo.open()
        try:
            rows.append(("distributed (FerretDB)", await run(mongo, total)))
        finally:
            await mongo.drop()
            await mongo.close()
    return rows


async def main(total: int, write: bool) -> None:
    rows = await measure(total, os.environ.get("SINMUN_MONGO_URL"))
    lines = [
        f"### Render 많이본 뉴스 consumer ({datetime.now(UTC):%Y-%m-%d}, {total} views, "
        f"{ARTICLES} articles)",
        "",
        f"`flock /tmp/sinmun-bench.lock .venv/bin/python -m bench.render_views --views {total}`",
        "",
        "| backend | views counted | views/s (batches of 200) | ranking refresh, median |",
        "|---|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {int(r['counted'])} of {int(r['views'])} | {r['views_per_s']:,.0f} "
            f"| {r['refresh_ms']:.1f} ms |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if write:
        with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--views", type=int, default=20_000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    asyncio.run(main(args.views, not args.no_write))
