"""`sinmun up` and `sinmun serve` as an operator runs them: real processes, real signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import real_server

STARTUP_BUDGET_S = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_healthy(base: str, process: subprocess.Popen[bytes], budget: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < budget:
        if process.poll() is not None:
            raise AssertionError(
                f"exited early: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            if get_json(base + "/healthz")[0] == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"/healthz did not answer within {budget}s")


def start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from services.cli import main; main()", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_up_answers_within_five_seconds_and_stops_cleanly(tmp_path: Path, stop_signal: int) -> None:
    port = free_port()
    process = start(["up", "--port", str(port), "--data-dir", str(tmp_path / "data")], tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, STARTUP_BUDGET_S)
        status, ready = get_json(base + "/readyz")
        assert status == 200, ready
        assert ready["checks"] == {
            "bus": True,
            "ingest.storage": True,
            "search.index": True,
            "search.posts": True,
            "boards.storage": True,
            "render.storage": True,
        }
        with urllib.request.urlopen(base + "/metrics", timeout=2) as response:
            assert b"sinmun_http_requests_total" in response.read()
    finally:
        process.send_signal(stop_signal)
        code = process.wait(timeout=15)
    assert code == 0, process.stderr.read().decode() if process.stderr else ""
    assert sorted(p.name for p in (tmp_path / "data").glob("*.sqlite3")) == [
        "boards.sqlite3",
        "bus.sqlite3",
        "ingest.sqlite3",
        "render.sqlite3",
        "search.sqlite3",
        "search_posts.sqlite3",
    ]


def test_up_refuses_a_port_in_use_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start(["up", "--port", str(port), "--data-dir", str(tmp_path)], tmp_path)
        code = process.wait(timeout=15)
    assert code != 0
    assert b"address already in use" in (process.stderr.read() if process.stderr else b"").lower()


@pytest.mark.parametrize("service", ["ingest", "render"])
def test_serve_runs_one_service_on_kafka_and_mongo(tmp_path: Path, service: str) -> None:
    env = {
        "SINMUN_KAFKA_BOOTSTRAP_SERVERS": real_server("SINMUN_KAFKA_BOOTSTRAP_SERVERS"),
        "SINMUN_MONGO_URL": real_server("SINMUN_MONGO_URL"),
        "SINMUN_MONGO_DB_PREFIX": f"it_{tmp_path.name[-8:]}_",
    }
    port = free_port()
    process = start(["serve", service, "--port", str(port)], tmp_path, env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, 30)
        status, ready = get_json(base + "/readyz")
        assert status == 200, ready
        assert ready["checks"] == {"bus": True, f"{service}.storage": True}
        assert get_json(base + "/healthz")[1]["services"] == [service]
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    assert code == 0


def test_serve_runs_search_on_kafka_and_opensearch(tmp_path: Path) -> None:
    prefix = f"it-{tmp_path.name[-8:].lower()}-"
    env = {
        "SINMUN_KAFKA_BOOTSTRAP_SERVERS": real_server("SINMUN_KAFKA_BOOTSTRAP_SERVERS"),
        "SINMUN_SEARCH_ENGINE": "opensearch",
        "SINMUN_SEARCH_URL": real_server("SINMUN_SEARCH_URL"),
        "SINMUN_SEARCH_INDEX_PREFIX": prefix,
    }
    port = free_port()
    process = start(["serve", "search", "--port", str(port)], tmp_path, env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, 30)
        status, ready = get_json(base + "/readyz")
        assert status == 200, ready
        assert ready["checks"] == {"bus": True, "search.index": True, "search.posts": True}
        assert get_json(base + "/api/search/status")[1] == {
            "generation": "1",
            "documents": 0,
            "posts": {"generation": "1", "documents": 0},
        }
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
        for kind in ("articles", "posts"):
            request = urllib.request.Request(
                f"{env['SINMUN_SEARCH_URL']}/{prefix}sinmun-{kind}-v1", method="DELETE"
            )
            urllib.request.urlopen(request, timeout=10).close()
    assert code == 0
