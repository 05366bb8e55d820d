"""Each service process's resident memory and CPU, sampled through the run, and what the
samples say: RSS at start (after the warm-up), middle and end, and its trend.

The trend is a least-squares line through the samples after the warm-up, in MB per minute:
one end-minus-start difference is at the mercy of a single garbage collection or allocator
release, a fitted slope much less so.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from bench.soak_results import Sample

CLOCK_TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = 1024


def rss_mb(pid: int) -> float:
    """VmRSS of /proc/<pid>/status, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / PAGE_KB
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of the process so far (all threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def take(pids: dict[str, int], t: float, into: dict[str, list[Sample]]) -> None:
    for name, pid in pids.items():
        # A process gone: the report says it exited; its samples just stop.
        with contextlib.suppress(OSError, RuntimeError):
            into.setdefault(name, []).append(Sample(t, rss_mb(pid), cpu_s(pid)))


async def sample_every(
    pids: dict[str, int], interval_s: float, seconds: float
) -> dict[str, list[Sample]]:
    """A sample of each process now, every `interval_s`, and once more at `seconds`."""
    samples: dict[str, list[Sample]] = {}
    start = time.monotonic()
    for n in range(int(seconds // interval_s) + 1):
        await asyncio.sleep(max(0.0, start + n * interval_s - time.monotonic()))
        take(pids, time.monotonic() - start, samples)
    await asyncio.sleep(max(0.0, start + seconds - time.monotonic()))
    take(pids, time.monotonic() - start, samples)
    return samples


def slope_mb_per_min(samples: list[Sample]) -> float:
    """Least-squares slope of RSS over time."""
    if len(samples) < 2:
        return 0.0
    ts = [s.t / 60 for s in samples]
    mean_t = sum(ts) / len(ts)
    mean_r = sum(s.rss_mb for s in samples) / len(samples)
    spread = sum((t - mean_t) ** 2 for t in ts)
    if spread == 0:
        return 0.0
    pairs = zip(ts, samples, strict=True)
    return sum((t - mean_t) * (s.rss_mb - mean_r) for t, s in pairs) / spread


@dataclass(frozen=True)
class MemoryTrend:
    """One process over the run after its warm-up."""

    start: Sample
    middle: Sample
    end: Sample
    slope_mb_min: float
    cpu_percent: float  # of one core, averaged over the whole load

    @property
    def growth_mb(self) -> float:
        return self.end.rss_mb - self.start.rss_mb


def trend(samples: list[Sample], warmup_s: float) -> MemoryTrend:
    """Start: the first sample at or after the warm-up; middle: the one nearest halfway from
    there to the end; slope over those after the warm-up."""
    settled = [s for s in samples if s.t >= warmup_s] or samples[-1:]
    start, end = settled[0], settled[-1]
    halfway = (start.t + end.t) / 2
    middle = min(settled, key=lambda s: abs(s.t - halfway))
    first, last = samples[0], samples[-1]
    busy = (last.cpu_s - first.cpu_s) / (last.t - first.t) * 100 if last.t > first.t else 0.0
    return MemoryTrend(start, middle, end, slope_mb_per_min(settled), busy)
