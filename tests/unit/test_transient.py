"""Which failures are a backend's (waited out) and which a record's (retried, dead-lettered)."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaConnectionError, RecordTooLargeError
from opensearchpy.exceptions import ConnectionError as EngineUnreachable
from opensearchpy.exceptions import NotFoundError, RequestError, TransportError
from pymongo.errors import AutoReconnect, DuplicateKeyError, ServerSelectionTimeoutError

from shared.adapters.engine_http import EngineHttpError
from shared.transient import is_transient


def _wrapped(outer: Exception, inner: Exception) -> Exception:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "refused"),
        TimeoutError("no answer"),
        EngineHttpError("the engine closed the connection"),
        EngineUnreachable("N/A", "refused", None),
        TransportError(503, "unavailable", {}),
        TransportError(429, "too many requests", {}),
        AutoReconnect("primary stepped down"),
        ServerSelectionTimeoutError("no server"),
        KafkaConnectionError(),
        _wrapped(RuntimeError("index failed"), ConnectionResetError()),
    ],
)
def test_a_backend_away_is_transient(exc: Exception) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad headline"),
        KeyError("headline"),
        RequestError(400, "mapper_parsing_exception", {}),
        NotFoundError(404, "index_not_found_exception", {}),
        DuplicateKeyError("E11000"),
        RecordTooLargeError(),
        TypeError("unhashable"),
    ],
)
def test_a_record_at_fault_is_not(exc: Exception) -> None:
    assert not is_transient(exc)
