"""Ingest: the source of truth for articles; the newsroom API and the partner topic."""

from __future__ import annotations

import asyncio
import gc

from aiohttp import web

from services.ingest import api, openapi
from services.ingest.handlers import SubmissionConsumer
from services.ingest.outbox import OutboxRelay
from services.ingest.settings import IngestSettings
from services.ingest.store import ArticleStore
from services.ingest.submissions import Ingestor
from services.ingest.tokens import TokenStore
from shared.auth import VERIFIER
from shared.openapi import serve_document
from shared.ports.storage import DocumentStorage
from shared.service import Infrastructure
from shared.sessions import session_verifier
from shared.tasks import stop_task
from shared.topics import ARTICLES_SUBMITTED
from shared.web import PROBES

CONSUMER_GROUP = "ingest"
# A young collection after this many container allocations (CPython's default: 700).
GC_YOUNG_THRESHOLD = 20_000


def collect_garbage_less_often() -> None:
    """Ingest allocates many short-lived containers per article (parsed JSON, models, the
    documents and events), and with CPython's defaults the cyclic collector ran so often
    that it took ~20% of the event loop while draining the partner topic (py-spy --native),
    most of it walking the objects loaded at start again and again. Those are frozen (never
    collected: they live as long as the process) and young collections run less often. It
    only changes when cycles are found, never what is freed; the process is this one's, or
    embedded, the platform's, which allocates the same way. Once per process (garbage
    collected first, so none of it is frozen)."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()
    young, *older = gc.get_threshold()
    gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), *older)


async def tune_garbage_collection(app: web.Application) -> None:
    """`collect_garbage_less_often` as the last start-up step of a server process running
    ingest (`sinmun serve ingest`, `sinmun up`). Only there: a process that builds many apps
    (the test suite) would keep the cycles of each for far longer, with their native memory
    (a Kiwi model is ~100 MB) that the collector's counts never see."""
    collect_garbage_less_often()


class IngestService:
    name = "ingest"

    def __init__(self) -> None:
        self.storage: DocumentStorage | None = None
        self._sweeper: asyncio.Task[None] | None = None

    def add_routes(self, app: web.Application) -> None:
        api.add_routes(app)
        serve_document(app, self.name, openapi.document)

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
