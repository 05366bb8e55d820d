"""Anti-spam for posts and comments, each refusal a clear 4xx with the reason.

- a honeypot: the forms carry a field people never see (`website`); anything in it is a bot;
- a keyword/regex blocklist from configuration (`SINMUN_BOARDS_BLOCKLIST`);
- links: members below the trust threshold may post at most two;
- identical posts (same title and text, any author) within five minutes are refused;
- rates: new members post at most once in two minutes and ten times a day; comments at most
  once in twenty seconds. Staff are exempt from rates and links. 429s carry Retry-After.
Counters live in boards' own storage, so every replica enforces the same limits.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.errors import ServiceError
from shared.ports.storage import Collection, DocumentStorage, DuplicateKeyError

LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)  # one match per link
DUPLICATE_WINDOW = timedelta(minutes=5)
DEFAULT_BLOCKLIST = (
    r"무담보\s*대출", r"당일\s*대출", r"신용\s*불량.{0,10}(대출|OK)", r"카지노", r"바카라",
    r"토토", r"첫\s*충", r"고수익\s*부업", r"부업.{0,20}보장", r"일\s*\d+\s*만\s*원\s*보장",
)  # fmt: skip


@dataclass(frozen=True)
class Limit:
    count: int
    window: timedelta


NEW_MEMBER_POSTS = (Limit(1, timedelta(minutes=2)), Limit(10, timedelta(days=1)))
COMMENTS = (Limit(1, timedelta(seconds=20)),)


def refuse(status: int, code: str, message: str, field: str | None = None) -> ServiceError:
    details = [{"field": field, "message": message, "type": code}] if field else None
    return ServiceError(status, code, message, details)


class SpamGuard:
    def __init__(
        self,
        rates: Collection,
        blocklist: Sequence[str],
        max_links_untrusted: int = 2,
        trust_after: timedelta = timedelta(days=3),
    ) -> None:
        self._rates = rates
        self._blocklist = [re.compile(p, re.IGNORECASE) for p in blocklist]
        self._max_links = max_links_untrusted
        self._trust_after = trust_after

    @classmethod
    async def open(
        cls, storage: DocumentStorage, blocklist: Sequence[str], trust_days: float
    ) -> SpamGuard:
        return cls(
            await storage.collection("spam_counters"), blocklist,
            trust_after=timedelta(days=trust_days),
        )  # fmt: skip

    def trusted(self, staff: bool, joined_at: datetime) -> bool:
        return staff or datetime.now(UTC) - joined_at >= self._trust_after

    def check_text(self, *texts: str, honeypot: str | None, trusted: bool) -> None:
        if honeypot:
            raise refuse(400, "spam_detected", "the form was filled in by a bot", "website")
        joined = unicodedata.normalize("NFKC", "\n".join(texts))
        for pattern in self._blocklist:
            if pattern.search(joined):
                raise refuse(422, "blocked_content", "the text contains blocked words", "body_text")
        if not trusted and len(LINK.findall(joined)) > self._max_links:
            raise refuse(
                422, "too_many_links",
                f"new members may post at most {self._max_links} links", "body_text",
            )  # fmt: skip

    async def admit_post(self, member_id: str, trusted: bool, title: str, body: str) -> None:
        """Refuse a duplicate or (for new members) a post over the rate; else count it."""
        claim = await self._claim_content(title, body)
        if not trusted:
            try:
                await self._rate(f"post:{member_id}", NEW_MEMBER_POSTS, "posts")
            except ServiceError:
                # Not posted: the same text may be sent again once the wait is over.
                await self._rates.delete(claim)
                raise

    async def admit_comment(self, member_id: str, staff: bool) -> None:
        if not staff:
            await self._rate(f"comment:{member_id}", COMMENTS, "comments")

    async def _claim_content(self, title: str, body: str) -> str:
        """Claim a post's text for five minutes; the claim's key, or a 409 if it is taken."""
        normal = unicodedata.normalize("NFKC", f"{title}\n{body}").casefold()
        digest = hashlib.sha256(" ".join(normal.split()).encode()).hexdigest()
        key, now = f"dup:{digest}", datetime.now(UTC)
        doc = {"_id": key, "at": now.isoformat(), "version": 1}
        try:
            await self._rates.insert(doc)
            return key
        except DuplicateKeyError:
            held = await self._rates.get(key)
        if held is not None and now - datetime.fromisoformat(held["at"]) >= DUPLICATE_WINDOW:
            fresh = {**doc, "version": held["version"] + 1}
            if await self._rates.compare_and_set(fresh, held["version"]):
                return key
        raise refuse(409, "duplicate_post", "the same post was made less than 5 minutes ago")

    async def _rate(self, key: str, limits: Sequence[Limit], what: str) -> None:
        longest = max(limit.window for limit in limits)
        for _ in range(20):
            now = datetime.now(UTC)
            doc: dict[str, Any] | None = await self._rates.get(key)
            times = [datetime.fromisoformat(t) for t in (doc or {}).get("times", [])]
            times = [t for t in times if now - t < longest]
            for limit in limits:
                recent = sorted(t for t in times if now - t < limit.window)
                if len(recent) >= limit.count:
                    wait = int((recent[0] + limit.window - now).total_seconds()) + 1
                    raise ServiceError(
                        429, "rate_limited",
                        f"at most {limit.count} {what} in {_span(limit.window)}; wait {wait} s",
                        {"retry_after_s": wait}, headers={"Retry-After": str(wait)},
                    )  # fmt: skip
            stored = {"_id": key, "times": [t.isoformat() for t in [*times, now]],
                      "version": (doc or {}).get("version", 0) + 1}  # fmt: skip
            if doc is None:
                try:
                    await self._rates.insert(stored)
                    return
                except DuplicateKeyError:
                    continue
            if await self._rates.compare_and_set(stored, doc["version"]):
                return
        raise ServiceError(409, "conflict", "too many simultaneous requests; try again")


def _span(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400} day(s)"
    if seconds % 60 == 0:
        return f"{seconds // 60} minute(s)"
    return f"{seconds} s"
