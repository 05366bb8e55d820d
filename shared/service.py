"""What a service is to the process that runs it, and what the process gives it.

A service declares its routes up front (aiohttp freezes the router at start-up) and gets its
backends in `start`. Bootstraps (`services/bootstrap.py`) choose the adapters; services never
do, and never import each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from shared.ports.bus import BatchHandler, DeliveryPolicy, EventBus, Handler, Subscription
from shared.ports.storage import DocumentStorage
from shared.settings import SinmunSettings


@dataclass
class Infrastructure:
    """The adapters a process opened, shared by the services it runs."""

    settings: SinmunSettings
    bus: EventBus
    open_storage: Callable[[str], Awaitable[DocumentStorage]]
    subscriptions: list[Subscription] = field(default_factory=list)

    @property
    def delivery_policy(self) -> DeliveryPolicy:
        return DeliveryPolicy(
            max_attempts=self.settings.consumer_max_attempts,
            backoff_s=self.settings.consumer_retry_backoff_s,
        )

    async def consume(self, topic: str, group: str, handler: Handler) -> Subscription:
        """Join a consumer group; the process stops every subscription before closing stores."""
        subscription = await self.bus.subscribe(topic, group, handler, self.delivery_policy)
        self.subscriptions.append(subscription)
        return subscription

    async def consume_batches(self, topic: str, group: str, handler: BatchHandler) -> Subscription:
        """`consume` with a handler that takes each partition's fetched records at once."""
        subscription = await self.bus.subscribe_batches(topic, group, handler, self.delivery_policy)
        self.subscriptions.append(subscription)
        return subscription


INFRA = web.AppKey("infra", Infrastructure)


class Service(Protocol):
    name: str

    def add_routes(self, app: web.Application) -> None:
        """Register this service's HTTP routes (before the app starts)."""
        ...

    async def start(self, infra: Infrastructure, app: web.Application) -> None:
        """Open the service's stores, join its consumer groups, put its dependencies in `app`."""
        ...

    async def stop(self) -> None:
        """Release what `start` opened (consumers are already stopped)."""
        ...
