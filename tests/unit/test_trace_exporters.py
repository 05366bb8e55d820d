"""`SINMUN_TRACE_EXPORTER`: none makes no spans, otlp sends them over OTLP/HTTP (to a real
HTTP server on loopback here), anything else is refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from pydantic import ValidationError

from shared.settings import SinmunSettings
from shared.telemetry import (
    TracedBus,
    configure_tracing,
    current_traceparent,
    shutdown_tracing,
)


class Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:  # quiet
        return


@pytest.fixture
def collector() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    server.shutdown()
    server.server_close()


class Sink:
    """A bus that only remembers what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, bytes]] = []

    async def send(self, topic: str, key: str | None, value: bytes, headers: object) -> None:
        assert isinstance(headers, dict)
        self.sent.append(headers)


PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_otlp_sends_the_spans_to_the_collector(collector: str) -> None:
    Collector.received.clear()
    configure_tracing("otlp", service_name="sinmun-ingest", otlp_endpoint=collector)
    sink = Sink()
    bus = TracedBus(sink)  # type: ignore[arg-type]
    await bus.send("articles.published", "a1", b"{}", {"traceparent": PARENT.encode()})
    shutdown_tracing()  # flushes the batch
    ((path, content_type, body),) = Collector.received
    assert path == "/v1/traces" and content_type == "application/x-protobuf"
    request = ExportTraceServiceRequest.FromString(body)
    (resource_spans,) = request.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert service["service.name"] == "sinmun-ingest"
    (span,) = resource_spans.scope_spans[0].spans
    assert span.name == "publish articles.published"
    assert span.trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert span.parent_span_id.hex() == "00f067aa0ba902b7"
    # The record left with the publish span as its parent, in the same trace.
    sent = sink.sent[0]["traceparent"].decode()
    assert sent.split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert sent.split("-")[2] == span.span_id.hex()


async def test_none_makes_no_spans_and_passes_the_context_untouched() -> None:
    assert configure_tracing("none") is None
    sink = Sink()
    await TracedBus(sink).send("t", None, b"", {"traceparent": PARENT.encode()})  # type: ignore[arg-type]
    assert sink.sent == [{"traceparent": PARENT.encode()}]
    assert current_traceparent() is None


def test_unknown_exporters_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown trace exporter"):
        configure_tracing("jaeger")
    with pytest.raises(ValidationError):
        SinmunSettings(trace_exporter="jaeger")
