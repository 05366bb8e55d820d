"""A Sinmun service in its own process for a benchmark, and waiting until it answers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from aiohttp import ClientSession

SERVICE_LOG = Path(tempfile.gettempdir()) / "sinmun-bench-service.log"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(command: list[str], env_extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """`sinmun COMMAND…` on a free port; the process and its base URL."""
    port = free_port()
    env = {**os.environ, **env_extra, "SINMUN_PORT": str(port), "SINMUN_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from services.cli import main; main()", *command],
        # A file, not a pipe nobody reads: a full pipe would stall the service mid-benchmark.
        env=env, stdout=SERVICE_LOG.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


async def wait_ready(base: str, path: str, process: subprocess.Popen[bytes]) -> None:
    """Until `GET path` answers 200 (a minute at most)."""
    async with ClientSession() as session:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"the service exited; see {SERVICE_LOG}")
            try:
                async with session.get(base + path) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the service did not answer {path}; see {SERVICE_LOG}")


async def stop_gracefully(process: subprocess.Popen[bytes] | None, wait_s: float = 30.0) -> None:
    """SIGTERM (a service's consumers then leave their groups), SIGKILL if it is not gone
    after `wait_s`; nothing if it already exited."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(process.wait, wait_s)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait)
