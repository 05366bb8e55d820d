"""Observability of the whole platform in one process: one submission, one trace through
ingest, search and render; /metrics with freshness, consumer lag and dead-letter counts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from services.boards.settings import BoardsSettings
from services.bootstrap import create_app
from services.ingest.settings import IngestSettings
from services.render.settings import RenderSettings
from shared.service import INFRA
from shared.sessions import new_private_key_pem
from shared.signatures import SIGNATURE_HEADER, sign
from shared.telemetry import configure_tracing, shutdown_tracing
from tests.backends import backend_settings, drop_run_data, reporter_token
from tests.integration.render.test_site import seed_article

ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]
SERVICES = ["ingest", "search", "boards", "render"]
CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
PARTNER, PARTNER_SECRET = "yonhap", "partner-secret-for-tests"


class PlatformSettings(BoardsSettings, IngestSettings, RenderSettings):
    """Every service's settings in one value, as the environment gives them to a process."""


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    configure_tracing(span_exporter=exporter, service_name="sinmun-test")
    yield exporter
    shutdown_tracing()


def platform_settings(mode: str, tmp_path: Path) -> PlatformSettings:
    return backend_settings(
        PlatformSettings, mode, tmp_path, search_engine=True,
        distributed={"boards_session_private_key": new_private_key_pem()},
        consumer_retry_backoff_s=0.01, consumer_max_attempts=2, metrics_lag_interval_s=0.05,
        ingest_partner_secrets={PARTNER: PARTNER_SECRET},
    )  # fmt: skip


@pytest.fixture
async def platform(
    request: pytest.FixtureRequest, tmp_path: Path, aiohttp_client: ClientFactory
) -> AsyncIterator[tuple[TestClient, str]]:  # type: ignore[type-arg]
    """All four services in one process: embedded unless the test asks for `distributed`."""
    settings = platform_settings(getattr(request, "param", "embedded"), tmp_path)
    app = create_app(settings, SERVICES)
    client = await aiohttp_client(app)
    token = await reporter_token(app)
    yield client, token
    await client.close()
    await drop_run_data(settings, SERVICES)


async def submit(client: TestClient, token: str, **headers: str) -> str:  # type: ignore[type-arg]
    response = await client.post(
        "/api/articles",
        json=seed_article(),
        headers={"Authorization": f"Bearer {token}", **headers},
    )
    assert response.status == 201, await response.text()
    return str((await response.json())["article_id"])


async def until_applied(client: TestClient, article_id: str) -> None:  # type: ignore[type-arg]
    """Search finds the article and render serves its page."""
    async with asyncio.timeout(30):
        while True:
            found = await (await client.get("/api/search", params={"q": "플랫폼시티"})).json()
            page = await client.get(f"/news/{article_id}")
            hits = [hit.get("article_id") for hit in found.get("hits", [])]
            if article_id in hits and page.status == 200:
                return
            await asyncio.sleep(0.05)


async def finished(exporter: InMemorySpanExporter, count: int) -> list[ReadableSpan]:
    async with asyncio.timeout(10):
        while True:
            spans = list(exporter.get_finished_spans())
            if len(consumer_spans(spans)) >= count:
                return spans
            await asyncio.sleep(0.02)


def consumer_spans(spans: Any) -> dict[str, ReadableSpan]:
    """The spans handling articles.published, by consumer group."""
    return {
        str(s.attributes["messaging.consumer.group.name"]): s
        for s in spans
        if s.kind is SpanKind.CONSUMER and s.name == "process articles.published"
    }


def one(spans: list[ReadableSpan], name: str, kind: SpanKind) -> ReadableSpan:
    matching = [s for s in spans if s.name == name and s.kind is kind]
    assert len(matching) == 1, [(s.name, s.kind) for s in spans]
    return matching[0]


async def test_one_submission_is_one_trace_through_ingest_search_and_render(
    spans: InMemorySpanExporter,
    platform: tuple[TestClient, str],  # type: ignore[type-arg]
) -> None:
    client, token = platform
    caller = f"00-{CALLER_TRACE}-b7ad6b7169203331-01"
    article_id = await submit(client, token, traceparent=caller)
    await until_applied(client, article_id)
    finished_spans = await finished(spans, 2)

    request = one(finished_spans, "POST /api/articles", SpanKind.SERVER)
    publish = one(finished_spans, "publish articles.published", SpanKind.PRODUCER)
    consumers = consumer_spans(finished_spans)
    search, render = consumers["search"], consumers["render-articles"]

    # The caller's trace continues: request → publish → each consumer, one trace id.
    assert request.parent is not None and request.parent.span_id == 0xB7AD6B7169203331
    for span in (request, publish, search, render):
        assert span.context is not None
        assert format(span.context.trace_id, "032x") == CALLER_TRACE
    assert request.context is not None and publish.context is not None
    assert publish.parent is not None and publish.parent.span_id == request.context.span_id
    assert search.parent is not None and search.parent.span_id == publish.context.span_id
    assert render.parent is not None and render.parent.span_id == publish.context.span_id
    assert request.attributes is not None
    assert request.attributes["http.response.status_code"] == 201
    assert search.attributes is not None
    assert search.attributes["messaging.destination.name"] == "articles.published"
    # Probes and scrapes make no spans.
    await client.get("/healthz")
    assert not [s for s in spans.get_finished_spans() if s.name.endswith("/healthz")]


