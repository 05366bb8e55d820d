"""Members: sign-up with unique email and nickname, credentials, roles.

Uniqueness rests on primary keys, the one atomic check every backend has (FerretDB v1's
filtered updates are not atomic): a member's email and nickname each claim a `member_keys`
document whose `_id` is the normalised value, before the member document is written. Logins
look members up by those keys too, so no query scans the members.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from services.boards.outbox import OUTBOX, PENDING, entry
from shared.ports.storage import Collection, DocumentStorage, DuplicateKeyError
from shared.schemas.boards import MemberJoined, Role
from shared.topics import MEMBERS_EVENTS

ORPHAN_AFTER = timedelta(minutes=2)  # a key whose member never got written (a crash) is freed


def email_key(email: str) -> str:
    return "email:" + unicodedata.normalize("NFC", email).strip().lower()


def nickname_key(nickname: str) -> str:
    """Nicknames differing only in case, width or composition are the same nickname."""
    return "nick:" + unicodedata.normalize("NFKC", nickname).strip().casefold()


class TakenError(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@dataclass(frozen=True)
class Member:
    member_id: str
    email: str
    nickname: str
    role: Role
    password_hash: str
    joined_at: datetime
    version: int = 1
    outbox: tuple[dict[str, str], ...] = ()  # events not yet published (services.boards.outbox)

    def document(self) -> dict[str, Any]:
        return {
            "_id": self.member_id, "email": self.email, "nickname": self.nickname,
            "role": self.role.value, "password_hash": self.password_hash,
            "joined_at": self.joined_at.isoformat(), "version": self.version,
            OUTBOX: list(self.outbox), PENDING: bool(self.outbox),
        }  # fmt: skip

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Member:
        return cls(
            doc["_id"], doc["email"], doc["nickname"], Role(doc["role"]), doc["password_hash"],
            datetime.fromisoformat(doc["joined_at"]), int(doc.get("version", 1)),
            tuple(doc.get(OUTBOX, ())),
        )  # fmt: skip

    def public(self) -> dict[str, Any]:
        """What a member's own session and the API show (never the hash)."""
        return {
            "member_id": self.member_id, "nickname": self.nickname, "role": self.role.value,
            "joined_at": self.joined_at.isoformat(),
        }  # fmt: skip


class MemberStore:
    def __init__(self, members: Collection, keys: Collection) -> None:
        self._members = members
        self._keys = keys

    @classmethod
    async def open(cls, storage: DocumentStorage) -> MemberStore:
        return cls(await storage.collection("members"), await storage.collection("member_keys"))

    async def _claim(self, key: str, member_id: str, field: str) -> None:
        doc = {"_id": key, "member_id": member_id, "at": datetime.now(UTC).isoformat()}
        try:
            await self._keys.insert(doc)
            return
        except DuplicateKeyError:
            held = await self._keys.get(key)
        orphan = (
            held is not None
            and datetime.now(UTC) - datetime.fromisoformat(held["at"]) > ORPHAN_AFTER
            and await self._members.get(held["member_id"]) is None
        )
        if orphan:  # a sign-up that died half-way holds the key: free it
            await self._keys.delete(key)
            try:
                await self._keys.insert(doc)
                return
            except DuplicateKeyError:
                pass
        raise TakenError(field)

    async def create(self, email: str, nickname: str, password_hash: str, role: Role) -> Member:
        """Store a new member, with its MemberJoined event in its outbox."""
        member = Member(
            uuid.uuid4().hex, email.strip(), unicodedata.normalize("NFC", nickname).strip(),
            role, password_hash, datetime.now(UTC),
        )  # fmt: skip
        joined = MemberJoined(
            member_id=member.member_id, nickname=member.nickname, role=member.role,
            joined_at=member.joined_at,
        )  # fmt: skip
        member = replace(member, outbox=(entry(MEMBERS_EVENTS, member.member_id, joined),))
        await self._claim(email_key(email), member.member_id, "email")
        try:
            await self._claim(nickname_key(nickname), member.member_id, "nickname")
        except TakenError:
            await self._keys.delete(email_key(email))
            raise
        await self._members.insert(member.document())
        return member

    async def get(self, member_id: str) -> Member | None:
        doc = await self._members.get(member_id)
        return None if doc is None else Member.from_document(doc)

    async def by_email(self, email: str) -> Member | None:
        key = await self._keys.get(email_key(email))
        return None if key is None else await self.get(key["member_id"])

    async def by_nickname(self, nickname: str) -> Member | None:
        key = await self._keys.get(nickname_key(nickname))
        return None if key is None else await self.get(key["member_id"])

    async def update(self, member: Member, **changes: Any) -> Member | None:
        """Compare-and-set a change (role, password hash); None when another write came first."""
        changed = Member(**{**member.__dict__, **changes, "version": member.version + 1})
        ok = await self._members.compare_and_set(changed.document(), member.version)
        return changed if ok else None
