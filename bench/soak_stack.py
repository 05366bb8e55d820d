"""The soak's platform: ingest, search, boards and render, each its own `sinmun serve` process
on the real servers, in a Kafka namespace, database prefix and index prefix of the run's own.

Separate processes, not one app, because a soak looks for what grows or fails in each service
on its own (RSS per pid) and because that is how the distributed site runs. Everything the run
made (topics, databases, indexes) is deleted at the end: a broker keeping every past run's
partitions runs out of heap.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.search_speed import drop_engine_indexes, drop_run_data
from bench.service_process import ServiceProcess
from services.ingest.settings import IngestSettings
from shared.adapters.kafka_bus import KafkaBus
from shared.sessions import new_private_key_pem, private_key_from_pem, public_key_pem
from shared.settings import Mode, SearchEngine
from shared.topics import ALL_TOPICS

ROOT = Path(__file__).parent.parent
SERVICES = ("ingest", "search", "boards", "render")
PARTNER, PARTNER_SECRET = "경북통신", "soak-partner-secret"
STARTUP_S = 150.0  # four processes at once, search loading Kiwi, on a busy 2-core machine
STOP_S = 30.0


def run_settings(run_id: str, data_dir: Path) -> IngestSettings:
    """The servers of the environment (`.local/servers.env`), under names of this run's own.
    IngestSettings only because the drop helpers of bench.search_speed take it."""
    env = IngestSettings()
    return IngestSettings(
        mode=Mode.DISTRIBUTED, data_dir=data_dir,
        kafka_bootstrap_servers=env.kafka_bootstrap_servers, kafka_namespace=f"soak{run_id}.",
        mongo_url=env.mongo_url, mongo_db_prefix=f"soak{run_id}_",
        search_engine=SearchEngine.OPENSEARCH, search_url=env.search_url,
        search_index_prefix=f"soak{run_id}-",
    )  # fmt: skip


def error_lines(log_path: Path) -> list[str]:
    """A service log's lines at error level or above (the services log JSON, one event a line)."""
    found = []
    for line in log_path.read_text("utf-8", "replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            if "Traceback" in line:  # something printed outside structlog
                found.append(line)
            continue
        if entry.get("level") in ("error", "critical", "exception"):
            found.append(line)
    return found


@dataclass
class Stack:
    """The four services of one run, started together on the run's namespace."""

    settings: IngestSettings
    folder: Path
    session_key: str = field(default_factory=new_private_key_pem)
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in SERVICES:
            self.services[name] = ServiceProcess(name, self.folder / f"{name}.log")

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def env(self, name: str) -> dict[str, str]:
        s = self.settings
        public = public_key_pem(private_key_from_pem(self.session_key.encode()))
        env = {
            "SINMUN_MODE": "distributed", "SINMUN_DATA_DIR": str(s.data_dir),
            "SINMUN_KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers,
            "SINMUN_KAFKA_NAMESPACE": s.kafka_namespace, "SINMUN_MONGO_URL": s.mongo_url,
            "SINMUN_MONGO_DB_PREFIX": s.mongo_db_prefix,
            "SINMUN_SEARCH_ENGINE": s.search_engine.value, "SINMUN_SEARCH_URL": s.search_url,
            "SINMUN_SEARCH_INDEX_PREFIX": s.search_index_prefix,
            "SINMUN_SESSION_PUBLIC_KEY": public,
            "SINMUN_INGEST_PARTNER_SECRETS": json.dumps({PARTNER: PARTNER_SECRET}),
            "SINMUN_RENDER_SEARCH_API_URL": self["search"].base,
            "SINMUN_LOG_LEVEL": "WARNING", "SINMUN_LOG_FORMAT": "json",
        }  # fmt: skip
        if name == "boards":  # the signing key only where sessions are made
            env["SINMUN_BOARDS_SESSION_PRIVATE_KEY"] = self.session_key
        return {**os.environ, **env}

    async def start(self) -> None:
        """Create the registry's topics first (so the services can start side by side), then
        start all four and wait until each is ready."""
        s = self.settings
        bus = KafkaBus(s.kafka_bootstrap_servers, namespace=s.kafka_namespace)
        await bus.start()
        try:
            await bus.ensure_topics(list(ALL_TOPICS))
        finally:
            await bus.stop()
        for name, service in self.services.items():
            service.env = self.env(name)
            service.spawn()
        deadline = asyncio.get_running_loop().time() + STARTUP_S
        for service in self.services.values():  # `/readyz`: backends reachable, consumers on
            await service.wait_answering("/readyz", deadline)

    def pids(self) -> dict[str, int]:
        return {name: service.pid for name, service in self.services.items()}

    async def stop(self) -> None:
        await asyncio.gather(*(service.stop(STOP_S) for service in self.services.values()))

    async def tidy(self) -> None:
        """Delete the run's indexes, topics and databases."""
        await drop_engine_indexes(self.settings)
        await drop_run_data(self.settings)


@asynccontextmanager
async def running_stack(run_id: str, folder: Path) -> AsyncIterator[Stack]:
    """The started stack; stopped (by pid) and its data deleted however the run ends."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    stack = Stack(run_settings(run_id, folder / "data"), folder)
    try:
        await stack.start()
        yield stack
    finally:
        try:
            await stack.stop()
        finally:
            await stack.tidy()
