"""Settings for a test on either backend: embedded, or the real servers under a fresh namespace."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from aiokafka.admin import AIOKafkaAdminClient

from services.ingest.tokens import TokenRole, TokenStore
from shared.adapters.engine_client import engine_client
from shared.adapters.mongo_store import MongoStorage
from shared.service import INFRA
from shared.settings import Mode, SearchEngine, SinmunSettings
from tests.conftest import real_server

S = TypeVar("S", bound=SinmunSettings)

# The Kafka namespaces this session's tests made, deleted when it ends (tests/conftest.py).
NAMESPACES: list[str] = []


def session_name(prefix: str, length: int = 10) -> str:
    """`prefix` plus a fresh suffix, recorded so the Kafka topics under it (the name itself, its
    `.dlq`, or a namespace's topics) are deleted when the test session ends."""
    name = f"{prefix}{uuid.uuid4().hex[:length]}"
    NAMESPACES.append(name)
    return name


def backend_settings(
    model: type[S],
    backend: str,
    tmp_path: Path,
    *,
    search_engine: bool = False,
    distributed: Mapping[str, Any] | None = None,
    **values: Any,
) -> S:
    """`model` for `backend` ("embedded" or "distributed") with data under `tmp_path/data`.

    Distributed: Kafka topics and MongoDB databases of this run's own (and, with
    `search_engine`, OpenSearch indexes), so tests never see each other's records;
    `distributed` holds values only that backend takes (e.g. a session key)."""
    values = {"data_dir": tmp_path / "data", **values}
    if backend == "embedded":
        return model(mode=Mode.EMBEDDED, **values)
    namespace = session_name("t") + "."
    run = namespace[1:-1]
    servers: dict[str, Any] = {
        "kafka_bootstrap_servers": real_server("SINMUN_KAFKA_BOOTSTRAP_SERVERS"),
        "kafka_namespace": f"t{run}.",
        "mongo_url": real_server("SINMUN_MONGO_URL"),
        "mongo_db_prefix": f"t{run}_",
    }
    if search_engine:
        servers |= {
            "search_engine": SearchEngine.OPENSEARCH,
            "search_url": real_server("SINMUN_SEARCH_URL"),
            "search_index_prefix": f"t{run}-",
        }
    return model(mode=Mode.DISTRIBUTED, **servers, **dict(distributed or {}), **values)


def delete_session_topics() -> None:
    """Delete the topics of NAMESPACES: a broker keeping every past run's partitions runs out
    of heap (thousands of topics after a day of test runs)."""
    bootstrap = os.environ.get("SINMUN_KAFKA_BOOTSTRAP_SERVERS")
    if not NAMESPACES or not bootstrap:
        return
    prefixes = tuple(NAMESPACES)

    async def delete() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            names = [t for t in await admin.list_topics() if t.startswith(prefixes)]
            if names:
                await admin.delete_topics(names)
        finally:
            await admin.close()

    try:
        asyncio.run(delete())
    except Exception as exc:  # the broker is gone: nothing to tidy, and no test to fail
        print(f"tests: could not delete this run's Kafka topics: {exc!r}")
    NAMESPACES.clear()


async def reporter_token(app: web.Application, name: str = "kang") -> str:
    """A new reporter's API token, kept in the app's ingest store."""
    storage = await app[INFRA].open_storage("ingest")
    try:
        return await (await TokenStore.open(storage)).create(name, TokenRole.REPORTER)
    finally:
        await storage.close()


async def drop_run_data(settings: SinmunSettings, services: Iterable[str]) -> None:
    """Distributed: this run's search indexes and the services' MongoDB databases go
    (embedded data lives under the test's tmp_path)."""
    if settings.mode is not Mode.DISTRIBUTED:
        return
    if settings.search_engine is SearchEngine.OPENSEARCH:
        engine = engine_client("opensearch", settings.search_url)
        for kind in ("articles", "posts"):
            await engine.delete_index(f"{settings.search_index_prefix}sinmun-{kind}-v*")
        await engine.close()
    for name in services:
        mongo = MongoStorage(settings.mongo_url, settings.mongo_db_prefix + name)
        await mongo.open()
        await mongo.drop()
        await mongo.close()
