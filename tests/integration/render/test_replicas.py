"""실시간 많이본 뉴스 with render as three replicas: three `sinmun serve render` processes on one
Kafka and one FerretDB, each on its own port, views sent through all of them.

The views are chosen so that each way of counting wrong changes the ranking: readers who come
back through every replica (a failed dedup across replicas puts B first), a crawler hammering
C (counted bots put C first), readers reloading D on one replica.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from services.render.most_viewed import ViewCounter
from shared.adapters.kafka_bus import KafkaBus
from shared.adapters.mongo_store import MongoStorage
from shared.schemas import Article, ArticlePublished, Envelope
from shared.topics import ALL_TOPICS, ARTICLES_PUBLISHED
from tests.backends import session_name
from tests.conftest import real_server
from tests.integration.render.factories import article, article_id
from tests.integration.test_sinmun_up import free_port, start, wait_healthy

REPLICAS = 3
RANKED = re.compile(r'<ol class="ranked">(.*?)</ol>', re.S)
LINK = re.compile(r'href="/news/(\d{16})"')
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
A, B, C, D, E, F = (article_id(n) for n in range(1, 7))


def reader(n: int) -> str:
    """A distinct reader's browser (render tells readers apart by address and user agent)."""
    return (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/131.0.{n}.0 Safari/537.36"
    )


# (article, user agent, replica) for every page view, in the order sent.
VIEWS: list[tuple[str, str, int]] = (
    [(A, reader(100 + v), v % REPLICAS) for v in range(6)]  # 6 readers once each: 6
    + [(B, reader(200 + v), r) for v in range(4) for r in range(REPLICAS)]  # 4 readers x 3: 4
    + [(C, GOOGLEBOT, v % REPLICAS) for v in range(20)]  # a crawler: 0
    + [(C, reader(300 + v), v) for v in range(2)]  # 2 readers: 2
    + [(D, reader(400 + v), 1) for v in range(3) for _ in range(2)]  # 3 readers reloading: 3
)
EXPECTED = {A: 6, B: 4, D: 3, C: 2}


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[tuple[list[str], dict[str, str]]]:
    run = session_name("t")[1:]
    env = {
        "SINMUN_KAFKA_BOOTSTRAP_SERVERS": real_server("SINMUN_KAFKA_BOOTSTRAP_SERVERS"),
        "SINMUN_KAFKA_NAMESPACE": f"t{run}.",
        "SINMUN_MONGO_URL": real_server("SINMUN_MONGO_URL"),
        "SINMUN_MONGO_DB_PREFIX": f"t{run}_",
        "SINMUN_RENDER_MOST_VIEWED_REFRESH_S": "0.5",
        "SINMUN_LOG_LEVEL": "WARNING",
    }
    now = datetime.now(UTC)
    await publish(
        env, [article(n, published_at=now - timedelta(minutes=10 * n)) for n in range(1, 6)]
    )
    ports = [free_port() for _ in range(REPLICAS)]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            processes.append(start(["serve", "render", "--port", str(port)], tmp_path, env))
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, process in zip(bases, processes, strict=True):
            await asyncio.to_thread(wait_healthy, base, process, 60)
        yield bases, env
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        storage = MongoStorage(env["SINMUN_MONGO_URL"], env["SINMUN_MONGO_DB_PREFIX"] + "render")
        await storage.open()
        await storage.drop()
        await storage.close()


async def publish(env: dict[str, str], stories: list[Article]) -> None:
    """What ingest would publish, on the replicas' Kafka namespace."""
    bus = KafkaBus(env["SINMUN_KAFKA_BOOTSTRAP_SERVERS"], namespace=env["SINMUN_KAFKA_NAMESPACE"])
    await bus.start()
    try:
        await bus.ensure_topics(list(ALL_TOPICS))
        for story in stories:
            event = Envelope.wrap(ArticlePublished(article=story), "ingest")
            await bus.publish(ARTICLES_PUBLISHED.name, story.article_id, event)
    finally:
        await bus.stop()


async def list_page(session: aiohttp.ClientSession, base: str) -> str:
    async with session.get(base + "/news", headers={"User-Agent": reader(1)}) as response:
        assert response.status == 200
        return await response.text()


async def ranking(session: aiohttp.ClientSession, base: str) -> list[str]:
    """The article ids of 실시간 많이본 뉴스 as the home page of one replica shows them."""
    async with session.get(base + "/", headers={"User-Agent": reader(1)}) as response:
        assert response.status == 200, await response.text()
        found = RANKED.search(await response.text())
    return LINK.findall(found.group(1)) if found else []


@pytest.mark.timeout(240)
async def test_three_replicas_count_each_reader_once_and_agree_on_the_ranking(
    replicas: tuple[list[str], dict[str, str]],
) -> None:
    bases, env = replicas
    async with aiohttp.ClientSession() as session:
        # Every replica's pages show the published articles (the shared read model).
        async with asyncio.timeout(60):
            for base in bases:
                while True:
                    async with session.get(f"{base}/news/{A}") as response:
                        if response.status == 200:
                            break
                    await asyncio.sleep(0.2)

        async def view(article: str, agent: str, replica: int) -> None:
            async with session.get(
                f"{bases[replica]}/news/{article}", headers={"User-Agent": agent}
            ) as response:
                assert response.status == 200

        await asyncio.gather(*(view(*v) for v in VIEWS))

        expected = list(EXPECTED)  # most views first
        async with asyncio.timeout(90):
            while True:
                shown = [await ranking(session, base) for base in bases]
                if all(s == expected for s in shown):
                    break
                await asyncio.sleep(0.5)

        # A story published now shows on every replica's cached list page: the replica that
        # applied it tells the others through the shared revision tokens.
        for base in bases:
            assert f"/news/{F}" not in await list_page(session, base)
        await publish(env, [article(6, published_at=datetime.now(UTC))])
        async with asyncio.timeout(60):
            for base in bases:
                while f"/news/{F}" not in await list_page(session, base):  # noqa: ASYNC110
                    await asyncio.sleep(0.2)

    # The counts behind the ranking are exact, read from render's shared database.
    storage = MongoStorage(env["SINMUN_MONGO_URL"], env["SINMUN_MONGO_DB_PREFIX"] + "render")
    await storage.open()
    try:
        counter = await ViewCounter.open(storage, timedelta(hours=24), timedelta(minutes=30))
        assert await counter.totals() == EXPECTED
        assert E not in await counter.totals()
    finally:
        await storage.close()
