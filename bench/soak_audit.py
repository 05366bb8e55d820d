"""After the load: did everything written arrive? Every partner submission stored by ingest
and found by search, every board post indexed, and every dead-letter topic empty.

Read from outside the services (ingest's database, search's API, the topics), after waiting
with a deadline for the consumers to catch up: the load stops at once, the pipelines behind
it finish a moment later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import ClientSession

from bench.soak_results import Completeness, percentile
from bench.soak_stack import PARTNER, Stack
from services.bootstrap import open_storage
from services.ingest.domain import article_id_for
from shared.ports.bus import EventBus
from shared.topics import ARTICLES_PUBLISHED, dead_letter_topics

CATCH_UP_S = 120.0


async def settle(read: Callable[[], Awaitable[int]], expected: int, timeout: float) -> int:
    """Poll `read` until it gives `expected` or the deadline passes; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        value = await read()
        if value == expected or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.5)


async def partner_stored(stack: Stack) -> int:
    storage = await open_storage(stack.settings, "ingest")
    try:
        return await (await storage.collection("stories")).count({"source": PARTNER})
    finally:
        await storage.close()


async def dead_letters(bus: EventBus) -> dict[str, int]:
    """Records in each dead-letter topic of the run, the non-empty ones."""
    counts = {t.name: sum((await bus.end_offsets(t.name)).values()) for t in dead_letter_topics()}
    return {name: n for name, n in counts.items() if n}


async def publish_latencies(bus: EventBus, sent: dict[str, float]) -> list[float]:
    """Seconds from each partner submission's send to its ArticlePublished on the topic."""
    sent_by_id = {article_id_for(PARTNER, guid): at for guid, at in sent.items()}
    latencies = []
    for partition, end in (await bus.end_offsets(ARTICLES_PUBLISHED.name)).items():
        for record in await bus.read(ARTICLES_PUBLISHED.name, partition, 0, end):
            at = sent_by_id.pop(record.key or "", None)  # a redelivered event counts once
            if at is not None:
                latencies.append(record.timestamp_ms / 1000 - at)
    return latencies


async def audit(
    stack: Stack, bus: EventBus, *, marker: str, sent: dict[str, float], posts_expected: int,
    seed_posts: int, timeout: float = CATCH_UP_S,
) -> Completeness:  # fmt: skip
    """Wait (up to `timeout` in all) for the pipelines to catch up, then count."""
    deadline = time.monotonic() + timeout
    async with ClientSession() as session:

        async def searchable() -> int:
            async with session.get(
                stack["search"].base + "/api/search", params={"q": marker, "size": "1"}
            ) as response:
                return int((await response.json())["total"]) if response.status == 200 else -1

        async def posts_indexed() -> int:
            async with session.get(stack["search"].base + "/api/search/status") as response:
                return int((await response.json())["posts"]["documents"])

        stored = await settle(lambda: partner_stored(stack), len(sent), deadline - time.monotonic())
        found = await settle(searchable, len(sent), deadline - time.monotonic())
        posts = await settle(posts_indexed, posts_expected, deadline - time.monotonic())
    latencies = sorted(x * 1000 for x in await publish_latencies(bus, sent))
    return Completeness(
        partner_sent=len(sent), partner_stored=stored, partner_searchable=found,
        posts_created=posts_expected - seed_posts, posts_indexed=posts, seed_posts=seed_posts,
        dead_letters=await dead_letters(bus),
        publish_latency_ms=(percentile(latencies, 50), percentile(latencies, 99)),
    )  # fmt: skip
