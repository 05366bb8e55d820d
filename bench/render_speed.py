"""Render speed: the cached article page beside a hello-world aiohttp handler, under wrk.

    flock /tmp/sinmun-bench.lock .venv/bin/python -m bench.render_speed [--seconds 10] [-n 50]
        [--backend embedded|distributed]   (distributed: `source .local/servers.env` first)

1. Throughput and tail: the platform runs as its own process (`sinmun up`, embedded; or
   `sinmun serve render` with `sinmun serve ingest` beside it, distributed) with the
   development corpus and the seed article; a hello-world aiohttp handler runs in another
   process on the same loop (uvloop) and server settings as `sinmun up`. wrk (Debian) loads
   each at 64 connections, alternating hello and article for `--rounds` rounds after a warm-up,
   so both see the same machine; req/s and p99 per run, the medians, and the article's median
   req/s as a share of hello's (target ≥ 50%). The article is also loaded as a browser
   revalidating with its ETag (304s), when the page sends one; the platform's /healthz (its
   server and middleware without a page), and a bare handler in hello's process answering the
   article page's bytes (how much of the gap is the page's size), one run each.
2. Publish → visible on the home page: n articles submitted one by one through
   `POST /api/articles`, each timed until `GET /` shows its headline; p50, p95, max.
Appends a table to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop
from aiohttp import ClientSession, web

from bench.output import emit
from bench.service_process import free_port, start, wait_ready
from services.bootstrap import open_storage
from services.ingest.tokens import TokenRole, TokenStore
from shared.settings import Mode, SinmunSettings

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data"
CONNECTIONS, THREADS = 64, 2
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0"


# -- the baseline: hello world in its own process ------------------------------------------


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello, world")


def serve_hello(port: int, page: Path | None = None) -> None:
    """`python -m bench.render_speed --serve-hello PORT [--page FILE]`: the same server setup
    as `sinmun up`. With a page, `/page` answers its bytes as HTML: what a bare handler costs
    with the article page's size (a reading aid, not the baseline)."""
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/healthz", hello)
    if page is not None:
        body = page.read_bytes()

        async def bare_page(request: web.Request) -> web.Response:
            return web.Response(body=body, content_type="text/html", charset="utf-8")

        app.router.add_get("/page", bare_page)
    web.run_app(app, host="127.0.0.1", port=port, loop=uvloop.new_event_loop(),
                access_log=None, print=None)  # fmt: skip


def start_hello(page: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.render_speed", "--serve-hello", str(port),
         "--page", str(page)], cwd=ROOT,
    )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


# -- wrk ------------------------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def wrk(url: str, seconds: float, headers: dict[str, str] | None = None) -> dict[str, float]:
    """One wrk run: req/s, p50 and p99 in ms, and the non-2xx/3xx and socket error counts."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds:.0f}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {q: _ms(m) for q, m in re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps, "p50": latency["50"], "p99": latency["99"],
        "non2xx": float(bad.group(1)) if bad else 0.0,
        "socket_errors": float(sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1))))
        if socket_errors else 0.0,
    }  # fmt: skip


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


# -- the platform, seeded -------------------------------------------------------------------


@dataclass(frozen=True)
class Platform:
    """Where the benchmark's platform runs: embedded, `sinmun up` (one process, all four
    services); distributed, `sinmun serve render` with `sinmun serve ingest` beside it, on
    Kafka and FerretDB (loopback), in a Kafka namespace and database prefix of their own."""

    backend: str
    data_dir: Path
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))

    @property
    def settings(self) -> SinmunSettings:
        if self.backend == "embedded":
            return SinmunSettings(mode=Mode.EMBEDDED, data_dir=self.data_dir)
        return SinmunSettings(
            mode=Mode.DISTRIBUTED, data_dir=self.data_dir,
            kafka_namespace=f"benchrender{self.run_id}.",
            mongo_db_prefix=f"benchrender{self.run_id}_",
        )  # fmt: skip

    @property
    def env(self) -> dict[str, str]:
        s = self.settings
        return {"SINMUN_DATA_DIR": str(self.data_dir), "SINMUN_MODE": s.mode.value,
                "SINMUN_KAFKA_NAMESPACE": s.kafka_namespace,
                "SINMUN_MONGO_DB_PREFIX": s.mongo_db_prefix}  # fmt: skip

    def commands(self) -> list[list[str]]:
        """Render's process first."""
        if self.backend == "embedded":
            return [["up"]]
        return [["serve", "render"], ["serve", "ingest"]]

    def tidy(self) -> None:
        """Drop a distributed run's topics and databases (a broker keeping every past run's
        partitions runs out of heap)."""
        if self.backend == "embedded":
            return
        s = self.settings
        from aiokafka.admin import AIOKafkaAdminClient
        from pymongo import MongoClient

        async def delete_topics() -> None:
            admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap_servers)
            await admin.start()
            try:
                names = [t for t in await admin.list_topics() if t.startswith(s.kafka_namespace)]
                if names:
                    await admin.delete_topics(names)
            finally:
                await admin.close()

        asyncio.run(delete_topics())
        client: MongoClient[dict[str, Any]]
        with MongoClient(s.mongo_url) as client:
            for name in client.list_database_names():
                if name.startswith(s.mongo_db_prefix):
                    client.drop_database(name)