async def test_a_request_without_traceparent_starts_the_trace(
    spans: InMemorySpanExporter,
    platform: tuple[TestClient, str],  # type: ignore[type-arg]
) -> None:
    client, token = platform
    article_id = await submit(client, token)
    await until_applied(client, article_id)
    finished_spans = await finished(spans, 2)
    request = one(finished_spans, "POST /api/articles", SpanKind.SERVER)
    assert request.parent is None and request.context is not None
    for span in consumer_spans(finished_spans).values():
        assert span.context is not None and span.context.trace_id == request.context.trace_id


async def test_a_partner_records_trace_continues_through_ingest_to_search_and_render(
    spans: InMemorySpanExporter,
    platform: tuple[TestClient, str],  # type: ignore[type-arg]
) -> None:
    client, _ = platform
    story = {**seed_article(), "source": PARTNER, "guid": "gb-1"}
    value = json.dumps(story, ensure_ascii=False).encode()
    headers = {
        SIGNATURE_HEADER: sign(PARTNER_SECRET, value).encode(),
        "traceparent": f"00-{CALLER_TRACE}-b7ad6b7169203331-01".encode(),
    }
    await client.app[INFRA].bus.send("articles.submitted", f"{PARTNER}:gb-1", value, headers)
    finished_spans = await finished(spans, 2)

    taken_in = one(finished_spans, "process articles.submitted", SpanKind.CONSUMER)
    published = one(finished_spans, "publish articles.published", SpanKind.PRODUCER)
    assert taken_in.attributes is not None
    assert taken_in.attributes["messaging.consumer.group.name"] == "ingest"
    for span in (taken_in, published, *consumer_spans(finished_spans).values()):
        assert span.context is not None
        assert format(span.context.trace_id, "032x") == CALLER_TRACE


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    """The sum of the samples named `name` whose labels include `labels`."""
    return sum(
        v for (n, ls), v in metrics.items()
        if n == name and set(labels.items()) <= set(ls)
    )  # fmt: skip


async def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:  # type: ignore[type-arg]
    response = await client.get("/metrics")
    assert response.status == 200
    return samples(await response.text())


@pytest.mark.parametrize("platform", ["embedded", "distributed"], indirect=True)
async def test_metrics_show_freshness_lag_and_dead_letters_after_real_events(
    platform: tuple[TestClient, str],  # type: ignore[type-arg]
) -> None:
    client, token = platform
    before = await scrape(client)
    article_id = await submit(client, token)
    await until_applied(client, article_id)
    bus = client.app[INFRA].bus
    await bus.send("articles.submitted", "nobody:1", b"{not json", {})

    async with asyncio.timeout(30):
        while True:
            now = await scrape(client)
            dead = value(now, "sinmun_dlq_records_total", topic="articles.submitted")
            lag_series = [k for k in now if k[0] == "sinmun_consumer_lag_records"]
            if dead > value(before, "sinmun_dlq_records_total", topic="articles.submitted") and (
                value(now, "sinmun_consumer_lag_records", group="search") == 0 and lag_series
            ):
                break
            await asyncio.sleep(0.05)

    for name in ("sinmun_publish_to_index_seconds", "sinmun_publish_to_page_seconds"):
        assert value(now, name + "_count") == value(before, name + "_count") + 1
        seconds = value(now, name + "_sum") - value(before, name + "_sum")
        assert 0 <= seconds < 30
    assert value(now, "sinmun_dlq_records_total", topic="articles.submitted", group="ingest") == (
        value(before, "sinmun_dlq_records_total", topic="articles.submitted", group="ingest") + 1
    )
    groups = {dict(labels)["group"] for name, labels in lag_series}
    assert {"ingest", "search", "render-articles", "render-boards", "render-views"} <= groups
    topics = {dict(labels)["topic"] for name, labels in lag_series}
    assert "articles.published" in topics
    route = {"method": "POST", "route": "/api/articles"}
    assert value(now, "sinmun_http_request_duration_seconds_count", **route) >= 1
