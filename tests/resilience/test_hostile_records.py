"""Hostile records on every consumed topic, on both buses, to the running services.

Each test starts the services that consume one topic (through the real bootstrap), lets them
take in two valid records, then produces the topic's corpus (tests/resilience/
hostile_records.py) with a valid record before and after each case, and asserts: every
consumer keeps running; each record that cannot be processed is in `<topic>.dlq` exactly
once per consuming group, with its reason, JSON details and its original key and bytes;
every valid record (and every hostile-but-valid one) is shown by the service; what was
stored before is unchanged; nothing valid is dead-lettered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import lxml.html
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.bootstrap import create_app
from services.ingest.domain import article_id_for
from services.ingest.settings import IngestSettings
from services.render.projections import RENDER_DATA, RenderData
from shared.records import decode_record
from shared.topics import ARTICLES_PUBLISHED, ARTICLES_SUBMITTED, ARTICLES_VIEWED, BOARDS_EVENTS
from tests.backends import backend_settings, drop_run_data
from tests.resilience.hostile_platform import (
    HostilePlatform,
    details_of,
    expected_counts,
    letter_counts,
    until,
)
from tests.resilience.hostile_records import (
    ARTICLES,
    BOARD_EVENTS,
    VIEWS,
    HostileRecord,
    Partner,
    event_topic_cases,
    story,
    submitted_cases,
)

PARTNER = Partner("경북통신", "test-only-partner-secret")
OTHER_PARTNER = Partner("대구통신", "another-partner-secret")
EARLIER = (100, 101)
ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]
Shown = Callable[[str], Awaitable[bool]]
Snapshot = Callable[[], Awaitable[object]]


@pytest.fixture(params=["embedded", "distributed"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> IngestSettings:
    secrets = {p.source: p.secret for p in (PARTNER, OTHER_PARTNER)}
    return backend_settings(
        IngestSettings, request.param, tmp_path, search_engine=True,
        ingest_partner_secrets=secrets, ingest_outbox_sweep_s=0.5,
        consumer_max_attempts=2, consumer_retry_backoff_s=0.01,
    )  # fmt: skip


@pytest.fixture
async def start(
    settings: IngestSettings, aiohttp_client: ClientFactory
) -> AsyncIterator[Callable[[list[str]], Awaitable[HostilePlatform]]]:
    """Starts the named services; afterwards stops them and drops this run's data."""
    started: list[tuple[HostilePlatform, list[str]]] = []

    async def start_services(names: list[str]) -> HostilePlatform:
        platform = HostilePlatform(await aiohttp_client(create_app(settings, names)), settings)
        await platform.start_producer()
        started.append((platform, names))
        return platform

    yield start_services
    for platform, names in started:
        await platform.stop_producer()
        await platform.client.close()  # consumers stop before their databases go
        await drop_run_data(settings, names)


async def run_corpus(
    platform: HostilePlatform,
    topic: str,
    *,
    groups: Sequence[str],
    valid: Callable[[int], HostileRecord],
    cases: Callable[[HostileRecord], list[HostileRecord]],
    shown: Shown,
    snapshot: Snapshot,
) -> list[HostileRecord]:
    """Earlier records first, then the corpus interleaved with valid records; the checks
    every topic shares. Returns the cases produced."""
    earlier = [valid(n) for n in EARLIER]
    for record in earlier:
        await platform.produce(topic, record)
    await until(lambda: _all_shown(shown, earlier), "the earlier records shown")
    before = await snapshot()
    corpus = [c for c in cases(earlier[0]) if platform.producer is not None or not c.raw_kafka]
    valids = [valid(n) for n in range(1, len(corpus) + 2)]
    for good, case in zip(valids, corpus, strict=False):
        await platform.produce(topic, good)
        await platform.produce(topic, case)
    await platform.produce(topic, valids[-1])

    expected = expected_counts(corpus, groups)
    processed = [*valids, *(c for c in corpus if c.creates)]

    async def settled() -> bool:
        letters = await platform.dead_letters(topic)
        return (
            len(letters) >= sum(expected.values())
            and await _all_shown(shown, processed)
            and await platform.caught_up(topic)
        )

    try:
        await until(settled, f"{topic}: every record handled", timeout=60)
    finally:  # on a timeout too: which cases went astray says more than the timeout
        letters = await platform.dead_letters(topic)
        assert letter_counts(letters, corpus) == expected
    for letter in letters:
        assert isinstance(details_of(letter), dict | list), letter.summary()
    assert await snapshot() == before, "what was stored earlier changed"
    assert platform.consumers_running()
    return corpus


async def _all_shown(shown: Shown, records: Sequence[HostileRecord]) -> bool:
    for record in records:
        if record.creates is not None and not await shown(record.creates):
            return False
    return True


def _has_no_live_markup(html: str) -> None:
    """None of the corpus's markup is live: no element, handler or URL of it survives (as
    escaped text it may well be shown)."""
    document = lxml.html.fromstring(html)
    for live in (
        '//script[not(@type="application/ld+json") and contains(., "alert")]',
        "//*[@onerror or @onclick]",
        '//*[starts-with(normalize-space(@href), "javascript:")]',
        "//iframe",
        '//style[contains(., "color:red")]',
    ):
        assert not document.xpath(live), live


