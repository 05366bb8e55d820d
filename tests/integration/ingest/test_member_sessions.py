"""The 기사쓰기 form: ingest accepts a newsroom member's session (cookie + CSRF, or bearer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from services.boards.members import MemberStore
from services.boards.passwords import hash_password
from services.bootstrap import create_app
from shared.schemas.boards import Role
from shared.service import INFRA
from shared.settings import Mode, SinmunSettings

ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]
STRONG = "영일만-바다-2026-봄"
STORY = {
    "guid": "write-form-1", "headline": "포항시, 플랫폼시티 추진", "section": "pohang",
    "byline": "강동진 기자", "body_html": "<p>포항시는 본격 추진한다.</p>",
}  # fmt: skip


async def _member(client: TestClient, app: web.Application, nick: str, role: Role) -> Any:  # type: ignore[type-arg]
    storage = await app[INFRA].open_storage("boards")
    email = f"{nick}@example.kr"
    await (await MemberStore.open(storage)).create(email, nick, hash_password(STRONG), role)
    await storage.close()
    response = await client.post("/api/sessions", json={"login": email, "password": STRONG})
    assert response.status == 200
    return await response.json()


async def test_reporter_session_with_csrf_submits_member_does_not(
    tmp_path: Path, aiohttp_client: ClientFactory
) -> None:
    app = create_app(SinmunSettings(mode=Mode.EMBEDDED, data_dir=tmp_path), ["ingest", "boards"])
    client = await aiohttp_client(app)
    login = await _member(client, app, "강동진", Role.REPORTER)
    # The session cookie alone is not enough: a cross-site form cannot send the CSRF token.
    refused = await client.post("/api/articles", json=STORY)
    assert refused.status == 403
    assert (await refused.json())["error"]["code"] == "csrf_failed"
    created = await client.post(
        "/api/articles", json=STORY, headers={"X-CSRF-Token": login["csrf_token"]}
    )
    assert created.status == 201, await created.text()
    article_id = (await created.json())["article_id"]
    stored = await (await client.get(f"/api/articles/{article_id}")).json()
    assert stored["source"] == "newsroom"
    assert stored["headline"] == STORY["headline"]

    client.session.cookie_jar.clear()
    member = await _member(client, app, "독자", Role.MEMBER)
    bearer = {"Authorization": f"Bearer {member['token']}"}
    forbidden = await client.post("/api/articles", json=STORY, headers=bearer)
    assert forbidden.status == 403
    client.session.cookie_jar.clear()
    anonymous = await client.post("/api/articles", json=STORY, headers={"Authorization": "x"})
    assert anonymous.status == 401
