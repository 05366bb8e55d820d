"""OpenTelemetry tracing: one submission, one trace through ingest, search and render.

The W3C `traceparent` travels in the envelope and in every record's headers. Three hooks make
the spans, none of them inside a service:

- `tracing_middleware` (added by the bootstrap): a SERVER span per HTTP request, a child of the
  caller's `traceparent` if it sent one; ingest stores that span's context in the events it makes;
- `TracedBus.send`: a PRODUCER span per record that carries a trace, whose context replaces the
  record's `traceparent` header (the envelope keeps the request's);
- `TracedBus.subscribe*`: a CONSUMER span per record handled, a child of its header's context,
  with the trace id bound into the log lines the handler writes.

Tracing is off until `configure_tracing` is called (`SINMUN_TRACE_EXPORTER`, default `none`):
then the middleware and the bus only pass context along and bind trace ids into logs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.errors import ServiceError
from shared.ports.bus import (
    BatchHandler,
    DeliveryPolicy,
    EventBus,
    Handler,
    Outgoing,
    PoisonRecordError,
    Record,
    Subscription,
    envelope_headers,
)
from shared.schemas.envelope import Envelope
from shared.topics import Topic

if TYPE_CHECKING:  # the SDK loads only when tracing is turned on (a faster start without)
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

EXPORTERS = ("none", "console", "otlp")
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
INVALID_TRACE_ID = "0" * 32
_propagator = TraceContextTextMapPropagator()
_state: dict[str, Any] = {"provider": None, "tracer": None}


def configure_tracing(
    exporter: str = "none",
    *,
    service_name: str = "sinmun",
    otlp_endpoint: str = "",
    span_exporter: SpanExporter | None = None,
) -> TracerProvider | None:
    """Turn tracing on with an exporter (`console`, `otlp`, or `span_exporter` given, which is
    exported synchronously, as tests want); `none` turns it off. Returns the provider."""
    shutdown_tracing()
    if span_exporter is None and exporter == "none":
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if span_exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    elif exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = otlp_endpoint or None  # None: the exporter's OTEL_EXPORTER_OTLP_* defaults
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    else:
        raise ValueError(f"unknown trace exporter {exporter!r} (one of {', '.join(EXPORTERS)})")
    _state["provider"] = provider
    _state["tracer"] = provider.get_tracer("sinmun")
    return provider


def shutdown_tracing() -> None:
    """Flush and stop the exporter; tracing is off afterwards."""
    provider = _state["provider"]
    _state["provider"] = _state["tracer"] = None
    if provider is not None:
        provider.shutdown()


def tracing_enabled() -> bool:
    """Whether `configure_tracing` turned tracing on (the app then needs `tracing_middleware`)."""
    return _state["tracer"] is not None


def _tracer() -> Tracer | None:
    tracer: Tracer | None = _state["tracer"]
    return tracer


def _context_of(traceparent: str | None) -> Context | None:
    """The remote parent a `traceparent` names (None when absent or malformed)."""
    if not traceparent:
        return None
    context = _propagator.extract({"traceparent": traceparent})
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def _traceparent_of(span: Span) -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, trace.set_span_in_context(span))
    return carrier.get("traceparent")


def current_traceparent() -> str | None:
    """The `traceparent` of the span in progress (e.g. the request's), if tracing is on."""
    span = trace.get_current_span()
    return _traceparent_of(span) if span.get_span_context().is_valid else None


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id a W3C `traceparent` names (None when absent or malformed); a regex, not
    the propagator, as it runs for every record consumed, traced or not."""
    match = TRACEPARENT.match(traceparent or "")
    if match is None or match.group(1) == INVALID_TRACE_ID:
        return None
    return match.group(1)


def _bind_trace_id(trace_id: str | None) -> Mapping[str, Any]:
    """Bind `trace_id` into log lines; returns what `_unbind` needs (a plain call, not a
    context manager: it runs for every record consumed)."""
    return {} if trace_id is None else structlog.contextvars.bind_contextvars(trace_id=trace_id)


def _unbind(tokens: Mapping[str, Any]) -> None:
    if tokens:
        structlog.contextvars.reset_contextvars(**tokens)


@web.middleware
async def tracing_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A SERVER span around the request; its trace id goes into the request's log lines."""
    tracer = _tracer()
    if tracer is None or request.path in UNTRACED_PATHS:
        return await handler(request)
    info = request.match_info.route.resource
    route = info.canonical if info is not None else "unmatched"
    with tracer.start_as_current_span(
        f"{request.method} {route}",
        context=_context_of(request.headers.get("traceparent")),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": request.method, "http.route": route,
                    "url.path": request.path},
        record_exception=False,
        set_status_on_exception=False,
    ) as span:  # fmt: skip
        structlog.contextvars.bind_contextvars(
            trace_id=format(span.get_span_context().trace_id, "032x")
        )
        try:
            response = await handler(request)
        except (ServiceError, web.HTTPException) as exc:
            _http_status(span, exc.status)
            raise
        except Exception as exc:
            span.record_exception(exc)
            _http_status(span, 500)
            raise
        _http_status(span, response.status)
        return response


