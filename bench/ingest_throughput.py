"""Ingest throughput and latency, each beside the raw store's insert rate in the same run.

    .venv/bin/python -m bench.ingest_throughput [--backend embedded|distributed] [-n 2000]
        [--rounds 3] [--pin] [--out docs/benchmarks.md]

Measures, on one backend, in each of `--rounds` rounds (one after the other; every figure
is the median of the rounds, every ratio the median of the ratios each round measured
against its own raw inserts, since this VM's speed drifts from one round to the next by as
much as ±20%):
(1) raw store inserts: article-sized documents inserted one at a time through the storage
    port, each awaited, in this process (the baseline), n of them before each path below
    (alternating with them) into a fresh collection; the median of the three is the 100%;
(2) the anchor: an aiohttp handler that parses the JSON and answers 201, in its own process
    with the same server setup as `sinmun` (uvloop, no access log), loaded by wrk exactly as
    (3) is: the ceiling of any HTTP path on this machine;
(3) HTTP: the ingest service alone in its own process (`run_server(…, ["ingest"])`, what
    `sinmun serve ingest` runs), `POST /api/articles` from wrk (CONNECTIONS connections, a
    distinct guid per request), counted from wrk's start until the last ArticlePublished is
    on `articles.published`;
(4) the partner topic: n signed records produced to `articles.submitted` first, then the
    service started; counted from its first consumed batch (its `partner_records_flowing`
    log line) until the last ArticlePublished: the usual consumer-throughput measure, with
    no producer running beside the consumer;
(5) submission → published latency p50/p95, paced (one every LATENCY_GAP_S): POSTs, from
    sending each to its event's timestamp, and partner records, from each record's timestamp
    to its event's (embedded, a record from another process is seen by the bus's watch of
    the log, every 50 ms; in-process producers wake the consumer at once).
Load generators (wrk, the producer, the watch on `articles.published`) run outside the
measured process; the CPU column is the measured process's own CPU time per item.
`--pin`: every measured process (the raw inserts, the anchor, the service) on CPU 0, wrk and
the watch on CPU 1. On this VM a thread hand-off between cores costs far more than on one
core, and unpinned the raw baseline runs at either of two speeds (≈ 6k or ≈ 12–15k docs/s)
depending on where the scheduler puts its two threads; pinned, every figure runs in the
fast placement.
Prints a result table (and appends it to `--out` if given).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from aiohttp import ClientSession, web

from bench.output import emit
from bench.service_process import free_port, wait_ready
from services.bootstrap import make_bus, open_storage
from services.ingest.domain import article_id_for
from services.ingest.tokens import TokenRole, TokenStore
from shared.ports.bus import EventBus
from shared.settings import Mode, SinmunSettings
from shared.signatures import SIGNATURE_HEADER, sign
from shared.topics import ALL_TOPICS, ARTICLES_PUBLISHED, ARTICLES_SUBMITTED

ROOT = Path(__file__).parent.parent
PARTNER, SECRET = "경북통신", "bench-secret"
CONNECTIONS = 64


@dataclass
class Placement:
    """`--pin`: the measured processes on one CPU, the load generators on the other."""

    pin: bool = False
    measured: frozenset[int] = frozenset({0})
    loaders: frozenset[int] = frozenset({1})

    def taskset(self, cpus: frozenset[int]) -> list[str]:
        return ["taskset", "-c", ",".join(map(str, sorted(cpus)))] if self.pin else []

    def move_here(self, cpus: frozenset[int]) -> None:
        if self.pin:
            os.sched_setaffinity(0, cpus)


PLACEMENT = Placement()
PRODUCER_IN_FLIGHT = 64
LATENCY_SAMPLES, LATENCY_GAP_S = 100, 0.02
TEMPLATE = json.loads((ROOT / "tests/data/articles.jsonl").read_text("utf-8").splitlines()[0])
LOG = Path(tempfile.gettempdir()) / "sinmun-bench-ingest.log"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")

# Each wrk thread posts a distinct guid per request until it has `quota` answers, then
# stops and writes how many were 201 (stored) to a file the bench waits for. Requests built
# beyond the quota (wrk builds one up front to check the script; a connection may be
# mid-request when the thread stops) repeat the thread's last guid: an identical
# resubmission (200, nothing published), counted as work but not as an article.
WRK_SCRIPT = """
local counter, answered, created, thread_id = 0, 0, 0, 0
local quota, head, tail, done_path
local next_id = 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end
function init(args)
  quota = tonumber(args[1])
  local f = io.open(args[2], "rb"); head = f:read("*a"); f:close()
  f = io.open(args[3], "rb"); tail = f:read("*a"); f:close()
  prefix = args[4] .. "t" .. thread_id
  done_path = args[5] .. thread_id
  wrk.headers["Content-Type"] = "application/json"
  if args[6] ~= "-" then wrk.headers["Authorization"] = "Bearer " .. args[6] end
