"""The partner topic's consumer: check each record, then the same path as HTTP, in batches.

Anything that can never succeed (malformed JSON, unknown partner, bad signature, wrong key,
schema violation, oversize) is a poison record: it goes to `articles.submitted.dlq` at once
with the reason and the same field details an HTTP client would get. A fetched run of
records is taken in with one `Ingestor.submit_many` (one read of the stories, one write, one
publish batch); the bus commits the offsets once the versions and their events are stored
(the outbox publishes them, while the next run is taken in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson
import structlog
from pydantic import SecretStr

from services.ingest.submissions import Ingestor, Submission, parse_submission
from shared.errors import ServiceError
from shared.ports.bus import PoisonRecordError, Record
from shared.schemas import ArticleSubmission, TraceContext
from shared.signatures import SIGNATURE_HEADER, verify

MAX_RECORD_BYTES = 1_500_000
# Stored batches whose events may still be on their way: enough for the three partitions
# to keep storing while the relay publishes a large batch.
PUBLISHING_BATCHES = 8
log = structlog.get_logger("sinmun.ingest.partners")


def partner_trace(record: Record) -> TraceContext | None:
    """The producer's trace (its `traceparent` header), continued by the published event."""
    traceparent = record.header("traceparent")
    if not traceparent:  # the usual case: no validation error built only to be dropped
        return None
    try:
        return TraceContext(traceparent=traceparent)
    except ValueError:  # malformed: the story is taken in without a trace
        return None


class SubmissionConsumer:
    def __init__(self, ingestor: Ingestor, partner_secrets: Mapping[str, SecretStr]) -> None:
        self._ingestor = ingestor
        self._secrets = partner_secrets
        self._consuming = False

    async def on_submitted_batch(self, records: Sequence[Record]) -> list[PoisonRecordError | None]:
        """Per record, None once stored with its event or the reason it is poison. A store
        failure raises: the bus retries the records one by one."""
        if not self._consuming:
            # Once a run: when partner records began to flow (a backlog's drain starts here).
            self._consuming = True
            log.info("partner_records_flowing", records=len(records))
        outcomes: list[PoisonRecordError | None] = [None] * len(records)
        accepted: list[tuple[int, Submission]] = []
        for index, record in enumerate(records):
            try:
                accepted.append((index, (self._check(record), partner_trace(record))))
            except PoisonRecordError as exc:
                outcomes[index] = exc
        # Done (and its offset committed) once stored with its event: the outbox publishes it
        # exactly once even if we die first. A few batches may be publishing meanwhile.
        await self._ingestor.publishing_below(PUBLISHING_BATCHES)
        results = await self._ingestor.submit_many([s for _, s in accepted], wait_published=False)
        for (index, _), result in zip(accepted, results, strict=True):
            if isinstance(result, ServiceError):
                if result.status >= 500 or result.status == 409:
                    raise result  # transient
                outcomes[index] = PoisonRecordError(result.code, result.details)
        return outcomes

    def _check(self, record: Record) -> ArticleSubmission:
        """The record's submission, if it is well-formed and signed by its partner."""
        if len(record.value) > MAX_RECORD_BYTES:
            raise PoisonRecordError(
                "too_large", {"bytes": len(record.value), "limit": MAX_RECORD_BYTES}
            )
        try:
            document = orjson.loads(record.value)
        except orjson.JSONDecodeError as exc:  # also for bytes that are not UTF-8
            raise PoisonRecordError("malformed_json", {"message": str(exc)}) from exc
        if not isinstance(document, dict):
            raise PoisonRecordError(
                "malformed_json", {"message": "the value must be a JSON object"}
            )
        source = document.get("source")
        secret = self._secrets.get(source) if isinstance(source, str) else None
        if secret is None:
            raise PoisonRecordError("unknown_source", {"source": source})
        if not verify(secret.get_secret_value(), record.value, record.header(SIGNATURE_HEADER)):
            raise PoisonRecordError("bad_signature", {"source": source, "header": SIGNATURE_HEADER})
        expected_key = f"{source}:{document.get('guid')}"
        if record.key != expected_key:
            raise PoisonRecordError("bad_key", {"expected": expected_key, "got": record.key})
        try:
            return parse_submission(document)
        except ServiceError as exc:
            raise PoisonRecordError(exc.code, exc.details) from exc
