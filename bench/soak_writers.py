"""The soak's writers, in this process: board posts and comments through boards' API, and a
partner agency producing signed submissions to `articles.submitted`, each at a steady rate.

Steady, not as fast as possible: a soak looks for what accumulates over time at a realistic
pace. Every loop is bounded by its deadline and by a count (rate × seconds), so it stops by
itself even if the clock misbehaves; a call that fails is counted by reason, never retried
(a retry would hide the error the soak is there to find).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

from bench.soak_results import LoadResult
from bench.soak_seed import corpus
from bench.soak_stack import PARTNER, PARTNER_SECRET
from shared.ports.bus import EventBus
from shared.signatures import SIGNATURE_HEADER, sign
from shared.topics import ARTICLES_SUBMITTED

KST = timezone(timedelta(hours=9))
REQUEST_TIMEOUT_S = 10.0
RECENT_POSTS = 50  # comments go to the seed posts and the newest of the run's own


async def paced(rate: float, seconds: float) -> AsyncIterator[int]:
    """0, 1, 2 … one every 1/rate s on a fixed schedule (a slow call is caught up on, not
    shifted), until `seconds` have passed or rate × seconds have been yielded."""
    if rate <= 0:
        return
    start = time.monotonic()
    for n in range(math.ceil(rate * seconds)):
        due = start + n / rate
        if due >= start + seconds:
            return
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        yield n


@dataclass
class Tally:
    """Latencies of the calls that worked, failures by reason."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def result(self, kind: str, seconds: float, detail: str) -> LoadResult:
        return LoadResult.from_latencies(kind, self.latencies, seconds, dict(self.errors), detail)


@dataclass
class BoardWriters:
    """Reporters posting on the free board and commenting on its posts."""

    base: str
    tokens: list[str]
    post_ids: list[str]
    run_id: str
    created: list[str] = field(default_factory=list)

    async def _call(self, session: ClientSession, tally: Tally, url: str, n: int,
                    body: dict[str, Any]) -> dict[str, Any] | None:  # fmt: skip
        auth = {"Authorization": f"Bearer {self.tokens[n % len(self.tokens)]}"}
        started = time.perf_counter()
        try:
            async with session.post(url, json=body, headers=auth) as response:
                answer = await response.json(content_type=None)
                if response.status != 201:
                    code = answer.get("error", {}).get("code") if isinstance(answer, dict) else ""
                    tally.errors[f"HTTP {response.status} {code}".strip()] += 1
                    return None
        except (ClientError, TimeoutError, ValueError) as exc:
            tally.errors[type(exc).__name__] += 1
            return None
        tally.latencies.append(time.perf_counter() - started)
        return answer if isinstance(answer, dict) else {}

    async def post(self, session: ClientSession, rate: float, seconds: float) -> LoadResult:
        tally = Tally()
        async for n in paced(rate, seconds):
            body = {"title": f"소크 {self.run_id} 글 {n}",
                    "body_text": f"오늘 포항 날씨와 영일대 소식 {n}번째를 전합니다."}  # fmt: skip
            answer = await self._call(session, tally, f"{self.base}/api/boards/free/posts", n, body)
            if answer is not None:
                self.created.append(str(answer["post"]["post_id"]))
        return tally.result("board posts", seconds, f"target {rate:g}/s")

    async def comment(self, session: ClientSession, rate: float, seconds: float) -> LoadResult:
        tally = Tally()
        async for n in paced(rate, seconds):
            targets = self.post_ids + self.created[-RECENT_POSTS:]
            post = targets[n * 7 % len(targets)]
            body = {"body_text": f"좋은 정보 감사합니다 {self.run_id}-{n}"}
            url = f"{self.base}/api/boards/free/posts/{post}/comments"
            await self._call(session, tally, url, n + 1, body)
        return tally.result("board comments", seconds, f"target {rate:g}/s")

    async def run(self, post_rate: float, comment_rate: float, seconds: float) -> list[LoadResult]:
        async with ClientSession(timeout=ClientTimeout(REQUEST_TIMEOUT_S)) as session:
            return list(
                await asyncio.gather(
                    self.post(session, post_rate, seconds),
                    self.comment(session, comment_rate, seconds),
                )
            )


def partner_record(run: str, marker: str, n: int) -> tuple[str, bytes, dict[str, bytes]]:
    """Key, value and headers of a partner's signed submission (docs/partners.md): a corpus
    article under a guid of its own, the run's marker word in its headline (to count them
    in search)."""
    templates = corpus()
    template = templates[n % len(templates)]
    guid = f"soak-{run}-{n:06d}"
    story = {
        **template, "source": PARTNER, "guid": guid,
        "headline": f"{template['headline']} {marker} {n + 1}보",
        "published_at": datetime.now(KST).isoformat(timespec="seconds"),
    }  # fmt: skip
    value = json.dumps(story, ensure_ascii=False).encode()
    return f"{PARTNER}:{guid}", value, {SIGNATURE_HEADER: sign(PARTNER_SECRET, value).encode()}


@dataclass
class PartnerProducer:
    """A partner sending signed submissions; remembers what it sent (guid → wall-clock time)."""

    bus: EventBus
    run: str
    marker: str
    sent: dict[str, float] = field(default_factory=dict)

    async def run_for(self, rate: float, seconds: float) -> LoadResult:
        tally = Tally()
        async for n in paced(rate, seconds):
            key, value, headers = partner_record(self.run, self.marker, n)
            started, at = time.perf_counter(), time.time()
            try:
                await asyncio.wait_for(
                    self.bus.send(ARTICLES_SUBMITTED.name, key, value, headers),
                    REQUEST_TIMEOUT_S,
                )
            except Exception as exc:  # any failed send is the figure, not a crash of the run
                tally.errors[type(exc).__name__] += 1
                continue
            tally.latencies.append(time.perf_counter() - started)
            self.sent[key.split(":", 1)[1]] = at
        return tally.result(
            "partner submissions (acknowledged send)", seconds, f"target {rate:g}/s"
        )
