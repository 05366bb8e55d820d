"""Slowing down password guessing, per account and per client address.

Failures are counted in the service's own storage (so every replica sees them) within a
window; past the allowed number, each further failure locks the key for twice as long as the
last (30 s, 60 s, 120 s …, at most an hour). A success clears the account's count.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.ports.storage import Collection, DocumentStorage, DuplicateKeyError

MAX_LOCK = timedelta(hours=1)


class LoginThrottle:
    def __init__(
        self, failures: Collection, max_failures: int, window: timedelta, first_lock: timedelta
    ) -> None:
        self._failures = failures
        self._max = max_failures
        self._window = window
        self._first_lock = first_lock

    @classmethod
    async def open(
        cls, storage: DocumentStorage, max_failures: int, window_s: int, lock_s: int
    ) -> LoginThrottle:
        collection = await storage.collection("login_failures")
        return cls(collection, max_failures, timedelta(seconds=window_s), timedelta(seconds=lock_s))

    async def wait_s(self, *keys: str) -> int:
        """Seconds until any of `keys` may try again (0: now)."""
        now = datetime.now(UTC)
        longest = 0.0
        for key in keys:
            doc = await self._failures.get(key)
            if doc and doc.get("locked_until"):
                left = (datetime.fromisoformat(doc["locked_until"]) - now).total_seconds()
                longest = max(longest, left)
        return int(longest + 0.999)

    async def failed(self, *keys: str) -> None:
        for key in keys:
            for _ in range(5):  # compare-and-set; a concurrent failure may come first
                if await self._count(key):
                    break

    async def _count(self, key: str) -> bool:
        now = datetime.now(UTC)
        doc = await self._failures.get(key)
        if doc is None or now - datetime.fromisoformat(doc["since"]) > self._window:
            fresh: dict[str, Any] = {"_id": key, "since": now.isoformat(), "count": 1,
                                     "locks": 0, "locked_until": None, "version": 1}  # fmt: skip
            if doc is None:
                try:
                    await self._failures.insert(fresh)
                    return True
                except DuplicateKeyError:
                    return False
            return await self._failures.compare_and_set(
                {**fresh, "version": doc["version"] + 1}, doc["version"]
            )
        count = doc["count"] + 1
        locks, locked_until = doc["locks"], doc.get("locked_until")
        if count >= self._max:
            lock = min(self._first_lock * (2**locks), MAX_LOCK)
            locks, locked_until = locks + 1, (now + lock).isoformat()
        updated = {**doc, "count": count, "locks": locks, "locked_until": locked_until,
                   "version": doc["version"] + 1}  # fmt: skip
        return await self._failures.compare_and_set(updated, doc["version"])

    async def succeeded(self, key: str) -> None:
        await self._failures.delete(key)