async def make_token(settings: SinmunSettings) -> str:
    storage = await open_storage(settings, "ingest")
    try:
        return await (await TokenStore.open(storage)).create("bench", TokenRole.REPORTER)
    finally:
        await storage.close()


async def seed(session: ClientSession, ingest: str, base: str, token: str) -> str:
    """The corpus and the seed article through the API; the seed article's page path."""
    auth = {"Authorization": f"Bearer {token}"}
    lines = (DATA / "articles.jsonl").read_text("utf-8").splitlines()
    for line in lines:
        if json.loads(line)["source"] != "newsroom":
            continue  # a partner's story: partners produce to the topic, not the API
        async with session.post(ingest + "/api/articles", data=line, headers=auth) as r:
            assert r.status in (200, 201), await r.text()
    seed_article = (DATA / "seed_article.json").read_text("utf-8")
    async with session.post(ingest + "/api/articles", data=seed_article, headers=auth) as r:
        assert r.status in (200, 201), await r.text()
        path = f"/news/{(await r.json())['article_id']}"
    for _ in range(300):  # render learns it from articles.published
        async with session.get(base + path) as r:
            if r.status == 200:
                return path
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{path} never appeared")


async def publish_to_home(
    session: ClientSession, ingest: str, base: str, token: str, n: int
) -> list[float]:
    """Seconds from POST /api/articles until the home page shows the headline, n times."""
    auth = {"Authorization": f"Bearer {token}"}
    seed_article = json.loads((DATA / "seed_article.json").read_text("utf-8"))
    template = {k: seed_article[k] for k in ("section", "byline", "body_html")}
    latencies = []
    for i in range(n):
        headline = f"벤치마크 속보 {i}호 발행 확인"
        article = {**template, "guid": f"bench-home-{i}", "headline": headline}
        started = time.perf_counter()
        async with session.post(ingest + "/api/articles", json=article, headers=auth) as r:
            assert r.status == 201, await r.text()
        while True:
            async with session.get(base + "/") as r:
                if headline in await r.text():
                    break
            if time.perf_counter() - started > 30:
                raise RuntimeError(f"{headline!r} not on the home page after 30 s")
            await asyncio.sleep(0.005)
        latencies.append(time.perf_counter() - started)
    return latencies


@dataclass
class Started:
    processes: list[subprocess.Popen[bytes]]
    base: str  # render's
    ingest: str
    token: str
    path: str
    etag: str
    page: bytes


async def prepare(platform: Platform, started: list[subprocess.Popen[bytes]]) -> Started:
    """The platform's processes (added to `started` as they start, to be stopped), seeded."""
    token = await make_token(platform.settings)
    bases = []
    for command in platform.commands():
        process, base = start(command, platform.env)
        started.append(process)
        await wait_ready(base, "/readyz", process)
        bases.append(base)
    base, ingest = bases[0], bases[-1]
    async with ClientSession() as session:
        path = await seed(session, ingest, base, token)
        async with session.get(base + path) as r:
            etag = r.headers.get("ETag", "")
            page = await r.read()
    return Started(started, base, ingest, token, path, etag, page)


def run(
    seconds: float, rounds: int, n: int, backend: str, *, extras: bool = True
) -> dict[str, Any]:
    """The figures of one run (`extras`: also the one-run rows beside hello and article)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: bash deploy/local/system-packages.sh")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(backend, Path(tmp) / "data")
        processes: list[subprocess.Popen[bytes]] = []
        try:
            result = _measure(
                platform, processes, Path(tmp), seconds=seconds, rounds=rounds, n=n, extras=extras
            )
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
            platform.tidy()
    return {**result, "seconds": seconds, "rounds": rounds, "n": n, "backend": backend,
            "load": (load_before, os.getloadavg())}  # fmt: skip


def _measure(
    platform: Platform,
    processes: list[subprocess.Popen[bytes]],
    tmp: Path,
    *,
    seconds: float,
    rounds: int,
    n: int,
    extras: bool = True,
) -> dict[str, Any]:
    started = asyncio.run(prepare(platform, processes))
    base, path, etag = started.base, started.path, started.etag
    page_file = tmp / "page.html"
    page_file.write_bytes(started.page)
    hello_process, hello_base = start_hello(page_file)
    processes.append(hello_process)
    asyncio.run(wait_ready(hello_base, "/healthz", hello_process))
    wrk(hello_base + "/", 2)  # warm-up: caches, connection setup, the CPU's clocks
    wrk(base + path, 2)
    runs: dict[str, list[dict[str, float]]] = {
        "hello": [], "article": [], "bare": [], "healthz": [], "304": [], "browser": []
    }  # fmt: skip
    for _ in range(rounds):
        runs["hello"].append(wrk(hello_base + "/", seconds))
        runs["article"].append(wrk(base + path, seconds))
    if extras:
        # A bare handler answering the article page's bytes: the share of the page's size.
        runs["bare"].append(wrk(hello_base + "/page", seconds))
        # The platform's own /healthz: its middleware and server without a page.
        runs["healthz"].append(wrk(base + "/healthz", seconds))
        if etag:
            runs["304"].append(wrk(base + path, seconds, {"If-None-Match": etag}))
        # wrk sends no User-Agent, which render counts as a bot; a browser's view is counted.
        runs["browser"].append(wrk(base + path, seconds, {"User-Agent": BROWSER}))

    async def visible() -> list[float]:
        async with ClientSession() as session:
            return await publish_to_home(session, started.ingest, base, started.token, n)

    home = asyncio.run(visible())
    return {"runs": runs, "home": home, "path": path, "etag": bool(etag)}


PLATFORMS = {
    "embedded": "`sinmun up`",
    "distributed": "`sinmun serve render`, with `sinmun serve ingest` beside it; Kafka and "
    "FerretDB on loopback",
}


def medians(runs: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Per kind of run measured: the median of each figure over its runs."""
    return {kind: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
            for kind, rs in runs.items() if rs}  # fmt: skip


