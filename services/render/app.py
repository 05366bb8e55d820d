"""Render: the public site (its pages and read models arrive with the render issue)."""

from __future__ import annotations

from aiohttp import web

from shared.ports.storage import DocumentStorage
from shared.service import Infrastructure
from shared.web import PROBES

PLACEHOLDER = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>신문 Sinmun</title></head>
<body><h1>신문 Sinmun</h1><p>플랫폼이 실행 중입니다. The platform is running.</p>
<p><a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a> ·
<a href="/metrics">/metrics</a></p>
</body></html>
"""


async def home(request: web.Request) -> web.Response:
    return web.Response(text=PLACEHOLDER, content_type="text/html")


class RenderService:
    name = "render"

    def __init__(self) -> None:
        self.storage: DocumentStorage | None = None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", home)

    async def start(self, infra: Infrastructure, app: web.Application) -> None:
        self.storage = await infra.open_storage(self.name)
        app[PROBES][f"{self.name}.storage"] = self.storage.ping

    async def stop(self) -> None:
        if self.storage is not None:
            await self.storage.close()
