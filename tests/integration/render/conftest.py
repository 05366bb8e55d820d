"""Render's storage on each backend: SQLite (embedded) and FerretDB (distributed)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.adapters.mongo_store import MongoStorage
from shared.adapters.sqlite_store import SqliteStorage
from shared.ports.storage import DocumentStorage
from tests.conftest import real_server


@pytest.fixture(params=["sqlite", "mongo"])
async def render_storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[DocumentStorage]:
    """A fresh render database: a SQLite file, or a FerretDB database of its own."""
    storage: SqliteStorage | MongoStorage
    if request.param == "sqlite":
        storage = SqliteStorage(tmp_path / "render.sqlite3")
    else:
        storage = MongoStorage(real_server("SINMUN_MONGO_URL"), f"t{uuid.uuid4().hex[:10]}_render")
    await storage.open()
    yield storage
    if isinstance(storage, MongoStorage):
        await storage.drop()
    await storage.close()
