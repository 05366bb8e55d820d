"""Sinmun services as separate `sinmun serve NAME` processes on the real servers, for fault
tests: start, `kill -9`, restart, stop; and the run's own namespace, deleted afterwards.

Each stack gets a Kafka namespace, MongoDB database prefix and search index prefix of its own
(`tests.backends.backend_settings`), so tests never see each other's records; `close` stops
the processes it started (by pid) and deletes the topics, databases and indexes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiokafka.admin import AIOKafkaAdminClient

from bench.service_process import free_port, stop_gracefully
from shared.settings import SinmunSettings
from tests.backends import backend_settings, drop_run_data
from tests.resilience.partner_feed import partner_env

ROOT = Path(__file__).parents[2]
STARTUP_S = 90.0  # search loads Kiwi; on a busy 2-core machine that takes a while
STOP_S = 30.0


def service_env(settings: SinmunSettings, extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a `sinmun serve` process on `settings`' servers and namespace."""
    env = {
        "SINMUN_MODE": "distributed",
        "SINMUN_DATA_DIR": str(settings.data_dir),
        "SINMUN_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "SINMUN_KAFKA_NAMESPACE": settings.kafka_namespace,
        "SINMUN_MONGO_URL": settings.mongo_url,
        "SINMUN_MONGO_DB_PREFIX": settings.mongo_db_prefix,
        "SINMUN_SEARCH_ENGINE": settings.search_engine.value,
        "SINMUN_SEARCH_URL": settings.search_url,
        "SINMUN_SEARCH_INDEX_PREFIX": settings.search_index_prefix,
        "SINMUN_LOG_LEVEL": "WARNING",
    }
    return {**os.environ, **env, **extra}


@dataclass
class ServiceProcess:
    """One `sinmun serve NAME` process; restarts keep its port, so its URL stays."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from services.cli import main; main()",
                 "serve", self.name, "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    async def start(self) -> None:
        """Spawn the process and wait until it answers `/healthz` (its consumers joined)."""
        self.spawn()
        await self.wait_healthy()

    async def wait_healthy(self) -> None:
        deadline = asyncio.get_running_loop().time() + STARTUP_S
        async with aiohttp.ClientSession() as session:
            while True:
                if self.process is None or self.process.poll() is not None:
                    raise AssertionError(f"{self.name} exited; see {self.log_path}")
                try:
                    async with session.get(self.base + "/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"{self.name} did not start; see {self.log_path}")
                await asyncio.sleep(0.1)

    def kill9(self) -> None:
        """SIGKILL, no clean shutdown: whatever it was handling is cut off mid-way."""
        assert self.process is not None and self.process.poll() is None, f"{self.name} is down"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_S)

    async def restart(self) -> None:
        await self.start()

    async def stop(self) -> None:
        """SIGTERM (a clean stop: the consumers leave their groups), SIGKILL if it hangs."""
        await stop_gracefully(self.process, STOP_S)


@dataclass
class Stack:
    """The services of one test, each its own process, on a namespace of the test's own."""

    settings: SinmunSettings
    env: dict[str, str]
    log_dir: Path
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    @classmethod
    def create(cls, tmp_path: Path, extra_env: Mapping[str, str]) -> Stack:
        settings = backend_settings(SinmunSettings, "distributed", tmp_path, search_engine=True)
        return cls(settings, service_env(settings, extra_env), tmp_path)

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    async def start(self, *names: str) -> None:
        """Start the named services one after the other (each creates any missing topic)."""
        for name in names:
            service = ServiceProcess(name, self.env, self.log_dir / f"{name}.log")
            self.services[name] = service
            await service.start()

    async def stop(self, *names: str) -> None:
        await asyncio.gather(*(self.services[n].stop() for n in names or self.services))

    async def close(self) -> None:
        """Stop every process, then delete the run's topics, databases and indexes."""
        await self.stop()
        try:
            await drop_run_data(self.settings, ["ingest", "search", "render"])
        finally:
            await delete_topics(self.settings)


@asynccontextmanager
async def fault_stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """A stack whose ingest takes the test partner's signed submissions and sweeps its outbox
    every 2 s; closed (processes stopped, run data deleted) on leaving."""
    stack = Stack.create(tmp_path, {**partner_env(), "SINMUN_INGEST_OUTBOX_SWEEP_S": "2"})
    try:
        yield stack
    finally:
        await stack.close()


async def delete_topics(settings: SinmunSettings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(settings.kafka_namespace)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()
