"""An ingest service on each backend: embedded (SQLite) and distributed (Kafka + FerretDB)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.bootstrap import create_app
from services.ingest.settings import IngestSettings
from services.ingest.tokens import TokenRole, TokenStore
from shared.adapters.local_bus import LocalBus
from shared.adapters.mongo_store import MongoStorage
from shared.adapters.sqlite_store import SqliteStorage
from shared.ports.bus import Record
from shared.schemas import Envelope, decode_envelope
from shared.service import INFRA, Infrastructure
from shared.topics import ARTICLES_PUBLISHED, ARTICLES_SUBMITTED
from tests.backends import backend_settings

PARTNER = "경북통신"
PARTNER_SECRET = "test-only-partner-secret"
ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]


async def open_embedded_parts(tmp_path: Path) -> tuple[SqliteStorage, LocalBus]:
    """Ingest's SQLite storage and a local bus with `articles.published`, both open."""
    storage = SqliteStorage(tmp_path / "ingest.sqlite3")
    await storage.open()
    bus = LocalBus(tmp_path / "bus.sqlite3")
    await bus.start()
    await bus.ensure_topics([ARTICLES_PUBLISHED])
    return storage, bus


@dataclass
class IngestUnderTest:
    client: TestClient  # type: ignore[type-arg]
    infra: Infrastructure
    settings: IngestSettings
    tokens: dict[str, str] = field(default_factory=dict)
    published: list[Envelope] = field(default_factory=list)  # type: ignore[type-arg]
    dead: list[Record] = field(default_factory=list)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def until(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.05)

    def versions_published(self, article_id: str) -> list[int]:
        return [
            e.payload.article.version
            for e in self.published
            if e.payload.article.article_id == article_id
        ]


@pytest.fixture(params=["embedded", "distributed"])
def ingest_settings(request: pytest.FixtureRequest, tmp_path: Path) -> IngestSettings:
    return backend_settings(
        IngestSettings, request.param, tmp_path,
        ingest_partner_secrets={PARTNER: PARTNER_SECRET}, ingest_outbox_sweep_s=0.5,
        consumer_retry_backoff_s=0.01, consumer_max_attempts=2,
    )  # fmt: skip


@pytest.fixture
async def ingest(
    ingest_settings: IngestSettings, aiohttp_client: ClientFactory
) -> AsyncIterator[IngestUnderTest]:
    app = create_app(ingest_settings, ["ingest"])
    client = await aiohttp_client(app)
    infra = app[INFRA]
    under_test = IngestUnderTest(client, infra, ingest_settings)
    storage = await infra.open_storage("ingest")
    tokens = await TokenStore.open(storage)
    for name, role in (
        ("kang", TokenRole.REPORTER),
        (PARTNER, TokenRole.PARTNER),
        ("desk", TokenRole.EDITOR),
    ):
        under_test.tokens[name] = await tokens.create(name, role)

    async def on_published(record: Record) -> None:
        under_test.published.append(decode_envelope(record.value))

    async def on_dead(record: Record) -> None:
        under_test.dead.append(record)

    await infra.consume(ARTICLES_PUBLISHED.name, "test-observer", on_published)
    await infra.consume(ARTICLES_SUBMITTED.dlq, "test-observer", on_dead)
    yield under_test
    if isinstance(storage, MongoStorage):
        await storage.drop()
    await storage.close()