async def test_partner_topic(start: Callable[[list[str]], Awaitable[HostilePlatform]]) -> None:
    platform = await start(["ingest"])
    client = platform.client

    def valid(n: int) -> HostileRecord:
        guid = f"hr-v{n}"
        return PARTNER.submit(f"valid-{n}", story(PARTNER.source, guid), creates=guid)

    async def article(guid: str) -> dict[str, object] | None:
        response = await client.get(f"/api/articles/{article_id_for(PARTNER.source, guid)}")
        return await response.json() if response.status == 200 else None

    async def shown(guid: str) -> bool:
        return await article(guid) is not None

    async def snapshot() -> object:
        return [await article(f"hr-v{n}") for n in EARLIER]

    corpus = await run_corpus(
        platform, ARTICLES_SUBMITTED.name, groups=["ingest"], valid=valid,
        cases=lambda earlier: submitted_cases(
            PARTNER, OTHER_PARTNER, earlier, ARTICLES_SUBMITTED.max_message_bytes
        ),
        shown=shown, snapshot=snapshot,
    )  # fmt: skip
    # Each story taken in is published once: the replayed record made no second version.
    stored = [c.creates for c in corpus if c.creates] + [f"hr-v{n}" for n in range(1, 200)]
    published = await _published_article_ids(platform)
    for guid in stored:
        article_id = article_id_for(PARTNER.source, guid)
        assert published.count(article_id) == (1 if await shown(guid) else 0), guid
    html = await article("hr-html")
    assert html is not None
    _has_no_live_markup(f"<div>{html['body_html']}</div>")
    assert "제목" in str(html["headline"]) and "대체" in str(html["images"])
    duplicate = await article("hr-dup")
    assert duplicate is not None and duplicate["headline"] == story("", "hr-dup")["headline"]


async def _published_article_ids(platform: HostilePlatform) -> list[str]:
    bus, name = platform.infra.bus, ARTICLES_PUBLISHED.name
    ids: list[str] = []
    for partition, end in (await bus.end_offsets(name)).items():
        for record in await bus.read(name, partition, 0, end):
            ids.append(decode_record(record).payload.article.article_id)
    return ids


def _render(platform: HostilePlatform) -> RenderData:
    return platform.app[RENDER_DATA]


async def _search_count(platform: HostilePlatform, kind: str) -> int:
    status = await (await platform.client.get("/api/search/status")).json()
    return int(status["documents"] if kind == "articles" else status["posts"]["documents"])


async def test_article_stream(start: Callable[[list[str]], Awaitable[HostilePlatform]]) -> None:
    platform = await start(["search", "render"])
    data = _render(platform)

    async def shown(article_id: str) -> bool:
        return await data.articles.page(article_id) is not None

    async def snapshot() -> object:
        ids = [ARTICLES.record(n).creates or "" for n in EARLIER]
        return [await data.articles.page(i) for i in ids]

    corpus = await run_corpus(
        platform, ARTICLES_PUBLISHED.name, groups=["search", "render-articles"],
        valid=ARTICLES.record,
        cases=lambda earlier: event_topic_cases(
            ARTICLES, earlier, EARLIER[0], ARTICLES_PUBLISHED.max_message_bytes - 200
        ),
        shown=shown, snapshot=snapshot,
    )  # fmt: skip
    created = {c.creates for c in corpus if c.creates} | {
        ARTICLES.record(n).creates for n in (*EARLIER, *range(1, len(corpus) + 2))
    }
    await until(
        lambda: _equals(_search_count(platform, "articles"), len(created)), "all indexed once"
    )
    assert await data.articles.count() == len(created)
    page = await platform.client.get(f"/news/{ARTICLES.record(504).creates}")
    assert page.status == 200
    _has_no_live_markup(await page.text())


async def _equals(count: Awaitable[int], expected: int) -> bool:
    return await count == expected


async def test_board_events(start: Callable[[list[str]], Awaitable[HostilePlatform]]) -> None:
    platform = await start(["search", "render"])
    data = _render(platform)

    async def shown(post_id: str) -> bool:
        return await data.boards.post(post_id) is not None

    async def snapshot() -> object:
        return [await data.boards.post(BOARD_EVENTS.record(n).creates or "") for n in EARLIER]

    corpus = await run_corpus(
        platform, BOARDS_EVENTS.name, groups=["search-posts", "render-boards"],
        valid=BOARD_EVENTS.record,
        cases=lambda earlier: event_topic_cases(
            BOARD_EVENTS, earlier, EARLIER[0], BOARDS_EVENTS.max_message_bytes - 200
        ),
        shown=shown, snapshot=snapshot,
    )  # fmt: skip
    created = {c.creates for c in corpus if c.creates} | {
        BOARD_EVENTS.record(n).creates for n in (*EARLIER, *range(1, len(corpus) + 2))
    }
    await until(lambda: _equals(_search_count(platform, "posts"), len(created)), "posts indexed")
    page = await platform.client.get(f"/community/free/{BOARD_EVENTS.record(504).creates}")
    assert page.status == 200
    _has_no_live_markup(await page.text())


async def test_article_views(start: Callable[[list[str]], Awaitable[HostilePlatform]]) -> None:
    platform = await start(["render"])
    counter = _render(platform).counter

    async def shown(article_id: str) -> bool:
        return (await counter.totals()).get(article_id) == 1

    async def snapshot() -> object:
        return {k: v for k, v in (await counter.totals()).items() if k in earlier_ids}

    earlier_ids = {VIEWS.record(n).creates for n in EARLIER}
    corpus = await run_corpus(
        platform, ARTICLES_VIEWED.name, groups=["render-views"], valid=VIEWS.record,
        cases=lambda earlier: event_topic_cases(
            VIEWS, earlier, EARLIER[0], ARTICLES_VIEWED.max_message_bytes - 200
        ),
        shown=shown, snapshot=snapshot,
    )  # fmt: skip
    counted = {c.creates for c in corpus if c.creates} | {
        VIEWS.record(n).creates for n in (*EARLIER, *range(1, len(corpus) + 2))
    }
    assert await counter.totals() == dict.fromkeys(counted, 1)
