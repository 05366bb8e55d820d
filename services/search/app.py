"""Search: the Korean search projection (its index and API arrive with the search issue)."""

from __future__ import annotations

from aiohttp import web

from shared.service import Infrastructure


class SearchService:
    name = "search"

    def add_routes(self, app: web.Application) -> None:
        return None

    async def start(self, infra: Infrastructure, app: web.Application) -> None:
        return None

    async def stop(self) -> None:
        return None
