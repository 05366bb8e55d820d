"""Kafka, FerretDB and OpenSearch stopped and started again while articles flow through.

Ingest, search and render run as separate `sinmun serve` processes on servers of this module's
own (`servers.PrivateServers`: the `deploy/local` scripts on other ports), so a restart takes
them away from nobody else. Partner submissions are on their way when a server goes down
(SIGTERM, as an operator's restart); while Kafka is down the newsroom still submits over HTTP,
which ingest must accept and publish once Kafka is back. After recovery every story is stored
once at version 1, published once, indexed once and listed once, and nothing is dead-lettered.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from services.bootstrap import open_storage
from services.ingest.domain import article_id_for
from services.ingest.tokens import TokenRole, TokenStore
from tests.resilience.audit import Audit
from tests.resilience.expect import (
    SERVICES,
    Expected,
    assert_each_article_once,
    feed,
    state_of,
    unsettled,
    until,
)
from tests.resilience.partner_feed import produce
from tests.resilience.servers import PrivateServers
from tests.resilience.stack import Stack, fault_stack

STORIES = 600  # partner submissions, half before the restart and half after it
NEWSROOM = 20  # articles submitted over HTTP while Kafka is down
NEWSROOM_SOURCE = "newsroom"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateServers]:
    private = PrivateServers(tmp_path_factory.mktemp("servers"))
    try:
        private.start()
        yield private
    finally:
        private.stop_all()


@pytest.fixture
async def stack(
    servers: PrivateServers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Stack]:
    """The conftest's stack, on this module's own servers."""
    for name, value in servers.settings().items():
        monkeypatch.setenv(name, value)  # the stack's settings name these servers
    async with fault_stack(tmp_path) as stack:
        yield stack


async def reporter_token(stack: Stack) -> str:
    storage = await open_storage(stack.settings, "ingest")
    try:
        return await (await TokenStore.open(storage)).create("desk", TokenRole.REPORTER)
    finally:
        await storage.close()


async def submit_over_http(ingest_base: str, token: str, count: int) -> Expected:
    """The newsroom's articles through `POST /api/articles`, each answered 201."""
    expected: Expected = {}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        for n in range(count):
            guid = f"desk-{n:03d}"
            article = {
                "guid": guid, "section": "pohang", "byline": "강동진 기자",
                "headline": f"카프카 정지 중 송고 {n + 1}",
                "body_html": "<p>정지 중에도 기사는 들어온다.</p>",
            }  # fmt: skip
            async with session.post(ingest_base + "/api/articles", json=article) as response:
                assert response.status == 201, await response.text()
            expected[article_id_for(NEWSROOM_SOURCE, guid)] = (NEWSROOM_SOURCE, guid)
    return expected


async def under_way(audit: Audit, server: str) -> None:
    """Until the server's consumers are mid-stream: some stories done, more waiting."""

    async def not_yet() -> str | None:
        done = {"kafka": audit.stored, "ferretdb": audit.stored, "opensearch": audit.indexed}
        count = await done[server]()
        return None if 0 < count < STORIES // 2 else f"{count} done"

    await until(not_yet, 120, f"work under way before restarting {server}")


@pytest.mark.timeout(300)  # three services, a server restart and 600 stories on 2 cores
@pytest.mark.parametrize("server", ["kafka", "ferretdb", "opensearch"])
async def test_a_server_restarted_mid_stream_loses_and_doubles_nothing(
    server: str, servers: PrivateServers, stack: Stack, audit: Audit
) -> None:
    await asyncio.gather(*(stack.start(name) for name in SERVICES))
    token = await reporter_token(stack)
    records, expected = feed(STORIES, f"restart-{server}")
    half = STORIES // 2
    await produce(audit.bus, records[:half])
    await under_way(audit, server)

    await asyncio.to_thread(servers.stop, server)
    if server == "kafka":  # the newsroom keeps writing: stored now, published when Kafka is back
        expected |= await submit_over_http(stack["ingest"].base, token, NEWSROOM)
    await asyncio.to_thread(servers.start, server)

    await produce(audit.bus, records[half:])
    total = len(expected)
    await until(lambda: unsettled(audit, total), 180, f"every service caught up after {server}")
    assert_each_article_once(await state_of(audit, stack), expected)
    assert await audit.dead_letters() == {}
