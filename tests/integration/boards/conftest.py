"""The boards service on each storage backend: embedded (SQLite) and FerretDB (+ Kafka)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.boards.settings import BoardsSettings
from services.bootstrap import create_app
from shared.adapters.mongo_store import MongoStorage
from shared.ports.bus import Record
from shared.schemas import decode_envelope
from shared.service import INFRA
from shared.sessions import new_private_key_pem
from tests.backends import backend_settings

ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]
STRONG = "영일만-바다-2026-봄"


@dataclass
class Boards:
    client: TestClient  # type: ignore[type-arg]
    settings: BoardsSettings
    app: web.Application

    async def sign_up(self, email: str, nickname: str, password: str = STRONG) -> Any:
        return await self.client.post(
            "/api/members", json={"email": email, "nickname": nickname, "password": password}
        )

    async def until(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():  # noqa: ASYNC110 - waiting on a consumer's side effect
                await asyncio.sleep(0.05)

    async def log_in(self, login: str, password: str = STRONG) -> Any:
        return await self.client.post("/api/sessions", json={"login": login, "password": password})

    async def observe(self, topic: str) -> list[Any]:
        """The payloads of the events on `topic`, filled in as they arrive (a new consumer group
        reads from the start, so events published before are seen too)."""
        seen: list[Any] = []

        async def collect(record: Record) -> None:
            seen.append(decode_envelope(record.value).payload)

        await self.app[INFRA].consume(topic, f"observer-{uuid.uuid4().hex[:8]}", collect)
        return seen

    def cli_env(self) -> dict[str, str]:
        """The environment a `sinmun` command needs to work on this fixture's backend."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SINMUN_")}
        s = self.settings
        env.update({"SINMUN_MODE": s.mode.value, "SINMUN_DATA_DIR": str(s.data_dir),
                    "SINMUN_MONGO_URL": s.mongo_url, "SINMUN_MONGO_DB_PREFIX": s.mongo_db_prefix,
                    "SINMUN_KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers,
                    "SINMUN_KAFKA_NAMESPACE": s.kafka_namespace})  # fmt: skip
        return env


@pytest.fixture(params=["embedded", "distributed"])
def boards_settings(request: pytest.FixtureRequest, tmp_path: Path) -> BoardsSettings:
    return backend_settings(
        BoardsSettings, request.param, tmp_path,
        distributed={"boards_session_private_key": new_private_key_pem()},
        boards_login_max_failures=3, boards_login_lock_s=2,
    )  # fmt: skip


BoardsFactory = Callable[..., Awaitable[Boards]]


@pytest.fixture
async def boards_factory(
    boards_settings: BoardsSettings, aiohttp_client: ClientFactory
) -> AsyncIterator[BoardsFactory]:
    """Start the boards service with settings changed (`boards_blocklist=[...]`, …)."""
    started: list[web.Application] = []

    async def start(**overrides: Any) -> Boards:
        settings = BoardsSettings.model_validate({**boards_settings.model_dump(), **overrides})
        app = create_app(settings, ["boards"])
        client = await aiohttp_client(app)
        started.append(app)
        return Boards(client, settings, app)

    yield start
    for app in started:
        storage = await app[INFRA].open_storage("boards")
        if isinstance(storage, MongoStorage):
            await storage.drop()
        await storage.close()


@pytest.fixture
async def boards(boards_factory: BoardsFactory) -> Boards:
    return await boards_factory()
