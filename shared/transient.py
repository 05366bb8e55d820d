"""Whether a failure is the infrastructure's (a backend down, restarting or overloaded) rather
than the record's.

A consumer must not dead-letter a valid record because Kafka, the database or the search
engine was away for a few seconds: that loses it from the projection as surely as dropping
it. Such failures are waited out instead (`shared.adapters.delivery`); a record's own faults
still go to the dead-letter topic after the bounded retries.
"""

from __future__ import annotations

from functools import cache

# Statuses an HTTP backend answers while it is starting, shedding load or behind a proxy
# whose upstream is away: the same request succeeds later.
UNAVAILABLE_STATUSES = frozenset({429, 502, 503, 504})


@cache
def _connection_errors() -> tuple[type[BaseException], ...]:
    """The client libraries' own "could not reach / no answer in time" exceptions."""
    from elastic_transport import ConnectionError as ElasticConnectionError
    from elastic_transport import ConnectionTimeout as ElasticTimeout
    from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
    from pymongo.errors import ConnectionFailure, ExecutionTimeout

    return (
        ConnectionError,  # builtin: refused, reset, aborted (and the lean engine client's)
        TimeoutError,
        ConnectionFailure,  # pymongo: AutoReconnect, NetworkTimeout, server selection, pool
        ExecutionTimeout,
        OpenSearchConnectionError,  # also ConnectionTimeout
        ElasticConnectionError,
        ElasticTimeout,
    )


def _unavailable_status(exc: BaseException) -> bool:
    """An engine client's error for a 429/502/503/504 answer (opensearch-py's TransportError
    carries `status_code`, elasticsearch's ApiError `meta.status`)."""
    status = getattr(exc, "status_code", None)
    meta = getattr(exc, "meta", None)
    if not isinstance(status, int) and meta is not None:
        status = getattr(meta, "status", None)
    return isinstance(status, int) and status in UNAVAILABLE_STATUSES


def is_transient(exc: BaseException) -> bool:
    """True when `exc`, or an exception it was raised from, says a backend is unavailable."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _connection_errors()) or _unavailable_status(current):
            return True
        if getattr(current, "retriable", False) is True:  # aiokafka's retriable KafkaErrors
            return True
        current = current.__cause__  # `raise ... from`: a client wrapping the network error
    return False
