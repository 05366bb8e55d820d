"""The ports every service programs against; adapters live in `shared.adapters`."""

from shared.ports.bus import (
    DeliveryPolicy,
    EventBus,
    Handler,
    PoisonRecordError,
    Record,
    Subscription,
)
from shared.ports.search import SearchIndex
from shared.ports.storage import Collection, DocumentStorage, DuplicateKeyError, IndexSpec

__all__ = [
    "Collection",
    "DeliveryPolicy",
    "DocumentStorage",
    "DuplicateKeyError",
    "EventBus",
    "Handler",
    "IndexSpec",
    "PoisonRecordError",
    "Record",
    "SearchIndex",
    "Subscription",
]