def _http_status(span: Span, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


def _messaging(topic: str, operation: str, record: Record | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation.type": operation,
    }
    if record is not None:
        attributes["messaging.destination.partition.id"] = str(record.partition)
        attributes["messaging.kafka.offset"] = record.offset
        event_id = record.header("sinmun-event-id")
        if event_id is not None:
            attributes["messaging.message.id"] = event_id
    return attributes


def traced_handler(topic: str, group: str, handler: Handler) -> Handler:
    """`handler` inside a CONSUMER span that continues the record's trace (one per attempt)."""

    async def handle(record: Record) -> None:
        traceparent = record.header("traceparent")
        tokens = _bind_trace_id(trace_id_of(traceparent))
        try:
            tracer = _tracer()
            if tracer is None:
                await handler(record)
                return
            attributes = _messaging(topic, "process", record)
            attributes["messaging.consumer.group.name"] = group
            with tracer.start_as_current_span(
                f"process {topic}",
                context=_context_of(traceparent),
                kind=SpanKind.CONSUMER,
                attributes=attributes,
            ):
                await handler(record)
        finally:
            _unbind(tokens)

    return handle


def traced_batch_handler(topic: str, group: str, handler: BatchHandler) -> BatchHandler:
    """`handler` with a CONSUMER span per record of the batch (each continuing its own trace;
    all as long as the batch); a record marked poison ends its span with an error."""

    async def handle(records: Sequence[Record]) -> Sequence[PoisonRecordError | None]:
        trace_ids = {trace_id_of(r.header("traceparent")) for r in records}
        single = next(iter(trace_ids)) if len(trace_ids) == 1 else None
        tokens = _bind_trace_id(single)
        try:
            tracer = _tracer()
            if tracer is None:
                return await handler(records)
            return await _handle_in_spans(tracer, topic, group, handler, records)
        finally:
            _unbind(tokens)

    return handle


async def _handle_in_spans(
    tracer: Tracer, topic: str, group: str, handler: BatchHandler, records: Sequence[Record]
) -> Sequence[PoisonRecordError | None]:
    spans = [_batch_span(tracer, topic, group, r) for r in records]
    try:
        outcomes = await handler(records)
        for span, outcome in zip(spans, outcomes, strict=False):
            if outcome is not None:
                span.set_status(Status(StatusCode.ERROR, outcome.reason))
        return outcomes
    except Exception as exc:
        for span in spans:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        for span in spans:
            span.end()


def _batch_span(tracer: Tracer, topic: str, group: str, record: Record) -> Span:
    attributes = _messaging(topic, "process", record)
    attributes["messaging.consumer.group.name"] = group
    return tracer.start_span(
        f"process {topic}",
        context=_context_of(record.header("traceparent")),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
    )


class TracedBus:
    """An EventBus that adds producer and consumer spans around the adapter it wraps."""

    def __init__(self, bus: EventBus) -> None:
        self.inner = bus

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # an adapter's own extras (e.g. consumer_lag)

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def ensure_topics(self, topics: list[Topic]) -> None:
        await self.inner.ensure_topics(topics)

    async def send(
        self,
        topic: str,
        key: str | None,
        value: bytes,
        headers: Mapping[str, bytes] | None = None,
    ) -> None:
        tracer = _tracer()
        raw = None if tracer is None or headers is None else headers.get("traceparent")
        parent = None if raw is None else _context_of(raw.decode("ascii", "replace"))
        if tracer is None or parent is None or headers is None:
            await self.inner.send(topic, key, value, headers)
            return
        with tracer.start_as_current_span(
            f"publish {topic}",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes=_messaging(topic, "send"),
        ) as span:
            outgoing = dict(headers)
            traceparent = _traceparent_of(span)
            if traceparent is not None:
                outgoing["traceparent"] = traceparent.encode()
            await self.inner.send(topic, key, value, outgoing)

    async def send_many(self, topic: str, records: Sequence[Outgoing]) -> list[Exception | None]:
        """Without tracing, or with no record carrying a trace: the adapter's one call. With
        traced records: each sent in turn through `send`, inside its own producer span."""
        traced = _tracer() is not None and any(
            r.headers is not None and "traceparent" in r.headers for r in records
        )
        if not traced:
            return await self.inner.send_many(topic, records)
        outcomes: list[Exception | None] = []
        for record in records:
            try:
                await self.send(topic, *record)
            except Exception as exc:  # reported for this record, as the adapters do
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes

    async def publish(self, topic: str, key: str, envelope: Envelope[Any]) -> None:
        await self.send(topic, key, envelope.model_dump_json().encode(), envelope_headers(envelope))

    async def subscribe(
        self, topic: str, group: str, handler: Handler, policy: DeliveryPolicy | None = None
    ) -> Subscription:
        return await self.inner.subscribe(
            topic, group, traced_handler(topic, group, handler), policy
        )

    async def subscribe_batches(
        self, topic: str, group: str, handler: BatchHandler, policy: DeliveryPolicy | None = None
    ) -> Subscription:
        return await self.inner.subscribe_batches(
            topic, group, traced_batch_handler(topic, group, handler), policy
        )

    async def end_offsets(self, topic: str) -> dict[int, int]:
        return await self.inner.end_offsets(topic)

    async def read(self, topic: str, partition: int, start: int, stop: int) -> list[Record]:
        return await self.inner.read(topic, partition, start, stop)

    async def ping(self) -> bool:
        return await self.inner.ping()
