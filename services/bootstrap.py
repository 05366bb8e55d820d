"""The one place where adapters are chosen and services are wired into a process.

Embedded (`sinmun up`): all four services in one process on the SQLite log and SQLite stores.
Distributed (`sinmun serve NAME`): one service per process on Kafka and MongoDB.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from services.boards.app import BoardsService
from services.ingest.app import IngestService
from services.ingest.outbox import OutboxRelay
from services.ingest.store import ArticleStore
from services.ingest.submissions import Ingestor
from services.render.app import RenderService
from services.search.app import SearchService
from shared.adapters.local_bus import LocalBus
from shared.adapters.sqlite_store import SqliteStorage
from shared.auth import VERIFIER
from shared.forwarded import forwarded_middleware
from shared.metrics import LagMonitor
from shared.ports.bus import EventBus
from shared.ports.storage import DocumentStorage
from shared.service import INFRA, Infrastructure, Service
from shared.sessions import session_verifier, sessions_configured
from shared.settings import Mode, SinmunSettings
from shared.telemetry import TracedBus, tracing_enabled, tracing_middleware
from shared.topics import ALL_TOPICS
from shared.web import PROBES, base_application

SERVICES: dict[str, Callable[[], Service]] = {
    "ingest": IngestService,
    "search": SearchService,
    "boards": BoardsService,
    "render": RenderService,
}


def make_bus(settings: SinmunSettings) -> EventBus:
    if settings.mode is Mode.EMBEDDED:
        return LocalBus(settings.data_dir / "bus.sqlite3")
    # Imported here: an embedded process never loads aiokafka or pymongo (~0.1 s of its start).
    from shared.adapters.kafka_bus import KafkaBus

    return KafkaBus(
        settings.kafka_bootstrap_servers,
        client_id=settings.kafka_client_id,
        replication_factor=settings.kafka_replication_factor,
        namespace=settings.kafka_namespace,
    )


async def open_storage(settings: SinmunSettings, service: str) -> DocumentStorage:
    """A service's own database: a SQLite file, or a MongoDB database of its own."""
    storage: DocumentStorage
    if settings.mode is Mode.EMBEDDED:
        storage = SqliteStorage(settings.data_dir / f"{service}.sqlite3")
    else:
        from shared.adapters.mongo_store import MongoStorage

        storage = MongoStorage(settings.mongo_url, settings.mongo_db_prefix + service)
    await storage.open()
    return storage


@asynccontextmanager
async def open_infrastructure(settings: SinmunSettings) -> AsyncIterator[Infrastructure]:
    bus = TracedBus(make_bus(settings))  # spans around publishing and consuming
    await bus.start()
    try:
        await bus.ensure_topics(list(ALL_TOPICS))

        async def storage_for(service: str) -> DocumentStorage:
            return await open_storage(settings, service)

        infra = Infrastructure(settings=settings, bus=bus, open_storage=storage_for)
        try:
            yield infra
        finally:
            for subscription in reversed(infra.subscriptions):
                await subscription.stop()
    finally:
        await bus.stop()


@asynccontextmanager
async def open_ingestor(settings: SinmunSettings) -> AsyncIterator[Ingestor]:
    """Ingest's write path without its server (for `sinmun ingest`): store, relay, ingestor."""
    async with open_infrastructure(settings) as infra:
        storage = await infra.open_storage("ingest")
        try:
            store = await ArticleStore.open(storage)
            yield Ingestor(store, OutboxRelay(store, infra.bus), settings.sections)
        finally:
            await storage.close()


def create_app(settings: SinmunSettings, names: list[str]) -> web.Application:
    """An application running the named services on the adapters `settings` choose."""
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        raise ValueError(f"unknown services: {', '.join(unknown)}")
    services = [SERVICES[name]() for name in names]
    app = base_application(names)
    if settings.trusted_proxies:
        app.middlewares.append(forwarded_middleware(settings.trusted_proxies))
    if tracing_enabled():  # configured before the app is made; off, it is a layer for nothing
        app.middlewares.append(tracing_middleware)
    for service in services:
        service.add_routes(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with open_infrastructure(settings) as infra:
            app[PROBES]["bus"] = infra.bus.ping
            app[INFRA] = infra
            lag = LagMonitor(infra.bus, settings.metrics_lag_interval_s)
            started: list[Service] = []
            try:
                for service in services:
                    await service.start(infra, app)
                    started.append(service)
                if VERIFIER not in app and sessions_configured(settings):
                    # Not boards: member sessions verified with boards' public key alone.
                    app[VERIFIER] = session_verifier(settings)
                lag.start()
                yield
            finally:
                await lag.stop()
                # Consumers stop before the stores they write to close.
                for subscription in reversed(infra.subscriptions):
                    await subscription.stop()
                infra.subscriptions.clear()
                for service in reversed(started):
                    await service.stop()

    app.cleanup_ctx.append(lifecycle)
    return app
