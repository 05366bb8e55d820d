"""Background tasks: what every long-running loop of a service needs to end cleanly."""

from __future__ import annotations

import asyncio
from typing import Any


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel a background task and wait until it has ended (None: nothing was started).

    The task's own CancelledError is swallowed; the caller's is not: a caller cancelled while
    it waits (e.g. by `asyncio.run`'s shutdown cancelling every task) still ends, instead of
    carrying on as if it had only stopped its task. A cancellation the caller had received
    before (aiohttp's `run_app` cancels its main task on SIGTERM, then runs the app's
    clean-up in it) is not this wait's: the caller goes on stopping the rest.
    """
    if task is None:
        return
    current = asyncio.current_task()
    cancelled_before = current.cancelling() if current is not None else 0
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        if current is not None and current.cancelling() > cancelled_before:
            raise
