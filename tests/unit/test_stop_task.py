"""stop_task: ends a background task, and never swallows its caller's own cancellation."""

from __future__ import annotations

import asyncio

import pytest

from shared.tasks import stop_task


async def test_a_stopped_task_is_cancelled_and_the_caller_carries_on() -> None:
    task = asyncio.create_task(asyncio.sleep(60))
    await stop_task(task)
    assert task.cancelled()


async def test_none_is_nothing_to_stop() -> None:
    await stop_task(None)


async def test_a_caller_cancelled_while_it_waits_is_cancelled_too() -> None:
    """The shape of a shutdown that used to hang: `asyncio.run` cancels every task, a
    supervisor among them is waiting in stop_task for a slow-to-stop child, and the
    supervisor's own cancellation must reach it (not be taken for the child's)."""
    child_cancelled = asyncio.Event()
    release = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            child_cancelled.set()
            await release.wait()  # its own clean-up takes a while
            raise

    child = asyncio.create_task(slow_to_stop())
    await asyncio.sleep(0)
    carried_on = False

    async def supervisor() -> None:
        nonlocal carried_on
        await stop_task(child)
        carried_on = True  # reached only if the supervisor's cancellation was swallowed

    parent = asyncio.create_task(supervisor())
    await child_cancelled.wait()
    parent.cancel()
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await parent
    assert not carried_on
    assert child.cancelled()


async def test_a_clean_up_after_the_callers_own_cancellation_stops_every_task() -> None:
    """The shape of a clean stop of `sinmun serve` (SIGTERM): aiohttp's `run_app` cancels its
    main task and runs the app's clean-up in that task's `finally`, where it still counts as
    cancelling. Each stop_task there must return, so the next step runs too (consumers leave
    their groups, stores close) instead of the first one ending the whole clean-up."""
    first = asyncio.create_task(asyncio.sleep(60))
    second = asyncio.create_task(asyncio.sleep(60))
    stopped: list[str] = []

    async def main_task() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await stop_task(first)
            stopped.append("first")
            await stop_task(second)
            stopped.append("second")

    runner = asyncio.create_task(main_task())
    await asyncio.sleep(0)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert stopped == ["first", "second"]
    assert first.cancelled()
    assert second.cancelled()