end
function request()
  if counter < quota then counter = counter + 1 end
  local body = head .. string.format("%s-%06d", prefix, counter) .. tail
  return wrk.format("POST", "/api/articles", nil, body)
end
function response(status, headers, body)
  answered = answered + 1
  if status == 201 then created = created + 1 end
  if status >= 400 then io.stderr:write("HTTP " .. status .. " " .. body .. "\\n") end
  if answered == quota then
    local f = io.open(done_path, "w"); f:write(tostring(created)); f:close()
    wrk.thread:stop()
  end
end
"""
WRK_THREADS = 1


def story(guid: str, source: str = "newsroom") -> dict[str, Any]:
    return {**TEMPLATE, "source": source, "guid": guid}


# -- the measured processes ---------------------------------------------------------------


async def accept(request: web.Request) -> web.Response:
    await request.json()
    return web.json_response({"article_id": "0", "version": 1}, status=201)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def serve_anchor(port: int) -> None:
    """`python -m bench.ingest_throughput --serve-anchor PORT`: the server setup of `sinmun`."""
    import uvloop

    app = web.Application()
    app.router.add_post("/api/articles", accept)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, loop=uvloop.new_event_loop(),
                print=None, access_log=None)  # fmt: skip


def serve_ingest() -> None:
    """`python -m bench.ingest_throughput --serve-ingest`: the ingest service alone, on the
    backend the environment names, through `sinmun`'s own `run_server`."""
    from services.cli import run_server

    run_server(SinmunSettings(), ["ingest"])


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    base: str

    def cpu_s(self) -> float:
        """The process's CPU time so far (user + system, all threads)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICK

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def spawn(flag: str, env: dict[str, str]) -> Service:
    port = free_port()
    process = subprocess.Popen(
        [*PLACEMENT.taskset(PLACEMENT.measured), sys.executable, "-m", "bench.ingest_throughput",
         flag, str(port)],
        env={**os.environ, **env, "SINMUN_PORT": str(port), "SINMUN_HOST": "127.0.0.1"},
        # A file, not a pipe nobody reads: a full pipe would stall the service mid-benchmark.
        cwd=ROOT, stdout=LOG.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    return Service(process, f"http://127.0.0.1:{port}")


async def start(flag: str, env: dict[str, str]) -> Service:
    service = spawn(flag, env)
    await wait_ready(service.base, "/healthz", service.process)
    return service


def spawn_wrk(base: str, script: Path, args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*PLACEMENT.taskset(PLACEMENT.loaders), "wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}",
         "-d600s", "-s", str(script), base, "--", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


# -- measuring ----------------------------------------------------------------------------


def environment(backend: str, data_dir: Path) -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    env = {
        "SINMUN_DATA_DIR": str(data_dir),
        "SINMUN_INGEST_PARTNER_SECRETS": json.dumps({PARTNER: SECRET}),
        "SINMUN_LOG_LEVEL": "INFO",
        "SINMUN_LOG_FORMAT": "json",
    }
    if backend == "embedded":
        return env | {"SINMUN_MODE": "embedded"}
    return env | {
        "SINMUN_MODE": "distributed",
        "SINMUN_KAFKA_NAMESPACE": f"bench{run}.",
        "SINMUN_MONGO_DB_PREFIX": f"bench{run}_",
    }


@contextmanager
def environ(env: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def raw_store_rate(settings: SinmunSettings, n: int, round_: int) -> tuple[float, float]:
    """Docs/s and CPU µs per doc of one-at-a-time awaited inserts (this process), into a
    fresh collection each round."""
    storage = await open_storage(settings, "rawbench")
    docs = await storage.collection(f"docs{round_}")
    body = {"article": story("raw-0"), "fingerprint": "x" * 64, "outbox": [], "version": 1}
    cpu, started = time.process_time(), time.perf_counter()
    for i in range(n):
        await docs.insert({**body, "_id": f"raw-{i}"})
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await storage.close()
    return n / elapsed, cpu / n * 1e6


async def published_count(bus: EventBus) -> int:
    return sum((await bus.end_offsets(ARTICLES_PUBLISHED.name)).values())


async def until(condition: Callable[[], Any], timeout: float = 300) -> float:
    """Poll (every 5 ms) until `await condition()` is true; the time it was seen true."""
    deadline = time.perf_counter() + timeout
    while not await condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the benchmark did not finish in time")
        await asyncio.sleep(0.005)
    return time.perf_counter()


def size(path: Path) -> int:
    """The file's size in bytes, 0 if it is not there yet."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


