"""Ingest: the source of truth for articles (its API and consumers arrive with the ingest issue)."""

from __future__ import annotations

from aiohttp import web

from shared.ports.storage import DocumentStorage
from shared.service import Infrastructure
from shared.web import PROBES


class IngestService:
    name = "ingest"

    def __init__(self) -> None:
        self.storage: DocumentStorage | None = None

    def add_routes(self, app: web.Application) -> None:
        return None

    async def start(self, infra: Infrastructure, app: web.Application) -> None:
        self.storage = await infra.open_storage(self.name)
        app[PROBES][f"{self.name}.storage"] = self.storage.ping

    async def stop(self) -> None:
        if self.storage is not None:
            await self.storage.close()
