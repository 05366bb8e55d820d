"""Prometheus metrics: HTTP requests (counted by shared/web.py), freshness, consumer lag, dead
letters.

- `sinmun_http_requests_total{method,route,status}` and
  `sinmun_http_request_duration_seconds{method,route}` (`HTTP_REQUESTS`): every request of
  every service, by route template;
- `sinmun_publish_to_index_seconds`: from the event's `occurred_at` (ingest stored the version)
  to the search index applying it;
- `sinmun_publish_to_page_seconds`: from `occurred_at` to render's read model applying it (the
  page shows it from then on);
- `sinmun_consumer_lag_records{topic,partition,group}`: records appended but not yet consumed,
  per partition this process consumes (refreshed by `LagMonitor`; sum over replicas per group);
- `sinmun_dlq_records_total{topic,group,reason}`: records sent to `<topic>.dlq`.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import structlog
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from shared.tasks import stop_task

log = structlog.get_logger("sinmun.metrics")

# From a few milliseconds (embedded) to minutes (a consumer catching up after an outage).
FRESHNESS_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)

PUBLISH_TO_INDEX = Histogram(
    "sinmun_publish_to_index_seconds",
    "From an article version's event (occurred_at) to the search index applying it",
    buckets=FRESHNESS_BUCKETS,
)
PUBLISH_TO_PAGE = Histogram(
    "sinmun_publish_to_page_seconds",
    "From an article version's event (occurred_at) to render's read model applying it",
    buckets=FRESHNESS_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "sinmun_consumer_lag_records",
    "Records appended to a partition and not yet consumed by the group (this process's share)",
    ["topic", "partition", "group"],
)
DLQ_RECORDS = Counter(
    "sinmun_dlq_records_total",
    "Records sent to the dead-letter topic, by source topic, group and reason code",
    ["topic", "group", "reason"],
)


class RequestMetrics(Collector):
    """The HTTP request counter and latency histogram, kept as plain numbers and turned into
    Prometheus families when scraped. Counting is on the path of every request, where
    `Histogram.observe` and `Counter.inc` (a lock each, a loop over the buckets) cost more
    than the rest of the edge; the series and their values are the same. Only the event
    loop's thread counts and scrapes, so no lock is needed."""

    def __init__(self, buckets: tuple[float, ...] = Histogram.DEFAULT_BUCKETS) -> None:
        self._bounds = tuple(b for b in buckets if b != float("inf"))
        # The `le` labels as prometheus_client writes them ("0.005", "1.0", "+Inf").
        bounds = (*self._bounds, float("inf"))
        self._labels = [floatToGoString(b) for b in bounds]  # type: ignore[no-untyped-call]
        self._created = time.time()
        # (method, route) -> per bucket counts (the last: above every bound), then the sum.
        self._latency: dict[tuple[str, str], list[float]] = {}
        self._requests: dict[tuple[str, str, int], int] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route)
        counts = self._latency.get(key)
        if counts is None:
            counts = self._latency[key] = [0.0] * (len(self._bounds) + 2)
        counts[bisect.bisect_left(self._bounds, seconds)] += 1
        counts[-1] += seconds
        series = (method, route, status)
        self._requests[series] = self._requests.get(series, 0) + 1

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "sinmun_http_requests", "HTTP requests by route and status",
            labels=["method", "route", "status"],
        )  # fmt: skip
        for (method, route, status), n in sorted(self._requests.items()):
            requests.add_metric([method, route, str(status)], n, created=self._created)
        yield requests
        latency = HistogramMetricFamily(
            "sinmun_http_request_duration_seconds", "HTTP request latency by route",
            labels=["method", "route"],
        )  # fmt: skip
        for labels, counts in sorted(self._latency.items()):
            cumulative, buckets = 0.0, []
            for label, count in zip(self._labels, counts, strict=False):  # the sum comes last
                cumulative += count
                buckets.append((label, cumulative))
            latency.add_metric(list(labels), buckets, counts[-1])
        yield latency


HTTP_REQUESTS = RequestMetrics()
REGISTRY.register(HTTP_REQUESTS)

LagKey = tuple[str, str, int]
"""(group, topic, partition)"""


def observe_freshness(histogram: Histogram, occurred_at: datetime) -> None:
    """Observe the seconds since `occurred_at` (never negative: clocks of two hosts differ)."""
    histogram.observe(max(0.0, (datetime.now(UTC) - occurred_at).total_seconds()))


def count_dead_letter(topic: str, group: str, reason: str) -> None:
    # The code only ("TimeoutError: …" → "TimeoutError"): messages would explode the series.
    code = reason.split(":", 1)[0].strip()[:64] or "unknown"
    DLQ_RECORDS.labels(topic, group, code).inc()


@runtime_checkable
class LagReporter(Protocol):
    async def consumer_lag(self) -> Mapping[LagKey, int]:
        """Per (group, topic, partition) this process consumes: end offset minus position."""
        ...


class LagMonitor:
    """Refreshes the lag gauges every `interval_s` (a scrape itself cannot await the bus)."""

    def __init__(self, bus: object, interval_s: float = 5.0) -> None:
        self._bus = bus
        self._interval = interval_s
        self._series: set[LagKey] = set()
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        if not isinstance(self._bus, LagReporter):
            return
        lag = await self._bus.consumer_lag()
        for group, topic, partition in self._series - set(lag):
            # A partition this process no longer owns: its lag is another member's to report.
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(topic, str(partition), group)
        for (group, topic, partition), value in lag.items():
            CONSUMER_LAG.labels(topic, str(partition), group).set(max(0, value))
        self._series = set(lag)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="consumer lag")

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # the bus is down: keep the last values, try again
                log.warning("lag_refresh_failed", error=repr(exc))
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None
        for group, topic, partition in self._series:
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(topic, str(partition), group)
        self._series = set()
