"""Boards under load: 200 concurrent readers and 20 writers for 30 seconds.

    .venv/bin/python -m bench.boards_load --backend embedded|distributed [--seconds 30]
        [--anchor]

The boards service runs as its own process (`sinmun up` embedded, `sinmun serve boards` on
FerretDB + Kafka); this process is the load. Readers page through the free board and open
posts; writers (reporters, so the anti-spam rates do not throttle the measurement) post and
comment. Reports req/s and p50/p99 per kind, and every non-2xx answer as an error.
`--anchor`: first, the same READERS clients of this process against a parse-nothing aiohttp
handler in its own process (`bench.ingest_throughput`'s anchor, `GET /healthz`) for as long:
what this load generator reaches on this machine when the server does nothing.
Appends a table to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector

from bench.output import emit
from bench.search_speed import drop_run_data
from bench.service_process import start, wait_ready
from services.boards.members import MemberStore
from services.boards.passwords import hash_password
from services.boards.settings import BoardsSettings
from services.bootstrap import open_storage
from shared.schemas.boards import Role
from shared.sessions import new_private_key_pem
from shared.settings import Mode

ROOT = Path(__file__).parent.parent
READERS, WRITERS, SEED_POSTS = 200, 20, 200
PASSWORD = "벤치마크-기자-비밀번호-2026"


def settings_for(backend: str, data_dir: Path) -> tuple[BoardsSettings, dict[str, str]]:
    run = uuid.uuid4().hex[:8]
    if backend == "embedded":
        return BoardsSettings(mode=Mode.EMBEDDED, data_dir=data_dir), {
            "SINMUN_DATA_DIR": str(data_dir)
        }
    key = new_private_key_pem()
    env = BoardsSettings()
    settings = BoardsSettings(
        mode=Mode.DISTRIBUTED, data_dir=data_dir, mongo_url=env.mongo_url,
        mongo_db_prefix=f"bench{run}_", kafka_bootstrap_servers=env.kafka_bootstrap_servers,
        kafka_namespace=f"bench{run}.",
    )  # fmt: skip
    return settings, {
        "SINMUN_MONGO_DB_PREFIX": settings.mongo_db_prefix,
        "SINMUN_KAFKA_NAMESPACE": settings.kafka_namespace,
        "SINMUN_BOARDS_SESSION_PRIVATE_KEY": key,
    }


async def make_writers(settings: BoardsSettings) -> list[str]:
    storage = await open_storage(settings, "boards")
    members = await MemberStore.open(storage)
    hashed = hash_password(PASSWORD)
    emails = []
    for n in range(WRITERS):
        email = f"writer{n}@bench.example"
        await members.create(email, f"기자{n:02d}", hashed, Role.REPORTER)
        emails.append(email)
    await storage.close()
    return emails


async def seed(session: ClientSession, base: str, emails: list[str]) -> tuple[list[str], list[str]]:
    """Log the writers in and write the first posts; their tokens and the post ids."""
    tokens = []
    for email in emails:
        async with session.post(
            base + "/api/sessions", json={"login": email, "password": PASSWORD}
        ) as r:
            tokens.append((await r.json())["token"])
    post_ids: list[str] = []
    for n in range(SEED_POSTS):
        async with session.post(
            base + "/api/boards/free/posts",
            json={"title": f"시드 글 {n}", "body_text": f"포항 소식 {n} " * 20},
            headers={"Authorization": f"Bearer {tokens[n % WRITERS]}"},
        ) as r:
            post_ids.append((await r.json())["post"]["post_id"])
    return tokens, post_ids


async def anchor_rate(seconds: float) -> float:
    """Req/s of READERS clients (as the readers below) against a bare aiohttp handler."""
    from bench.ingest_throughput import start as start_bench_server

    server = await start_bench_server("--serve-anchor", {})
    answered = 0
    try:
        connector = TCPConnector(limit=READERS)
        async with ClientSession(connector=connector, timeout=ClientTimeout(60)) as session:
            deadline = time.perf_counter() + seconds

            async def reader() -> None:
                nonlocal answered
                while time.perf_counter() < deadline:
                    async with session.get(server.base + "/healthz") as r:
                        await r.read()
                        answered += r.status == 200

            started = time.perf_counter()
            await asyncio.gather(*(reader() for _ in range(READERS)))
            elapsed = time.perf_counter() - started
    finally:
        server.stop()
    return answered / elapsed


async def run(backend: str, seconds: float, anchor: bool = False) -> dict[str, Any]:
    """The anchor first if asked (None otherwise), then the load on the boards service."""
    hello = await anchor_rate(seconds) if anchor else None
    return await load(backend, seconds) | {"anchor": hello}


async def load(backend: str, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings, env = settings_for(backend, Path(tmp) / "data")
        emails = await make_writers(settings)
        process, base = start(["up"] if backend == "embedded" else ["serve", "boards"], env)
        timings: dict[str, list[float]] = {"read list": [], "read post": [], "write": []}
        errors: list[str] = []
        try:
            connector = TCPConnector(limit=READERS + WRITERS)
            async with ClientSession(connector=connector, timeout=ClientTimeout(60)) as session:
                await wait_ready(base, "/api/boards", process)
                tokens, post_ids = await seed(session, base, emails)
                session.cookie_jar.clear()
                deadline = time.perf_counter() + seconds

                async def timed(kind: str, method: str, url: str, **kw: Any) -> Any:
                    started = time.perf_counter()
                    async with session.request(method, url, **kw) as r:
                        body = await r.read()
                        if r.status >= 300:
                            errors.append(f"{kind} {r.status} {body[:120]!r}")
                    timings[kind].append(time.perf_counter() - started)
                    return body

                async def reader(n: int) -> None:
                    rnd = random.Random(n)
                    while time.perf_counter() < deadline:
                        if rnd.random() < 0.5:
                            page = rnd.randint(1, 10)
                            await timed(
                                "read list",
                                "GET",
                                f"{base}/api/boards/free/posts?page={page}&size=20",
                            )
                        else:
                            post = rnd.choice(post_ids)
                            await timed("read post", "GET", f"{base}/api/boards/free/posts/{post}",
                                        headers={"User-Agent": f"reader-{n}"})  # fmt: skip

                async def writer(n: int) -> None:
                    auth = {"Authorization": f"Bearer {tokens[n]}"}
                    count = 0
                    while time.perf_counter() < deadline:
                        count += 1
                        if count % 2:
                            await timed("write", "POST", f"{base}/api/boards/free/posts",
                                        json={"title": f"글 {n}-{count}",
                                              "body_text": f"작성자 {n}의 {count}번째 글"},
                                        headers=auth)  # fmt: skip
                        else:
                            post = post_ids[(n * 7 + count) % len(post_ids)]
                            await timed(
                                "write",
                                "POST",
                                f"{base}/api/boards/free/posts/{post}/comments",
                                json={"body_text": f"댓글 {n}-{count}"},
                                headers=auth,
                            )

                started = time.perf_counter()
                await asyncio.gather(*(reader(n) for n in range(READERS)),
                                     *(writer(n) for n in range(WRITERS)))  # fmt: skip
                elapsed = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=30)
            if backend == "distributed":
                await drop_run_data(settings)  # its database and its Kafka topics
    return {"backend": backend, "seconds": elapsed, "timings": timings, "errors": errors}


def report(result: dict[str, Any]) -> str:
    elapsed = result["seconds"]
    lines = [
        f"\n### Boards under load, {result['backend']} ({time.strftime('%Y-%m-%d')})\n",
        f"Command: `.venv/bin/python -m bench.boards_load --backend {result['backend']}"
        f"{' --anchor' if result['anchor'] is not None else ''}`\n",
        f"{READERS} readers and {WRITERS} writers for {elapsed:.0f} s against the boards service "
        f"in its own process ({SEED_POSTS} posts to start); errors: {len(result['errors'])}\n",
        "| requests | count | req/s | p50 | p99 |",
        "|---|---|---|---|---|",
    ]
    for kind, values in result["timings"].items():
        if values:
            p99 = statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]
            lines.append(
                f"| {kind} | {len(values)} | {len(values) / elapsed:.0f} | "
                f"{statistics.median(values) * 1000:.1f} ms | {p99 * 1000:.1f} ms |"
            )
    if result["anchor"] is not None:
        lines.append(f"| anchor: the readers against a bare aiohttp handler | | "
                     f"{result['anchor']:.0f} | | |")  # fmt: skip
    if result["errors"]:
        lines += ["", "First errors:", *(f"- `{e}`" for e in result["errors"][:5])]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--anchor", action="store_true", help="also a bare handler, as long")
    args = parser.parse_args()
    text = report(asyncio.run(run(args.backend, args.seconds, args.anchor)))
    emit(text, args.out)


if __name__ == "__main__":
    main()
