"""wrk (Debian's) as the soak's readers: one process per target, rotating over a list of paths
at a paced rate, stopping by itself after the run's seconds.

Paced, not a closed loop: a closed loop on cached render pages alone takes the whole 2-core
machine (tens of thousands of req/s), starving the consumers and OpenSearch; a soak wants a
steady mix whose rates do not depend on which service happens to be fastest. Each connection
waits `connections / rate` between its requests (wrk's `delay()`, which wrk leaves out of the
latency it measures), so the rate stays near the target unless the service falls behind.
The Lua script's `done()` writes wrk's own figures as one JSON line, so nothing parses wrk's
human-readable summary.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from pathlib import Path

from bench.soak_results import LoadResult

WRK_SCRIPT = r"""
local paths, agents, n, i = {}, {}, 0, 0
local gap, visitors = 0, 1
function init(args)
  for line in io.lines(args[1]) do
    local path, agent = line:match("^([^\t]*)\t(.*)$")
    n = n + 1
    paths[n] = path
    agents[n] = agent
  end
  gap = tonumber(args[2])
  visitors = tonumber(args[3])
end
function delay()
  return gap
end
function request()
  i = i + 1
  local k = (i - 1) % n + 1
  local headers = nil
  if agents[k] ~= "" then
    -- A distinct reader per visitor number: render counts views per (address, browser).
    headers = {["User-Agent"] = agents[k] .. " soak-visitor/" .. (i % visitors)}
  end
  return wrk.format("GET", paths[k], headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SOAK-WRK {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0"
VISITORS = 500  # distinct readers of article pages: views flow, and the dedup maps stay bounded
TIMEOUT_S = 5.0  # wrk's default per-request timeout here (a timeout is a socket error)


@dataclass(frozen=True)
class WrkTarget:
    """One wrk process: which paths of which service, how many connections, what rate.
    `browsers`: paths whose requests carry a browser's User-Agent (a view is recorded)."""

    kind: str
    base: str
    paths: list[str]
    connections: int
    rate: float  # requests/s over all connections
    browsers: frozenset[str] = frozenset()

    def gap_ms(self) -> int:
        return max(0, round(self.connections * 1000 / self.rate))

    def write_paths(self, folder: Path) -> Path:
        file = folder / f"paths-{re.sub(r'[^a-z]+', '-', self.kind.lower()).strip('-')}.txt"
        lines = [f"{p}\t{BROWSER if p in self.browsers else ''}" for p in self.paths]
        file.write_text("\n".join(lines) + "\n", "utf-8")
        return file


async def run_wrk(
    target: WrkTarget, seconds: float, folder: Path, timeout_s: float = TIMEOUT_S
) -> LoadResult:
    """One paced wrk run of `seconds` against the target; its requests, errors and latency."""
    script = folder / "soak.lua"
    script.write_text(WRK_SCRIPT, "utf-8")
    paths = target.write_paths(folder)
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t1", f"-c{target.connections}", f"-d{seconds:.0f}s", f"--timeout={timeout_s:.0f}s",
        "-s", str(script), target.base, "--", str(paths), str(target.gap_ms()), str(VISITORS),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        # wrk stops itself after -d; the bound here only catches a wrk that hangs.
        out, err = await asyncio.wait_for(process.communicate(), timeout=seconds + 60)
    finally:
        if process.returncode is None:  # cancelled (another load failed) or hung: ours, by pid
            process.kill()
            await process.wait()
    return parse(target, out.decode(), err.decode())


def parse(target: WrkTarget, out: str, err: str) -> LoadResult:
    line = next((ln for ln in out.splitlines() if ln.startswith("SOAK-WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk on {target.kind} gave no summary: {out[-500:]} {err[-500:]}")
    figures = json.loads(line.removeprefix("SOAK-WRK "))
    sockets = sum(figures[k] for k in ("connect", "read", "write", "timeout"))
    problems = {}
    if figures["status"]:
        problems["HTTP ≥ 400"] = int(figures["status"])
    if sockets:
        problems["socket errors"] = int(sockets)
    return LoadResult(
        kind=target.kind,
        count=int(figures["requests"]),
        seconds=figures["duration_us"] / 1e6,
        errors=problems,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        detail=f"wrk -t1 -c{target.connections}, target {target.rate:.0f}/s, "
        f"{len(target.paths)} paths",
    )
