"""What a soak measured, as plain data the report and the test both read."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LoadResult:
    """One kind of load: how much of it, how fast, and what went wrong (by reason)."""

    kind: str
    count: int
    seconds: float
    errors: dict[str, int]
    p50_ms: float
    p99_ms: float
    max_ms: float
    detail: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @classmethod
    def from_latencies(
        cls, kind: str, latencies_s: list[float], seconds: float, errors: dict[str, int],
        detail: str = "",
    ) -> LoadResult:  # fmt: skip
        """From the latencies (seconds) of the calls that succeeded; failed calls count too."""
        ms = sorted(x * 1000 for x in latencies_s)
        return cls(
            kind=kind, count=len(ms) + sum(errors.values()), seconds=seconds, errors=errors,
            p50_ms=statistics.median(ms) if ms else 0.0, p99_ms=percentile(ms, 99),
            max_ms=ms[-1] if ms else 0.0, detail=detail,
        )  # fmt: skip


def percentile(sorted_values: list[float], q: int) -> float:
    if not sorted_values:
        return 0.0
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[q - 1]


@dataclass(frozen=True)
class Sample:
    """One look at a process: seconds since the load began, resident memory, CPU used."""

    t: float
    rss_mb: float
    cpu_s: float


@dataclass(frozen=True)
class Completeness:
    """Whether everything written during the run arrived where it should."""

    partner_sent: int
    partner_stored: int
    partner_searchable: int
    posts_created: int
    posts_indexed: int
    seed_posts: int
    dead_letters: dict[str, int]
    publish_latency_ms: tuple[float, float]  # partner submission → ArticlePublished, p50, p99

    @property
    def complete(self) -> bool:
        return (
            self.partner_stored == self.partner_sent
            and self.partner_searchable == self.partner_sent
            and self.posts_indexed == self.seed_posts + self.posts_created
            and not self.dead_letters
        )


@dataclass
class SoakResult:
    """A whole run: the plan's figures, the loads, the processes' samples, the audit."""

    seconds: float
    warmup_s: float
    seed_articles: int
    seed_posts: int
    loads: list[LoadResult] = field(default_factory=list)
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    # The shared Kafka, FerretDB and OpenSearch, sampled alike: where the services' time went.
    server_samples: dict[str, list[Sample]] = field(default_factory=dict)
    completeness: Completeness | None = None
    log_errors: dict[str, list[str]] = field(default_factory=dict)
    exited: list[str] = field(default_factory=list)  # services that died during the load
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def errors(self) -> dict[str, dict[str, int]]:
        """Every load kind that had errors, with their counts by reason."""
        return {load.kind: load.errors for load in self.loads if load.errors}

    def clean(self) -> bool:
        """No load error, nothing lost or dead-lettered, no service died or logged an error."""
        return (
            not self.errors()
            and self.completeness is not None
            and self.completeness.complete
            and not self.exited
            and not self.log_errors
        )
