"""`SINMUN_LOG_FORMAT=json`: one JSON object a line, and a consumer's lines carry the trace id
of the record it handles (from the record's `traceparent` header), as HTTP handlers' do."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence

import pytest
import structlog

from shared.adapters.delivery import trace_id
from shared.logs import configure_logging
from shared.ports.bus import PoisonRecordError, Record
from shared.telemetry import traced_batch_handler, traced_handler

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def record(offset: int, trace: str | None = TRACE) -> Record:
    headers = {} if trace is None else {"traceparent": f"00-{trace}-00f067aa0ba902b7-01".encode()}
    return Record("articles.published", 0, offset, "a1", b"{}", headers)


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The processors `SINMUN_LOG_FORMAT=json` configures, writing to a buffer, not stderr."""
    configure_logging("INFO", "json")
    out = io.StringIO()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(out))
    yield out
    structlog.reset_defaults()


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_a_consumers_log_lines_carry_the_records_trace_id(
    json_logs: io.StringIO,
) -> None:
    log = structlog.get_logger("test.consumer")

    async def handle(r: Record) -> None:
        log.info("indexed", offset=r.offset)

    handler = traced_handler("articles.published", "search", handle)
    await handler(record(7))
    await handler(record(8, trace=None))
    log.info("after")
    first, second, after = lines(json_logs)
    assert first["event"] == "indexed" and first["trace_id"] == TRACE
    assert first["level"] == "info" and str(first["timestamp"]).endswith("Z")
    assert "trace_id" not in second and "trace_id" not in after  # bound for one record only


async def test_a_batch_of_one_trace_binds_it_and_a_mixed_batch_binds_none(
    json_logs: io.StringIO,
) -> None:
    log = structlog.get_logger("test.batch")

    async def handle(records: Sequence[Record]) -> list[PoisonRecordError | None]:
        log.info("batch", records=len(records))
        return [None] * len(records)

    handler = traced_batch_handler("articles.submitted", "ingest", handle)
    await handler([record(1), record(2)])
    await handler([record(3), record(4, trace="1" * 32)])
    same, mixed = lines(json_logs)
    assert same["trace_id"] == TRACE
    assert "trace_id" not in mixed


def test_dead_letter_log_lines_name_the_trace() -> None:
    assert trace_id(record(1)) == TRACE
    assert trace_id(record(1, trace=None)) is None
    assert trace_id(Record("t", 0, 0, None, b"", {"traceparent": b"garbage"})) is None
