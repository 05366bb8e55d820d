"""API tokens for the newsroom and partners: shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from shared.ports.storage import Collection, DocumentStorage, DuplicateKeyError, IndexSpec

TOKEN_PREFIX = "snm_"


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
    def __init__(self, tokens: Collection) -> None:
        self._tokens = tokens

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
        return bool(docs)

    async def verify(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        doc = await self._tokens.get(_digest(token))
        if doc is None:
            return None
        return Principal(name=doc["name"], role=TokenRole(doc["role"]))
