"""The one error type services raise at their HTTP edge, rendered as the JSON error body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError


class ServiceError(Exception):
    """An error a client should see: status, machine-readable code, message, details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})  # e.g. Retry-After on a 429

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def validation_details(error: ValidationError) -> list[dict[str, str]]:
    """pydantic's errors as `{"field": "images.0.url", "message", "type"}` entries."""
    return [
        {
            "field": ".".join(str(part) for part in e["loc"]) or "(root)",
            "message": e["msg"],
            "type": e["type"],
        }
        for e in error.errors(include_url=False)
    ]
