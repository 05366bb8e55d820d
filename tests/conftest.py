"""Fixtures every layer shares: where the real servers are, and whether they must be there."""

from __future__ import annotations

import os

import pytest


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