async def wrk_post(
    service: Service, n: int, prefix: str, *, token: str, tmp: Path, bus: EventBus | None
) -> tuple[float, float]:
    """Articles/s and service CPU µs per article: n distinct POSTs from wrk, counted until the
    last answer (no bus: the anchor) or the last event on `articles.published`."""
    head, _, tail = orjson.dumps(story("@GUID@")).decode().partition("@GUID@")
    (tmp / "head").write_text(head, "utf-8")
    (tmp / "tail").write_text(tail, "utf-8")
    (tmp / "wrk.lua").write_text(WRK_SCRIPT, "utf-8")
    done = tmp / f"{prefix}-done-"
    quota = n // WRK_THREADS
    before = await published_count(bus) if bus is not None else 0
    args = [str(quota), str(tmp / "head"), str(tmp / "tail"), prefix, str(done), token]
    cpu = service.cpu_s()
    started = time.perf_counter()
    wrk = spawn_wrk(service.base, tmp / "wrk.lua", args)

    async def answered() -> bool:
        if wrk.poll() is not None:
            raise RuntimeError(f"wrk exited: {wrk.communicate()}")
        # Written, not only created: the script opens the file, then writes the count.
        return all(size(tmp / f"{done.name}{t}") > 0 for t in range(WRK_THREADS))

    try:
        finished = await until(answered)
        created = sum(int((tmp / f"{done.name}{t}").read_text()) for t in range(WRK_THREADS))
        if bus is not None:

            async def published() -> bool:
                return await published_count(bus) >= before + created

            finished = await until(published)
        used = service.cpu_s() - cpu
    except BaseException:
        wrk.kill()  # its -d600s would keep it loading the machine long after this run
        wrk.wait()
        raise
    wrk.send_signal(signal.SIGINT)
    _, errors = wrk.communicate(timeout=30)
    if b"HTTP " in errors:
        raise RuntimeError(errors.decode()[:2000])
    return created / (finished - started), used / created * 1e6


async def produce(bus: EventBus, guids: list[str], gap_s: float = 0.0) -> None:
    """Signed partner records, up to PRODUCER_IN_FLIGHT at a time (or one per `gap_s`)."""
    window = asyncio.Semaphore(1 if gap_s else PRODUCER_IN_FLIGHT)

    async def one(guid: str) -> None:
        value = orjson.dumps(story(guid, PARTNER))
        async with window:
            await bus.send(
                ARTICLES_SUBMITTED.name, f"{PARTNER}:{guid}", value,
                {SIGNATURE_HEADER: sign(SECRET, value).encode()},
            )  # fmt: skip
            if gap_s:
                await asyncio.sleep(gap_s)

    await asyncio.gather(*(one(g) for g in guids))


def first_batch_at(log_offset: int) -> float | None:
    """The wall-clock time of the service's `partner_records_flowing` line, if it is there."""
    with LOG.open("rb") as log:
        log.seek(log_offset)
        for line in log:
            if b"partner_records_flowing" in line:
                stamp = orjson.loads(line)["timestamp"]
                return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    return None


async def topic_rate(env: dict[str, str], bus: EventBus, n: int) -> tuple[float, float, Service]:
    """Articles/s and service CPU µs per article draining a backlog of n partner records;
    the service is left running."""
    await produce(bus, [f"topic-{i:06d}" for i in range(n)])
    before = await published_count(bus)
    log_offset = LOG.stat().st_size if LOG.exists() else 0
    service = await start("--serve-ingest", env)
    first: list[float] = []  # (wall clock, perf counter, cpu) when the first batch was seen

    async def flowing() -> bool:
        at = first_batch_at(log_offset)
        if at is None:
            return False
        first.extend((at, time.perf_counter(), service.cpu_s()))
        return True

    await until(flowing, timeout=120)
    at, seen, cpu = first
    started = seen - (time.time() - at)  # back to the log line's moment, on the perf clock

    async def published() -> bool:
        return await published_count(bus) >= before + n

    finished = await until(published)
    return n / (finished - started), (service.cpu_s() - cpu) / n * 1e6, service


