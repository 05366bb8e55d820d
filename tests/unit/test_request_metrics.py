"""The HTTP request metrics: the same series and values as prometheus_client's own types."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from shared.metrics import RequestMetrics

OBSERVED = [
    ("GET", "/news/{article_id}", 200, 0.0004),
    ("GET", "/news/{article_id}", 200, 0.005),  # on a bound: counted in that bucket (le)
    ("GET", "/news/{article_id}", 304, 0.07),
    ("POST", "/api/articles", 422, 3.0),
    ("GET", "unmatched", 404, 42.0),  # above every bound: +Inf only
]


def samples(registry: CollectorRegistry) -> set[str]:
    """The exposition's sample lines, without the `_created` times (they differ by clock)."""
    text = generate_latest(registry).decode()
    return {
        line
        for line in text.splitlines()
        if line and not line.startswith("#") and "_created" not in line
    }


def test_the_exposition_is_that_of_a_counter_and_a_histogram() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    metrics = RequestMetrics()
    ours.register(metrics)
    requests = Counter(
        "sinmun_http_requests_total", "HTTP requests by route and status",
        ["method", "route", "status"], registry=theirs,
    )  # fmt: skip
    latency = Histogram(
        "sinmun_http_request_duration_seconds", "HTTP request latency by route",
        ["method", "route"], registry=theirs,
    )  # fmt: skip
    for method, route, status, seconds in OBSERVED:
        metrics.observe(method, route, status, seconds)
        requests.labels(method, route, str(status)).inc()
        latency.labels(method, route).observe(seconds)
    assert samples(ours) == samples(theirs)
    assert (
        'sinmun_http_request_duration_seconds_bucket{le="0.005",method="GET",'
        'route="/news/{article_id}"} 2.0' in samples(ours)
    )
    assert 'sinmun_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in (
        samples(ours)
    )
