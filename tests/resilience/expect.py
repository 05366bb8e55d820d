"""What every fault test expects of the stack afterwards, and how it waits for it: each
article stored once at version 1, published once, indexed once and listed once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

from services.ingest.domain import article_id_for
from shared.ports.bus import Outgoing
from shared.topics import ARTICLES_PUBLISHED, ARTICLES_SUBMITTED, ARTICLES_VIEWED
from tests.resilience.audit import Audit
from tests.resilience.partner_feed import submissions
from tests.resilience.stack import Stack
from tests.resilience.state import State, snapshot

SERVICES = ("ingest", "search", "render")
# The consumer groups of each service, and the topic each reads (its main one first).
GROUPS = {
    "ingest": [("ingest", ARTICLES_SUBMITTED.name)],
    "search": [("search", ARTICLES_PUBLISHED.name)],
    "render": [
        ("render-articles", ARTICLES_PUBLISHED.name),
        ("render-views", ARTICLES_VIEWED.name),
    ],
}
Expected = dict[str, tuple[str, str]]  # article id -> (source, guid)


def feed(count: int, run: str) -> tuple[list[Outgoing], Expected]:
    """`count` signed submissions, and the article each must become (by its key)."""
    records = submissions(count, run)
    stories = [tuple(str(r.key).split(":", 1)) for r in records]
    return records, {article_id_for(source, guid): (source, guid) for source, guid in stories}


async def until(unmet: Callable[[], Awaitable[str | None]], timeout: float, what: str) -> None:
    """Poll until `unmet()` answers None; after `timeout` seconds fail with its last answer."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (missing := await unmet()) is not None:
        assert asyncio.get_running_loop().time() < deadline, f"{what}: {missing}"
        await asyncio.sleep(0.5)


async def unsettled(audit: Audit, stories: int) -> str | None:
    """What is still under way, if anything: a group not caught up with its topic, events
    ingest has yet to publish, or the store, the index or render's list short of `stories`."""
    for groups in GROUPS.values():
        for group, topic in groups:
            if lag := await audit.lag(group, topic):
                return f"{group} has {lag} records of {topic} to go"
    if pending := await (await audit.ingest("outbox")).count():
        return f"{pending} events still to publish"
    counts = (await audit.stored(), await audit.indexed(), await audit.projected())
    if counts != (stories, stories, stories):
        return f"stored, indexed, listed: {counts} of {stories}"
    return None


async def state_of(audit: Audit, stack: Stack, *, walk_list: bool = True) -> State:
    return await snapshot(audit, stack["search"].base, stack["render"].base, walk_list=walk_list)


def assert_each_article_once(state: State, expected: Expected) -> None:
    """Each expected article ({id: (source, guid)}) stored once at version 1 with one event,
    published once, indexed once, in render's read model and lists once; nothing pending."""
    assert [(s[0], s[1], s[2]) for s in state.stories] == sorted(
        (article_id, *key) for article_id, key in expected.items()
    )
    assert {(s[3], s[4], len(s[5])) for s in state.stories} == {(1, 1, 1)}
    assert (state.superseded_versions, state.pending_events) == (0, 0)

    per_version = Counter(
        (article_id, version) for article_id, version, _ in state.events.elements()
    )
    doubled = [key for key, n in per_version.items() if n > 1]
    assert not doubled, f"{len(doubled)} versions published more than once, e.g. {doubled[:3]}"
    assert set(per_version) == {(article_id, 1) for article_id in expected}
    assert {event_id for _, _, event_id in state.events} == {s[5][0] for s in state.stories}

    assert state.search_documents == len(expected)
    assert Counter(entry[0] for entry in state.index) == Counter(set(expected))
    assert {(entry[1], entry[2]) for entry in state.index} == {(1, True)}

    for rows in (state.render_articles, state.render_cards):
        assert [row[0] for row in rows] == sorted(expected)
        assert {row[2] for row in rows} == {1}
    assert state.listed == len(expected)
    assert state.list_pages in (None, Counter(set(expected)))
    assert state.sitemap == Counter(set(expected))
