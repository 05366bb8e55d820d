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
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from bench import service_process as process
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
class ServiceProcess(process.ServiceProcess):
    """A service process a fault test can kill and restart; restarts keep its port."""

    async def start(self) -> None:
        """Spawn the process and wait until it answers `/healthz` (its consumers joined)."""
        self.spawn()
        await self.wait_answering("/healthz", asyncio.get_running_loop().time() + STARTUP_S)

    def kill9(self) -> None:
        """SIGKILL, no clean shutdown: whatever it was handling is cut off mid-way."""
        assert self.process is not None and self.process.poll() is None, f"{self.name} is down"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_S)

    async def restart(self) -> None:
        await self.start()


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
            service = ServiceProcess(name, self.log_dir / f"{name}.log", self.env)
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