async def latencies(bus: EventBus, service: Service, count: int) -> list[float]:
    """Seconds from each submitted record's timestamp to its event's (one record at a time)."""
    guids = [f"latency-{i:06d}" for i in range(count)]
    before = await bus.end_offsets(ARTICLES_PUBLISHED.name)
    submitted_before = await bus.end_offsets(ARTICLES_SUBMITTED.name)
    await produce(bus, guids, LATENCY_GAP_S)

    async def published() -> bool:
        return await published_count(bus) >= sum(before.values()) + count

    await until(published)
    sent: dict[str, int] = {}
    for partition, end in (await bus.end_offsets(ARTICLES_SUBMITTED.name)).items():
        for record in await bus.read(
            ARTICLES_SUBMITTED.name, partition, submitted_before.get(partition, 0), end
        ):
            sent[orjson.loads(record.value)["guid"]] = record.timestamp_ms
    ids = {article_id_for(PARTNER, g): g for g in guids}
    out: list[float] = []
    for partition, end in (await bus.end_offsets(ARTICLES_PUBLISHED.name)).items():
        for record in await bus.read(
            ARTICLES_PUBLISHED.name, partition, before.get(partition, 0), end
        ):
            if record.key in ids:
                out.append((record.timestamp_ms - sent[ids[record.key]]) / 1000)
    return out


async def http_latencies(bus: EventBus, service: Service, token: str, count: int) -> list[float]:
    """Seconds from sending each POST (one every LATENCY_GAP_S, each awaited) to its event's
    timestamp on `articles.published`."""
    before = await bus.end_offsets(ARTICLES_PUBLISHED.name)
    sent: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with ClientSession() as session:
        for i in range(count):
            guid = f"http-latency-{i:06d}"
            sent[article_id_for("newsroom", guid)] = time.time()
            async with session.post(
                service.base + "/api/articles", json=story(guid), headers=headers
            ) as response:
                assert response.status == 201, await response.text()
            await asyncio.sleep(LATENCY_GAP_S)

    async def published() -> bool:
        return await published_count(bus) >= sum(before.values()) + count

    await until(published)
    out: list[float] = []
    for partition, end in (await bus.end_offsets(ARTICLES_PUBLISHED.name)).items():
        for record in await bus.read(
            ARTICLES_PUBLISHED.name, partition, before.get(partition, 0), end
        ):
            if record.key in sent:
                out.append(record.timestamp_ms / 1000 - sent[record.key])
    return out


async def make_token(settings: SinmunSettings) -> str:
    storage = await open_storage(settings, "ingest")
    token = await (await TokenStore.open(storage)).create("bench", TokenRole.REPORTER)
    await storage.close()
    return token


async def run(backend: str, n: int, rounds: int) -> dict[str, Any]:
    """`rounds` whole rounds one after the other; each figure the median of the rounds, each
    ratio the median of the ratios within a round (a round's paths beside its own raw
    inserts: this VM's speed drifts between rounds)."""
    each = [await one_round(backend, n) for _ in range(rounds)]
    results: dict[str, Any] = {"backend": backend, "n": n, "rounds": rounds, "cpu": {}}
    for key in ("raw", "hello", "http", "topic"):
        results[key] = statistics.median(r[key] for r in each)
        results["cpu"][key] = statistics.median(r["cpu"][key] for r in each)
        results[f"{key}_ratios"] = [r[key] / r["raw"] for r in each]
    results["http_anchor_ratios"] = [r["http"] / r["hello"] for r in each]
    results["raw_runs"] = [x for r in each for x in r["raw_runs"]]
    samples = [x for r in each for x in r["samples"]]
    http_samples = [x for r in each for x in r["http_samples"]]
    results |= {
        "p50_ms": statistics.median(samples) * 1000,
        "p95_ms": statistics.quantiles(samples, n=100)[94] * 1000,
        "http_p50_ms": statistics.median(http_samples) * 1000,
        "http_p95_ms": statistics.quantiles(http_samples, n=100)[94] * 1000,
        "load": os.getloadavg()[0],
        "pinned": PLACEMENT.pin,
    }
    return results


