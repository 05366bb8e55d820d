"""A Sinmun service in its own process for a benchmark (or a fault test), and waiting until it
answers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientError, ClientSession

ROOT = Path(__file__).parent.parent
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


@dataclass
class ServiceProcess:
    """One `sinmun serve NAME` process with its own log file; its port is fixed before the
    start (so a restart keeps its URL, and a service can be told another's)."""

    name: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def spawn(self) -> None:
        with self.log_path.open("ab") as log:
            # A file, not a pipe nobody reads: a full pipe would stall the service mid-run.
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from services.cli import main; main()",
                 "serve", self.name, "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    async def wait_answering(self, path: str, deadline: float) -> None:
        """Until `GET path` answers 200, or the loop's time passes `deadline`."""
        loop = asyncio.get_running_loop()
        async with ClientSession() as session:
            while True:
                if not self.alive():
                    raise RuntimeError(f"{self.name} exited; see {self.log_path}")
                try:
                    async with session.get(self.base + path) as response:
                        if response.status == 200:
                            return
                except ClientError:
                    pass
                if loop.time() > deadline:
                    raise RuntimeError(f"{self.name} did not answer {path}; see {self.log_path}")
                await asyncio.sleep(0.1)

    async def stop(self, wait_s: float = 30.0) -> None:
        """SIGTERM (the consumers leave their groups), SIGKILL if it hangs."""
        await stop_gracefully(self.process, wait_s)
