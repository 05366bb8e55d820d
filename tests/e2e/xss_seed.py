"""The XSS corpus put where readers meet it: one article per vector through ingest's HTTP API
(every text field, the image's alt, caption and address), one post with a comment per vector
on 공지사항 through the boards API — and taken down again afterwards, so the pages other
tests read look as before."""

from __future__ import annotations

import html
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.settings import DEFAULT_SECTIONS
from tests.e2e.platform import (
    DATA,
    REPORTER_EMAIL,
    REPORTER_PASSWORD,
    Platform,
    request,
    status_of,
    wait_until,
)
from tests.e2e.xss_corpus import VECTORS, Vector

# Spread over every section, each vector among the newest of its own: so each one is in its
# section's feeds (the newest 30) as well as on the lists.
SECTIONS = tuple(DEFAULT_SECTIONS)
BOARD = "notice"  # staff write there; the reporter is staff, so no rate or link limits
MARKER = "xssprobe"  # one word in every corpus article, to find them all by search
SEED = json.loads((DATA / "seed_article.json").read_text(encoding="utf-8"))
# Field limits of the models (shared/schemas, the boards API).
HEADLINE, BYLINE, TAG, ALT, CAPTION = 300, 200, 50, 500, 1000
TITLE, POST_BODY, COMMENT = 200, 20_000, 5000


@dataclass(frozen=True)
class Corpus:
    articles: dict[int, str]  # vector id -> article id
    posts: dict[int, str]  # vector id -> post id
    session: str  # the reporter's session token (bearer)
    now: datetime  # the newest article's publication time


def section_of(v: Vector) -> str:
    return SECTIONS[v.id % len(SECTIONS)]


def submission(v: Vector, base: str, now: datetime) -> dict[str, Any]:
    """Vector `v` in every field of an article; the newest first by vector id."""
    return {
        "source": SEED["source"],
        "guid": f"xss-corpus-{v.id}",
        "section": section_of(v),
        "headline": v.fit(HEADLINE),
        "subhead": v.fit(HEADLINE),
        "byline": v.fit(BYLINE),
        "tags": [v.fit(TAG), MARKER],
        # As text the reader should see, then as markup ingest must clean.
        "body_html": f"<p>{html.escape(v.payload)}</p>{v.payload}<p>{MARKER} {v.id}</p>",
        "images": [
            {
                "url": f"{base}/static/favicon.svg?xss={v.payload[:200]}",
                "alt": v.fit(ALT),
                "caption": v.fit(CAPTION),
            }
        ],
        "published_at": (now - timedelta(minutes=v.id)).isoformat(),
    }


def call(
    method: str, url: str, body: dict[str, Any] | None, token: str
) -> tuple[int, dict[str, Any]]:
    """A JSON request with a bearer token, any method; (status, body)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        return error.code, {"raw": error.read().decode(errors="replace")}


def seed_corpus(platform: Platform) -> Corpus:
    now = datetime.now(UTC) - timedelta(minutes=1)
    articles: dict[int, str] = {}
    for v in VECTORS:
        status, receipt = request(
            platform.url("/api/articles"), submission(v, platform.base, now), platform.token
        )
        assert status == 201, f"vector {v.id}: ingest answered {status} {receipt}"
        articles[v.id] = str(receipt["article_id"])
    status, body = request(
        platform.url("/api/sessions"), {"login": REPORTER_EMAIL, "password": REPORTER_PASSWORD}
    )
    assert status == 200, body
    session = str(body["token"])
    posts = {v.id: _post(platform, v, session) for v in VECTORS}
    last = VECTORS[-1].id
    wait_until(
        "the last corpus article's page",
        lambda: status_of(platform.url(f"/news/{articles[last]}")) == 200,
    )
    wait_until(
        "the last corpus post's page",
        lambda: status_of(platform.url(f"/community/{BOARD}/{posts[last]}")) == 200,
    )
    wait_until("every corpus article in search", lambda: _found(platform) >= len(VECTORS))
    return Corpus(articles, posts, session, now)


def _post(platform: Platform, v: Vector, session: str) -> str:
    post = {"title": v.fit(TITLE), "body_text": v.fit(POST_BODY)}
    status, body = call("POST", platform.url(f"/api/boards/{BOARD}/posts"), post, session)
    assert status == 201, f"vector {v.id}: boards answered {status} {body}"
    post_id = str(body["post"]["post_id"])
    comments = platform.url(f"/api/boards/{BOARD}/posts/{post_id}/comments")
    status, body = call("POST", comments, {"body_text": v.fit(COMMENT)}, session)
    assert status == 201, f"vector {v.id}: comment answered {status} {body}"
    return post_id


def _found(platform: Platform) -> int:
    status, body = request(platform.url(f"/api/search?q={MARKER}&size=1"))
    return int(body.get("total", 0)) if status == 200 else 0


def remove_corpus(platform: Platform, corpus: Corpus) -> None:
    """Retract the articles and delete the posts (others' pages as before)."""
    for v in VECTORS:
        if v.id in corpus.articles:
            gone = {**submission(v, platform.base, corpus.now), "status": "retracted"}
            status, body = request(platform.url("/api/articles"), gone, platform.token)
            assert status in (200, 202), body
        if v.id in corpus.posts:
            url = platform.url(f"/api/boards/{BOARD}/posts/{corpus.posts[v.id]}")
            status, body = call("DELETE", url, None, corpus.session)
            assert status == 204, body
