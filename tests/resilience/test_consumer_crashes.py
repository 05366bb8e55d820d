"""`kill -9` of each consumer mid-stream, and duplicate deliveries, on the real stack.

Ingest, search and render run as separate `sinmun serve` processes on Kafka, FerretDB and
OpenSearch (a namespace of each test's own), fed signed partner submissions on
`articles.submitted`. Killed while they have work in hand and restarted, or handed exact copies
of records they have handled (re-produced, or replayed by rewinding their consumer groups),
they must still store each story once at version 1, publish one event per version, index and
list each article once, count each reader once, and dead-letter nothing.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import pytest

from shared.ports.bus import Outgoing, Record
from shared.topics import ARTICLES_PUBLISHED, ARTICLES_SUBMITTED, ARTICLES_VIEWED
from tests.resilience.audit import Audit
from tests.resilience.expect import (
    GROUPS,
    SERVICES,
    assert_each_article_once,
    feed,
    state_of,
    unsettled,
    until,
)
from tests.resilience.partner_feed import produce
from tests.resilience.stack import ServiceProcess, Stack
from tests.resilience.state import EventRow, event_row, view_totals

POLL_S = 0.1


# -- kill -9 mid-stream ---------------------------------------------------------------------

KILLED_STORIES = 5_000


@dataclass
class Kill:
    """What a service had done when it was killed, and what still waited for it."""

    service: str
    committed: int  # records its group had committed (their effect durable)
    waiting: int  # records of its topic its group had not committed
    effects: int  # stories stored, documents indexed or articles listed, right after the kill


async def kill_mid_stream(
    audit: Audit, service: ServiceProcess, effects: Callable[[], Awaitable[int]], at_least: int
) -> Kill:
    """Once `service`'s group has committed `at_least` records of its topic while others
    still wait for it, SIGKILL it, note what it had done, and start it again."""
    group, topic = GROUPS[service.name][0]
    while True:
        assert service.process is not None and service.process.poll() is None, service.name
        committed = sum((await audit.committed(group)).values())
        waiting = await audit.lag(group, topic)
        if committed >= at_least and waiting > 0:
            break
        await asyncio.sleep(POLL_S)
    service.kill9()
    kill = Kill(service.name, committed, waiting, await effects())
    await service.restart()
    return kill


@pytest.mark.timeout(300)  # 5,000 stories through three services, each restarted, on 2 cores
async def test_kill_9_of_each_consumer_mid_stream_loses_and_doubles_nothing(
    stack: Stack, audit: Audit
) -> None:
    await asyncio.gather(*(stack.start(name) for name in SERVICES))
    records, expected = feed(KILLED_STORIES, "crash")
    await produce(audit.bus, records)

    # Each watcher kills its service partway through the stream, with records still waiting
    # for it, and restarts it; side by side, so search and render are also cut off while
    # ingest is down or catching up.
    part = KILLED_STORIES * 3 // 10
    kills = await asyncio.gather(
        kill_mid_stream(audit, stack["ingest"], audit.stored, KILLED_STORIES // 5),
        kill_mid_stream(audit, stack["search"], audit.indexed, part),
        kill_mid_stream(audit, stack["render"], audit.projected, part),
    )
    for kill in kills:
        assert 0 < kill.effects < KILLED_STORIES, kill
        assert kill.waiting > 0, kill

    await until(lambda: unsettled(audit, KILLED_STORIES), 180, "every service caught up")
    # 전체기사's 250 pages are not walked (each deep page sorts the whole list on FerretDB);
    # the sitemap lists the same read model's cards in the same order, all in one page.
    assert_each_article_once(await state_of(audit, stack, walk_list=False), expected)
    assert await audit.dead_letters() == {}


# -- duplicate deliveries -------------------------------------------------------------------

DUPLICATED_STORIES = 400
SLICE = slice(100, 250)
READERS = {0: 3, 1: 2, 2: 1}  # article (by position) -> distinct readers who open it


def reader(n: int) -> str:
    """A distinct reader's browser (render tells readers apart by address and user agent)."""
    return (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/131.0.{n}.0 Safari/537.36"
    )


async def read_articles(audit: Audit, render_base: str, article_ids: list[str]) -> dict[str, int]:
    """Readers open article pages (each page view is published on articles.viewed); the
    views 많이본 뉴스 should count."""
    counts: dict[str, int] = {}
    for position, readers in READERS.items():
        article_id = article_ids[position]
        for n in range(readers):
            agent = {"User-Agent": reader(100 * position + n)}
            for _ in range(2):  # a reload is the same reader
                await audit.get_text(f"{render_base}/news/{article_id}", agent)
        counts[article_id] = readers
    return counts


def copies(records: list[Record]) -> list[Outgoing]:
    """Exact copies: the same key, value and headers."""
    return [Outgoing(r.key, r.value, r.headers) for r in records]


async def redeliver(audit: Audit) -> Counter[EventRow]:
    """Produce again a slice of the partner submissions and of the published events, and every
    view; returns the events re-produced."""
    submitted = await audit.records(ARTICLES_SUBMITTED.name)
    published = await audit.records(ARTICLES_PUBLISHED.name)
    viewed = await audit.records(ARTICLES_VIEWED.name)
    await produce(audit.bus, copies(submitted[SLICE]), ARTICLES_SUBMITTED.name)
    await produce(audit.bus, copies(published[SLICE]), ARTICLES_PUBLISHED.name)
    await produce(audit.bus, copies(viewed), ARTICLES_VIEWED.name)
    return Counter(map(event_row, published[SLICE]))


async def rewind_every_group(audit: Audit, stack: Stack) -> None:
    """Stop the services, set every group back to the start of its topic (what a lost commit
    or an operator's replay does), and start them again: everything is delivered again."""
    await stack.stop(*SERVICES)
    for groups in GROUPS.values():
        for group, topic in groups:
            await audit.rewind(group, topic, dict.fromkeys(await audit.end_offsets(topic), 0))
    await asyncio.gather(*(stack[name].restart() for name in SERVICES))


async def test_duplicate_deliveries_change_nothing(stack: Stack, audit: Audit) -> None:
    await asyncio.gather(*(stack.start(name) for name in SERVICES))
    records, expected = feed(DUPLICATED_STORIES, "dup")
    # Exact copies right behind the originals, too: often in the same fetched run.
    await produce(audit.bus, records + records[SLICE])
    await until(lambda: unsettled(audit, DUPLICATED_STORIES), 90, "every service caught up")
    views = await read_articles(audit, stack["render"].base, sorted(expected))

    async def views_uncounted() -> str | None:
        counted = await view_totals(audit)
        return None if counted == views else f"counted {counted}, read {views}"

    await until(views_uncounted, 30, "the views counted")
    before = await state_of(audit, stack)
    assert_each_article_once(before, expected)

    resent = await redeliver(audit)
    await until(lambda: unsettled(audit, DUPLICATED_STORIES), 60, "the copies consumed")
    after_copies = await state_of(audit, stack)
    assert after_copies == replace(before, events=before.events + resent)

    await rewind_every_group(audit, stack)
    await until(lambda: unsettled(audit, DUPLICATED_STORIES), 90, "the replay consumed")
    assert await state_of(audit, stack) == after_copies
    assert await audit.dead_letters() == {}
