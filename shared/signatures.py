"""Partner signatures on `articles.submitted` records: HMAC-SHA256 over the record's value."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "sinmun-signature"
SCHEME = "sha256="


def sign(secret: str, value: bytes) -> str:
    """The header value a partner sends: `sha256=<hex digest>`."""
    return SCHEME + hmac.new(secret.encode(), value, hashlib.sha256).hexdigest()


def verify(secret: str, value: bytes, signature: str | None) -> bool:
    if not signature or not signature.startswith(SCHEME):
        return False
    # As bytes: compare_digest refuses str with non-ASCII characters (a header that was not
    # UTF-8 reads as U+FFFD), and a refusal must be False, not an exception.
    return hmac.compare_digest(sign(secret, value).encode(), signature.strip().encode())
