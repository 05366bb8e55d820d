"""Ingest and search together on each backend: embedded, and Kafka + FerretDB + OpenSearch."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.bootstrap import create_app
from services.ingest.settings import IngestSettings
from services.ingest.tokens import TokenRole, TokenStore
from shared.adapters.engine_client import engine_client
from shared.adapters.mongo_store import MongoStorage
from shared.service import INFRA
from shared.settings import SearchEngine
from tests.backends import backend_settings

DATA = Path(__file__).parents[2] / "data"
ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]


def corpus() -> list[dict[str, Any]]:
    """The corpus articles, all as the newsroom's own (the test's token is a reporter's)."""
    lines = (DATA / "articles.jsonl").read_text("utf-8").splitlines()
    return [{**json.loads(line), "source": "newsroom"} for line in lines]


@dataclass
class Platform:
    client: TestClient  # type: ignore[type-arg]
    token: str
    settings: IngestSettings
    app: web.Application

    async def submit(self, document: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(
            "/api/articles", json=document, headers={"Authorization": f"Bearer {self.token}"}
        )
        assert response.status in (200, 201, 202), await response.text()
        body: dict[str, Any] = await response.json()
        return body

    async def search(self, **params: str) -> dict[str, Any]:
        response = await self.client.get("/api/search", params=params)
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body

    async def until_indexed(self, documents: int, timeout: float = 30.0) -> None:
        """Wait until the index holds `documents` live articles."""
        async with asyncio.timeout(timeout):
            while True:
                response = await self.client.get("/api/search/status")
                if (await response.json())["documents"] == documents:
                    return
                await asyncio.sleep(0.05)

    async def until_total(self, total: int, timeout: float = 30.0, **params: str) -> dict[str, Any]:
        """Search until `total` hits are found (publishing is asynchronous)."""
        async with asyncio.timeout(timeout):
            # Polling is the point: the reader's view of an asynchronous projection.
            while (body := await self.search(**params))["total"] != total:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        return body


@pytest.fixture(params=["embedded", "distributed"])
def platform_settings(request: pytest.FixtureRequest, tmp_path: Path) -> IngestSettings:
    return backend_settings(
        IngestSettings, request.param, tmp_path, search_engine=True, consumer_retry_backoff_s=0.01
    )


@pytest.fixture
async def platform(
    platform_settings: IngestSettings, aiohttp_client: ClientFactory
) -> AsyncIterator[Platform]:
    app = create_app(platform_settings, ["ingest", "search"])
    client = await aiohttp_client(app)
    infra = app[INFRA]
    storage = await infra.open_storage("ingest")
    token = await (await TokenStore.open(storage)).create("kang", TokenRole.REPORTER)
    yield Platform(client, token, platform_settings, app)
    await client.close()  # consumers stop before their index goes
    if platform_settings.search_engine is SearchEngine.OPENSEARCH:
        engine = engine_client("opensearch", platform_settings.search_url)
        for kind in ("articles", "posts"):
            await engine.delete_index(f"{platform_settings.search_index_prefix}sinmun-{kind}-v*")
        await engine.close()
    if isinstance(storage, MongoStorage):
        await storage.drop()
    await storage.close()
