"""SIGKILL of ingest in the middle of 2,000 partner submissions loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.bootstrap import make_bus
from services.ingest.domain import article_id_for
from shared.adapters.local_bus import LocalBus
from shared.ports.bus import EventBus, Record
from shared.settings import SinmunSettings
from shared.signatures import SIGNATURE_HEADER, sign
from shared.topics import ALL_TOPICS, ARTICLES_PUBLISHED, ARTICLES_SUBMITTED
from tests.conftest import real_server
from tests.integration.ingest.conftest import PARTNER, PARTNER_SECRET
from tests.integration.test_sinmun_up import free_port, wait_healthy

DATA = Path(__file__).parents[2] / "data"
STORIES = 2000


@pytest.fixture(params=["embedded", "distributed"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    run = uuid.uuid4().hex[:10]
    values = {
        "SINMUN_DATA_DIR": str(tmp_path / "data"),
        "SINMUN_INGEST_PARTNER_SECRETS": json.dumps({PARTNER: PARTNER_SECRET}),
        "SINMUN_INGEST_OUTBOX_SWEEP_S": "2",
    }
    if request.param == "distributed":
        values |= {
            "SINMUN_MODE": "distributed",
            "SINMUN_KAFKA_BOOTSTRAP_SERVERS": real_server("SINMUN_KAFKA_BOOTSTRAP_SERVERS"),
            "SINMUN_KAFKA_NAMESPACE": f"crash{run}.",
            "SINMUN_MONGO_URL": real_server("SINMUN_MONGO_URL"),
            "SINMUN_MONGO_DB_PREFIX": f"crash{run}_",
        }
    return values


@pytest.fixture
async def partner(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[EventBus]:
    """The partner's producer (and our auditor): the same bus the server uses, from outside."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bus = make_bus(SinmunSettings())
    await bus.start()
    await bus.ensure_topics(list(ALL_TOPICS))
    yield bus
    await bus.stop()


async def published_so_far(bus: EventBus, seen: list[Record]) -> int:
    """Progress as the server sees it: the log's end offsets when embedded (the auditor's own
    polling lags by up to a second there), the audited records on Kafka (pushed at once)."""
    if isinstance(bus, LocalBus):
        return sum((await bus.end_offsets(ARTICLES_PUBLISHED.name)).values())
    return len(seen)


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = "up" if env.get("SINMUN_MODE") != "distributed" else "serve"
    args = ["up"] if command == "up" else ["serve", "ingest"]
    return subprocess.Popen(
        [sys.executable, "-c", "from services.cli import main; main()", *args, "--port", str(port)],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.timeout(900)
async def test_sigkill_mid_stream_loses_and_duplicates_nothing(
    env: dict[str, str], partner: EventBus
) -> None:
    port = free_port()
    server = start_server(env, port)
    wait_healthy(f"http://127.0.0.1:{port}", server, 30)
    seen: list[Record] = []

    async def audit(record: Record) -> None:
        seen.append(record)

    await partner.subscribe(ARTICLES_PUBLISHED.name, "audit", audit)
    template = json.loads((DATA / "articles.jsonl").read_text("utf-8").splitlines()[0])
    for n in range(STORIES):
        value = json.dumps({**template, "source": PARTNER, "guid": f"crash-{n:04d}"}).encode()
        headers = {SIGNATURE_HEADER: sign(PARTNER_SECRET, value).encode()}
        await partner.send(ARTICLES_SUBMITTED.name, f"{PARTNER}:crash-{n:04d}", value, headers)

    while await published_so_far(partner, seen) < STORIES // 10:
        assert server.poll() is None
        await asyncio.sleep(0.01)
    server.send_signal(signal.SIGKILL)  # no clean shutdown: mid-handler, mid-commit
    server.wait(timeout=10)
    assert await published_so_far(partner, seen) < STORIES, "the kill came too late"

    restarted = start_server(env, port)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", restarted, 30)
        deadline = asyncio.get_running_loop().time() + 600
        while (
            len({json.loads(r.value)["payload"]["article"]["article_id"] for r in seen}) < STORIES
        ):
            assert asyncio.get_running_loop().time() < deadline, f"only {len(seen)} published"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.5)  # room for a late duplicate to show
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=30) == 0
    events = [json.loads(r.value) for r in seen]
    expected = {article_id_for(PARTNER, f"crash-{n:04d}") for n in range(STORIES)}
    assert {e["payload"]["article"]["article_id"] for e in events} == expected  # nothing lost
    assert {e["payload"]["article"]["version"] for e in events} == {1}  # no story re-versioned
    assert len({e["event_id"] for e in events}) == STORIES  # one event per stored version
    # A kill between a publish and its outbox mark re-sends that event with the same event_id
    # (consumers drop it). At most one story per partition plus the sweep is in flight.
    assert len(events) - STORIES <= ARTICLES_SUBMITTED.partitions + 1