def report(result: dict[str, Any], command: str) -> str:
    runs = result["runs"]
    med = medians(runs)
    ratio = med["article"]["rps"] / med["hello"]["rps"]
    home = sorted(result["home"])
    p95 = statistics.quantiles(home, n=100, method="inclusive")[94] if len(home) > 1 else home[0]
    lines = [
        f"\n### Render speed, {result['backend']} ({time.strftime('%Y-%m-%d')})\n",
        f"Command: `{command}`\n",
        f"wrk -t{THREADS} -c{CONNECTIONS}, {result['seconds']:.0f} s a run, hello and article "
        f"alternating for {result['rounds']} rounds (medians of the runs; the other rows one "
        f"run each, after them); the platform ({PLATFORMS[result['backend']]}) and the "
        "hello-world handler each in its own process, uvloop, no access log; the 39 newsroom "
        "stories of the corpus and the seed article. "
        "Machine: 2 cores shared by wrk and the server; load average (1, 5, 15 min) "
        f"{_load(result['load'][0])} before, {_load(result['load'][1])} after.\n",
        "| page | req/s (median) | p50 | p99 | runs (req/s) | errors |",
        "|---|---|---|---|---|---|",
    ]
    names = {"hello": "hello-world aiohttp handler", "article": f"article page `{result['path']}`",
             "bare": "a bare handler answering the article page's bytes (hello's process)",
             "healthz": "the platform's `/healthz` (same process, no page)",
             "304": "article page, `If-None-Match` (304)",
             "browser": "article page with a browser's User-Agent (a view recorded)"}  # fmt: skip
    for kind, m in med.items():
        spread = ", ".join(f"{r['rps']:.0f}" for r in runs[kind])
        errors = sum(r["non2xx"] + r["socket_errors"] for r in runs[kind])
        if kind == "304":
            errors = sum(r["socket_errors"] for r in runs[kind])  # 304 is the expected answer
        lines.append(f"| {names[kind]} | {m['rps']:.0f} | {m['p50']:.2f} ms | "
                     f"{m['p99']:.2f} ms | {spread} | {errors:.0f} |")  # fmt: skip
    lines += [
        "",
        f"Article page / hello world: **{ratio:.0%}** of the baseline's req/s (target ≥ 50%: "
        f"{'met' if ratio >= 0.5 else 'not met'}); article p99 at {CONNECTIONS} connections: "
        f"**{med['article']['p99']:.1f} ms**.",
        "",
        f"Publish → visible on the home page ({result['n']} articles, one at a time, "
        f"`POST /api/articles` until `GET /` shows the headline): p50 "
        f"{statistics.median(home) * 1000:.0f} ms, **p95 {p95 * 1000:.0f} ms**, max "
        f"{home[-1] * 1000:.0f} ms.",
    ]
    return "\n".join(lines) + "\n"


def _load(averages: tuple[float, float, float]) -> str:
    return ", ".join(f"{a:.2f}" for a in averages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve-hello", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--page", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--backend", choices=["embedded", "distributed"], default="embedded",
                        help="distributed: source .local/servers.env first")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=10.0, help="one wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-n", type=int, default=50, help="articles timed publish → home page")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    if args.serve_hello:
        serve_hello(args.serve_hello, args.page)
        return
    command = "flock /tmp/sinmun-bench.lock .venv/bin/python -m bench.render_speed " + " ".join(
        sys.argv[1:]
    )
    text = report(run(args.seconds, args.rounds, args.n, args.backend), command.strip())
    emit(text, args.out)


if __name__ == "__main__":
    main()
