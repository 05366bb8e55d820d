"""The partner topic's consumer: check the record, then the same path as HTTP.

Anything that can never succeed (malformed JSON, unknown partner, bad signature, wrong key,
schema violation, oversize) is a poison record: it goes to `articles.submitted.dlq` at once
with the reason and the same field details an HTTP client would get.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from pydantic import SecretStr

from services.ingest.submissions import Ingestor, parse_submission
from shared.errors import ServiceError
from shared.ports.bus import PoisonRecordError, Record
from shared.signatures import SIGNATURE_HEADER, verify

MAX_RECORD_BYTES = 1_500_000


class SubmissionConsumer:
    def __init__(self, ingestor: Ingestor, partner_secrets: Mapping[str, SecretStr]) -> None:
        self._ingestor = ingestor
        self._secrets = partner_secrets

    async def on_submitted(self, record: Record) -> None:
        if len(record.value) > MAX_RECORD_BYTES:
            raise PoisonRecordError(
                "too_large", {"bytes": len(record.value), "limit": MAX_RECORD_BYTES}
            )
        try:
            document = json.loads(record.value)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
            await self._ingestor.submit(parse_submission(document))
        except ServiceError as exc:
            if exc.status >= 500 or exc.status == 409:
                raise  # transient: retried by the bus
            raise PoisonRecordError(exc.code, exc.details) from exc
