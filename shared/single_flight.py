"""One load per key at a time: whoever asks while it runs shares its result (no stampede when
a popular cached page expires and many readers ask for it at once)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._loading: dict[K, asyncio.Future[V]] = {}

    def running(self, key: K) -> bool:
        """Whether a load of `key` is under way."""
        return key in self._loading

    async def run(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """`load()`'s result, or that of the load of `key` already under way (or its error)."""
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters re-raise it
            raise
        finally:
            del self._loading[key]
        future.set_result(value)
        return value
