"""Ingest: the source of truth for articles; the newsroom API and the partner topic."""

from __future__ import annotations

import asyncio

from aiohttp import web

from services.ingest import api
from services.ingest.handlers import SubmissionConsumer
from services.ingest.outbox import OutboxRelay
from services.ingest.settings import IngestSettings
from services.ingest.store import ArticleStore
from services.ingest.submissions import Ingestor
from services.ingest.tokens import TokenStore
from shared.auth import VERIFIER
from shared.ports.storage import DocumentStorage
from shared.service import Infrastructure
from shared.sessions import session_verifier
from shared.tasks import stop_task
from shared.topics import ARTICLES_SUBMITTED
from shared.web import PROBES

CONSUMER_GROUP = "ingest"


class IngestService:
    name = "ingest"

    def __init__(self) -> None:
        self.storage: DocumentStorage | None = None
        self._sweeper: asyncio.Task[None] | None = None

    def add_routes(self, app: web.Application) -> None:
        api.add_routes(app)

    async def start(self, infra: Infrastructure, app: web.Application) -> None:
        settings = IngestSettings(**infra.settings.model_dump())
        self.storage = await infra.open_storage(self.name)
        app[PROBES][f"{self.name}.storage"] = self.storage.ping
        store = await ArticleStore.open(self.storage)
        relay = OutboxRelay(store, infra.bus)
        ingestor = Ingestor(store, relay, settings.sections)
        if VERIFIER not in app and settings.session_public_key:
            # Distributed: reporters' sessions (the 기사쓰기 form) verified with boards' key;
            # embedded, boards puts its verifier in the app.
            app[VERIFIER] = session_verifier(settings)
        app[api.DEPS] = api.IngestDeps(
            ingestor=ingestor,
            store=store,
            tokens=await TokenStore.open(self.storage),
            newsroom_source=settings.ingest_newsroom_source,
        )
        # Events a previous run stored but did not publish go out first (less those it did
        # publish but not mark), then a sweep stays on.
        await relay.recall_published()
        self._sweeper = asyncio.create_task(relay.run(settings.ingest_outbox_sweep_s))
        consumer = SubmissionConsumer(ingestor, settings.ingest_partner_secrets)
        await infra.consume_batches(
            ARTICLES_SUBMITTED.name, CONSUMER_GROUP, consumer.on_submitted_batch
        )

    async def stop(self) -> None:
        await stop_task(self._sweeper)
        if self.storage is not None:
            await self.storage.close()
