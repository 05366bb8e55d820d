"""Background tasks: what every long-running loop of a service needs to end cleanly."""

from __future__ import annotations

import asyncio
from typing import Any


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel a background task and wait until it has ended (None: nothing was started).

    The task's own CancelledError is swallowed; the caller's is not: a caller cancelled while
    it waits (e.g. by `asyncio.run`'s shutdown cancelling every task) still ends, instead of
    carrying on as if it had only stopped its task.
    """
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