async def one_round(backend: str, n: int) -> dict[str, Any]:
    results: dict[str, Any] = {"backend": backend, "n": n, "cpu": {}}
    cpu = results["cpu"]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = environment(backend, tmp / "data")
        with environ(env):
            settings = SinmunSettings()
            raws: list[tuple[float, float]] = []

            async def raw() -> None:  # before each path: the baseline alternates with them
                PLACEMENT.move_here(PLACEMENT.measured)
                raws.append(await raw_store_rate(settings, n, len(raws)))
                PLACEMENT.move_here(PLACEMENT.loaders)  # to watch the service from there

            await raw()
            anchor = await start("--serve-anchor", env)
            try:
                results["hello"], cpu["hello"] = await wrk_post(
                    anchor, n, "hello", token="-", tmp=tmp, bus=None
                )
            finally:
                anchor.stop()
            bus = make_bus(settings)
            await bus.start()
            await bus.ensure_topics(list(ALL_TOPICS))
            try:
                token = await make_token(settings)
                await raw()
                service = await start("--serve-ingest", env)
                try:
                    results["http"], cpu["http"] = await wrk_post(
                        service, n, f"http{uuid.uuid4().hex[:6]}", token=token, tmp=tmp, bus=bus
                    )
                    http_samples = await http_latencies(bus, service, token, LATENCY_SAMPLES)
                finally:
                    service.stop()
                await raw()
                results["topic"], cpu["topic"], service = await topic_rate(env, bus, n)
                try:
                    samples = await latencies(bus, service, LATENCY_SAMPLES)
                finally:
                    service.stop()
            finally:
                await bus.stop()
            if backend == "distributed":
                await drop_databases(settings)
    results["raw"] = statistics.median(r for r, _ in raws)
    results["raw_runs"] = [r for r, _ in raws]
    cpu["raw"] = statistics.median(c for _, c in raws)
    return results | {"samples": samples, "http_samples": http_samples}


async def drop_databases(settings: SinmunSettings) -> None:
    """The round's databases (ingest's, the raw inserts') and its Kafka topics."""
    from bench.search_speed import drop_run_data

    await drop_run_data(settings)


def report(results: dict[str, Any], command: str) -> str:
    r, cpu = results, results["cpu"]

    def percents(ratios: list[float]) -> str:
        if all(x == 1 for x in ratios):  # the baseline itself
            return "100%"
        return f"{100 * statistics.median(ratios):.0f}%" + (
            f" (rounds: {', '.join(f'{100 * x:.0f}%' for x in ratios)})" if len(ratios) > 1 else ""
        )

    def row(name: str, value: str, key: str, note: str = "") -> str:
        return f"| {name} | {value} | {percents(r[key + '_ratios'])}{note} | {cpu[key]:.0f} µs |\n"

    anchor = f"; {percents(r['http_anchor_ratios'])} of the anchor"
    return (
        f"\n### Ingest, {r['backend']} ({time.strftime('%Y-%m-%d')}, n = {r['n']})\n\n"
        f"Command: `{command}` ({r['rounds']} rounds, each figure their median and each ratio "
        f"the median of the rounds' own ratios; load average {r['load']:.1f} on 2 cores"
        + ("; measured processes on CPU 0, wrk and the watch on CPU 1" if r["pinned"] else "")
        + ")\n\n"
        "| measure | value | vs raw store inserts | CPU of the measured process per item |\n"
        "|---|---|---|---|\n"
        + row("raw store inserts (one at a time, awaited; each round the median of its 3 "
              f"runs: {', '.join(f'{x:.0f}' for x in r['raw_runs'])})", f"{r['raw']:.0f} docs/s",
              "raw")
        + row(f"anchor: parse-JSON-and-201 aiohttp process (wrk, {CONNECTIONS} connections)",
              f"{r['hello']:.0f} req/s", "hello")
        + row(f"HTTP `POST /api/articles` → `articles.published` (wrk, {CONNECTIONS} connections)",
              f"{r['http']:.0f} articles/s", "http", anchor)
        + row("partner topic backlog → `articles.published`", f"{r['topic']:.0f} articles/s",
              "topic")
        + f"| submission → published latency (HTTP, one request every "
        f"{LATENCY_GAP_S * 1000:.0f} ms) | p50 {r['http_p50_ms']:.1f} ms, "
        f"p95 {r['http_p95_ms']:.1f} ms | | |\n"
        + f"| submission → published latency (topic, one record every "
        f"{LATENCY_GAP_S * 1000:.0f} ms) | p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms "
        "| | |\n"
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="whole rounds; medians reported")
    parser.add_argument("--out", type=Path, help="append the table to this file")
    parser.add_argument("--pin", action="store_true", help="measured processes on CPU 0, wrk on 1")
    parser.add_argument("--serve-anchor", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-ingest", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_anchor:
        return serve_anchor(args.serve_anchor)
    if args.serve_ingest:
        return serve_ingest()
    if args.backend == "embedded":
        os.environ["SINMUN_MODE"] = Mode.EMBEDDED.value
    PLACEMENT.pin = args.pin
    results = asyncio.run(run(args.backend, args.n, args.rounds))
    command = f".venv/bin/python -m bench.ingest_throughput --backend {args.backend} -n {args.n}"
    command += f" --rounds {args.rounds}"
    command += " --pin" if args.pin else ""
    text = report(results, command)
    emit(text, args.out)


if __name__ == "__main__":
    main()
