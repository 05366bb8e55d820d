"""API tokens for the newsroom and partners: shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from shared.ports.storage import Collection, DocumentStorage, DuplicateKeyError, IndexSpec

TOKEN_PREFIX = "snm_"
# A valid token is remembered this long by the process that checked it, so a busy client
# costs one store read per interval, not one per request; a revocation in another process
# (`sinmun token revoke`) therefore takes effect within this time (in this one, at once).
VERIFIED_FOR_S = 2.0
VERIFIED_MEMORY = 10_000


class TokenRole(StrEnum):
    REPORTER = "reporter"
    EDITOR = "editor"
    ADMIN = "admin"
    PARTNER = "partner"


STAFF_ROLES = frozenset({TokenRole.REPORTER, TokenRole.EDITOR, TokenRole.ADMIN})


@dataclass(frozen=True)
class Principal:
    """Who a valid token belongs to; a partner may submit only under its own source."""

    name: str
    role: TokenRole

    def may_submit_as(self, source: str, newsroom_source: str) -> bool:
        if self.role is TokenRole.PARTNER:
            return source == self.name
        return source == newsroom_source


class TokenNameTakenError(ValueError):
    pass


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, tokens: Collection, clock: Callable[[], float] = time.monotonic) -> None:
        self._tokens = tokens
        self._clock = clock
        self._verified: dict[str, tuple[float, Principal]] = {}  # digest -> (until, principal)

    @classmethod
    async def open(cls, storage: DocumentStorage) -> TokenStore:
        return cls(await storage.collection("tokens", [IndexSpec(("name",), unique=True)]))

    async def create(self, name: str, role: TokenRole) -> str:
        """A new token for `name`; the plain token is returned once and never stored."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        doc = {
            "_id": _digest(token),
            "name": name,
            "role": role.value,
            "created_at": datetime.now(UTC).isoformat(),
            "version": 1,
        }
        try:
            await self._tokens.insert(doc)
        except DuplicateKeyError as exc:
            raise TokenNameTakenError(f"a token named {name!r} exists; revoke it first") from exc
        return token

    async def revoke(self, name: str) -> bool:
        docs = await self._tokens.find({"name": name})
        for doc in docs:
            await self._tokens.delete(doc["_id"])
            self._verified.pop(doc["_id"], None)
        return bool(docs)

    async def verify(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        digest = _digest(token)
        now = self._clock()
        remembered = self._verified.get(digest)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        doc = await self._tokens.get(digest)
        if doc is None:  # only valid tokens are remembered: guessing fills no memory
            self._verified.pop(digest, None)
            return None
        principal = Principal(name=doc["name"], role=TokenRole(doc["role"]))
        if len(self._verified) >= VERIFIED_MEMORY:
            self._verified.clear()
        self._verified[digest] = (now + VERIFIED_FOR_S, principal)
        return principal
