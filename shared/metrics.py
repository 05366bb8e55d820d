"""Prometheus metrics beyond HTTP (shared/web.py): freshness, consumer lag, dead letters.

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
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import structlog
from prometheus_client import Counter, Gauge, Histogram

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
