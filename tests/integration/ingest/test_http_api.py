"""The newsroom API on both backends: auth, validation, idempotency, versions, events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.ingest.conftest import PARTNER, IngestUnderTest

DATA = Path(__file__).parents[2] / "data"


def seed() -> dict[str, Any]:
    return dict(json.loads((DATA / "seed_article.json").read_text("utf-8")))


async def test_a_reporter_submits_and_an_identical_resubmission_changes_nothing(
    ingest: IngestUnderTest,
) -> None:
    first = await ingest.client.post("/api/articles", json=seed(), headers=ingest.auth("kang"))
    assert first.status == 201
    receipt = await first.json()
    assert (receipt["version"], receipt["status"]) == (1, "published")
    assert first.headers["Location"] == f"/api/articles/{receipt['article_id']}"
    again = await ingest.client.post("/api/articles", json=seed(), headers=ingest.auth("kang"))
    assert again.status == 200
    assert (await again.json())["article_id"] == receipt["article_id"]
    article = await (await ingest.client.get(f"/api/articles/{receipt['article_id']}")).json()
    assert article["byline"] == "강동진 기자" and article["section"] == "pohang"
    await ingest.until(lambda: len(ingest.published) >= 1)
    await ingest.client.get("/healthz")  # give a stray duplicate time to show up
    assert ingest.versions_published(receipt["article_id"]) == [1]


async def test_changes_make_versions_and_a_retraction_withdraws(ingest: IngestUnderTest) -> None:
    auth = ingest.auth("desk")
    created = await (await ingest.client.post("/api/articles", json=seed(), headers=auth)).json()
    changed = {**seed(), "headline": "포항시, 플랫폼시티 본격 추진 (종합)"}
    updated = await ingest.client.post("/api/articles", json=changed, headers=auth)
    assert updated.status == 202
    assert (await updated.json())["version"] == 2
    retracted = await ingest.client.post(
        "/api/articles", json={**changed, "status": "retracted"}, headers=auth
    )
    assert (await retracted.json())["status"] == "retracted"
    article_id = created["article_id"]
    gone = await ingest.client.get(f"/api/articles/{article_id}")
    assert gone.status == 410 and (await gone.json())["error"]["code"] == "retracted"
    history = await ingest.client.get(f"/api/articles/{article_id}/versions", headers=auth)
    versions = (await history.json())["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[1]["headline"].endswith("(종합)") and versions[2]["status"] == "retracted"
    await ingest.until(lambda: len(ingest.versions_published(article_id)) == 3)
    types = [e.type for e in ingest.published if e.payload.article.article_id == article_id]
    assert types == ["ArticlePublished", "ArticlePublished", "ArticleRetracted"]


async def test_tokens_and_roles_are_checked(ingest: IngestUnderTest) -> None:
    no_token = await ingest.client.post("/api/articles", json=seed())
    assert no_token.status == 401
    bad_token = await ingest.client.post(
        "/api/articles", json=seed(), headers={"Authorization": "Bearer snm_nope"}
    )
    assert bad_token.status == 401
    partner_as_newsroom = await ingest.client.post(
        "/api/articles", json=seed(), headers=ingest.auth(PARTNER)
    )
    assert partner_as_newsroom.status == 403
    partner_own = await ingest.client.post(
        "/api/articles",
        json={**seed(), "source": PARTNER, "guid": "p-1"},
        headers=ingest.auth(PARTNER),
    )
    assert partner_own.status == 201
    article_id = (await partner_own.json())["article_id"]
    history = await ingest.client.get(
        f"/api/articles/{article_id}/versions", headers=ingest.auth(PARTNER)
    )
    assert history.status == 403
    assert (await ingest.client.get("/api/articles/0000000000000000")).status == 404


async def test_bad_input_gets_a_machine_readable_error_and_stores_nothing(
    ingest: IngestUnderTest,
) -> None:
    auth = ingest.auth("kang")
    malformed = await ingest.client.post("/api/articles", data=b"{not json", headers=auth)
    assert malformed.status == 400 and (await malformed.json())["error"]["code"] == "malformed_json"
    invalid = await ingest.client.post(
        "/api/articles", json={**seed(), "headline": "가" * 301, "tags": ["t"] * 51}, headers=auth
    )
    body = await invalid.json()
    assert invalid.status == 422 and body["error"]["code"] == "invalid_submission"
    assert {d["field"] for d in body["error"]["details"]} == {"headline", "tags"}
    section = await ingest.client.post(
        "/api/articles", json={**seed(), "section": "seoul"}, headers=auth
    )
    assert section.status == 422
    assert (await section.json())["error"]["code"] == "unknown_section"
    huge = await ingest.client.post(
        "/api/articles", json={**seed(), "body_html": "<p>" + "가" * 400_000 + "</p>"}, headers=auth
    )
    assert huge.status == 413 and (await huge.json())["error"]["code"] == "payload_too_large"
    oversize_request = await ingest.client.post(
        "/api/articles", data=b"x" * 2_000_000, headers=auth
    )
    assert oversize_request.status == 413
    assert ingest.published == []


async def test_html_is_sanitised_and_ninjs_is_accepted(ingest: IngestUnderTest) -> None:
    ninjs = {
        "uri": "urn:gbnews:2026:0042",
        "type": "text",
        "headlines": [{"role": "main", "value": "경주 첨성대 야간 개방"}],
        "bodies": [
            {
                "contenttype": "text/html",
                "value": '<p onclick="x()">첨성대<script>alert(1)</script></p>',
            }
        ],
        "bylines": [{"byline": "이수진 기자"}],
        "subjects": [{"name": "문화재", "uri": "sinmun:section:gyeongju"}],
        "keywords": ["첨성대"],
        "firstcreated": "2026-10-01T09:00:00+09:00",
    }
    response = await ingest.client.post("/api/articles", json=ninjs, headers=ingest.auth(PARTNER))
    assert response.status == 201, await response.text()
    article = await (
        await ingest.client.get(f"/api/articles/{(await response.json())['article_id']}")
    ).json()
    assert article["body_html"] == "<p>첨성대</p>"
    assert (article["source"], article["guid"], article["section"]) == (
        PARTNER,
        "urn:gbnews:2026:0042",
        "gyeongju",
    )
    assert article["tags"] == ["첨성대", "문화재"] and article["byline"] == "이수진 기자"


async def test_a_large_valid_body_arriving_in_many_chunks_is_read_whole(
    ingest: IngestUnderTest,
) -> None:
    body = "".join(
        f"<p>{n}번째 문단: 포항시는 배터리 규제자유특구를 넓힌다.</p>" for n in range(4000)
    )
    response = await ingest.client.post(
        "/api/articles",
        json={**seed(), "guid": "long-1", "body_html": body},
        headers=ingest.auth("kang"),
    )
    assert response.status == 201, await response.text()
    stored = await (
        await ingest.client.get(f"/api/articles/{(await response.json())['article_id']}")
    ).json()
    assert stored["body_html"].count("<p>") == 4000
