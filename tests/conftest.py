"""Fixtures every layer shares: where the real servers are, and whether they must be there."""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import os
import sys
import threading
from collections.abc import Iterator

import pytest

# pytest-timeout (120 s, pyproject) fails a test once; what hangs after that (a teardown whose
# event loop never finishes cancelling its tasks) has no timer left, and pytest cancels
# faulthandler's own timer when a test fails. This watchdog thread covers a test's whole
# protocol, set up to torn down: past it every thread's stack is printed and the run ends with
# an error instead of hanging CI.
WHOLE_TEST_LIMIT_S = 360.0


def _give_up(item: pytest.Item) -> None:
    capture = item.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.suspend_global_capture(in_=True)  # as pytest-timeout does: to the real stderr
    limit = f"{WHOLE_TEST_LIMIT_S:.0f} s"
    print(f"\n[watchdog] {item.nodeid} still running after {limit}", file=sys.stderr)
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    for task in [o for o in gc.get_objects() if isinstance(o, asyncio.Task) and not o.done()]:
        print(f"[watchdog] pending {task!r}", file=sys.stderr)  # which one ignores its cancel
    sys.stderr.flush()
    os._exit(3)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    watchdog = threading.Timer(WHOLE_TEST_LIMIT_S, _give_up, args=(item,))
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()


def real_server(variable: str) -> str:
    """The address of a real server from `.local/servers.env`, or skip (fail under CI's script).

    `make test` sets SINMUN_REQUIRE_REAL_SERVERS=1, so a missing server fails the run there
    instead of silently skipping the adapter's contract tests.
    """
    value = os.environ.get(variable)
    if value:
        return value
    message = f"{variable} is not set: start the servers with `bash deploy/local/up.sh`"
    if os.environ.get("SINMUN_REQUIRE_REAL_SERVERS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The Kafka topics this session's distributed tests made go with it."""
    from tests.backends import delete_session_topics

    delete_session_topics()
