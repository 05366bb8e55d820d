"""What render's article projection costs per article, one at a time and in batches.

    set -a; source .local/servers.env; set +a
    .venv/bin/python -m bench.render_projection [--articles 1000] [--out docs/benchmarks.md]

On each storage backend (SQLite embedded; FerretDB at SINMUN_MONGO_URL, skipped when unset)
`ArticleReadModel.apply_many` holds `--articles` new stories in 8 sections, in batches of 1, 10
and 50 (the consumer gets larger batches the further it is behind its topic): the article, its
card and the list documents (`article_lists.py`). Then the reads a page makes are timed: the
site's newest 15 and a section's newest 9 with the lists memo dropped before each (what the first
reader after a change pays), beside the anchor: the same newest 15 as a sorted, limited query
of the cards, as pages read them before the lists. Prints ms per article and per read, and
appends the table to `--out`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.output import emit
from services.render.read_models import NEWEST, ArticleReadModel
from shared.adapters.mongo_store import MongoStorage
from shared.adapters.sqlite_store import SqliteStorage
from shared.ports.storage import DocumentStorage
from shared.schemas import Article, ArticleStatus

BATCHES = (1, 10, 50)
SECTIONS = 8
READS = 50
T0 = datetime(2026, 12, 6, tzinfo=UTC)


def story(n: int) -> Article:
    return Article(
        article_id=f"{2026120600000000 + n:016d}", guid=f"bench-{n}", source="newsroom",
        version=1, status=ArticleStatus.PUBLISHED, headline=f"포항 소식 {n}",
        section=f"s{n % SECTIONS}", byline="강동진 기자",
        body_html="<p>포항시는 오늘 새 소식을 전했다.</p>" * 20,
        published_at=T0 + timedelta(seconds=n),
    )  # fmt: skip


@asynccontextmanager
async def storage(backend: str) -> AsyncIterator[DocumentStorage]:
    with tempfile.TemporaryDirectory() as folder:
        store: SqliteStorage | MongoStorage
        if backend == "sqlite":
            store = SqliteStorage(Path(folder) / "render.sqlite3")
        else:
            store = MongoStorage(os.environ["SINMUN_MONGO_URL"], f"bench{uuid.uuid4().hex[:8]}")
        await store.open()
        try:
            yield store
        finally:
            if isinstance(store, MongoStorage):
                await store.drop()
            await store.close()


async def per_article(backend: str, articles: int, batch: int) -> float:
    """Milliseconds per article to hold `articles` new stories, `batch` at a time."""
    async with storage(backend) as store:
        model = await ArticleReadModel.open(store)
        started = time.perf_counter()
        for first in range(0, articles, batch):
            last = min(first + batch, articles)
            await model.apply_many([(story(n), False) for n in range(first, last)])
        return (time.perf_counter() - started) * 1000 / articles


async def median_ms(read: Callable[[], Awaitable[object]], forget: Callable[[], None]) -> float:
    times: list[float] = []
    for _ in range(READS):
        forget()
        started = time.perf_counter()
        await read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def reads(backend: str, articles: int) -> tuple[float, float, float]:
    """Median ms of a page's two list reads after a change, on `articles` stories, and of the
    anchor: the site's newest 15 as a sorted, limited query of the cards (what pages did
    before the lists)."""
    async with storage(backend) as store:
        model = await ArticleReadModel.open(store)
        for first in range(0, articles, 50):
            last = min(first + 50, articles)
            await model.apply_many([(story(n), False) for n in range(first, last)])
        site = await median_ms(lambda: model.latest(15), model.forget)
        section = await median_ms(lambda: model.latest(9, section="s3"), model.forget)
        cards = await store.collection("article_cards")
        query = await median_ms(
            lambda: cards.find({"retracted": False}, sort=NEWEST, limit=15), model.forget
        )
        return site, section, query


async def measure(articles: int) -> str:
    backends = ["sqlite"] + (["ferretdb"] if os.environ.get("SINMUN_MONGO_URL") else [])
    lines = [
        f"### Render's article projection ({datetime.now(UTC):%Y-%m-%d}, {articles} articles)",
        "",
        f"Command: `.venv/bin/python -m bench.render_projection --articles {articles}`",
        "",
        "| backend | " + " | ".join(f"ms/article, batches of {b}" for b in BATCHES)
        + " | newest 15 after a change | a section's newest 9 after a change"
        + " | anchor: newest 15 by a sorted query of the cards | ratio (newest 15) |",
        "|---|" + "---|" * (len(BATCHES) + 4),
    ]  # fmt: skip
    for backend in backends:
        costs = [await per_article(backend, articles, b) for b in BATCHES]
        site, section, query = await reads(backend, articles)
        cells = [f"{c:.1f}" for c in costs] + [f"{site:.2f} ms", f"{section:.2f} ms"]
        cells += [f"{query:.2f} ms", f"×{site / query:.3f}"]
        lines.append(f"| {backend} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    emit(asyncio.run(measure(args.articles)), args.out)


if __name__ == "__main__":
    main()
