"""Board posts: who may write where, pinned notices first, pages, strict input, events."""

from __future__ import annotations

import json
from typing import Any

from services.boards.members import MemberStore
from services.boards.passwords import hash_password
from shared.ports.bus import Record
from shared.schemas import decode_envelope
from shared.schemas.boards import PostCreated, Role
from shared.service import INFRA
from shared.topics import BOARDS_EVENTS
from tests.integration.boards.conftest import STRONG, Boards


async def token_for(boards: Boards, nickname: str, role: Role = Role.MEMBER) -> dict[str, str]:
    email = f"{abs(hash(nickname))}@example.kr"
    if role is Role.MEMBER:
        assert (await boards.sign_up(email, nickname)).status == 201
    else:
        storage = await boards.app[INFRA].open_storage("boards")
        await (await MemberStore.open(storage)).create(email, nickname, hash_password(STRONG), role)
        await storage.close()
    body = await (await boards.log_in(email)).json()
    return {"Authorization": f"Bearer {body['token']}"}


async def write(boards: Boards, board: str, auth: dict[str, str], **fields: Any) -> Any:
    return await boards.client.post(
        f"/api/boards/{board}/posts", json={"title": "제목", "body_text": "본문", **fields},
        headers=auth,
    )  # fmt: skip


async def test_members_write_on_the_free_board_and_staff_on_notices(boards: Boards) -> None:
    events: list[Record] = []

    async def seen(record: Record) -> None:
        events.append(record)

    await boards.app[INFRA].consume(BOARDS_EVENTS.name, "test-observer", seen)
    member = await token_for(boards, "포항사람")
    editor = await token_for(boards, "편집국", Role.EDITOR)
    created = await write(boards, "free", member, title="영일대 야경 사진 공유합니다")
    assert created.status == 201, await created.text()
    post = (await created.json())["post"]
    assert (post["author_nick"], post["board"], post["pinned"]) == ("포항사람", "free", False)
    assert (await write(boards, "notice", member)).status == 403
    assert (await write(boards, "free", member, pinned=True)).status == 403
    assert (
        await write(boards, "notice", editor, title="회원 약관 개정 안내", pinned=True)
    ).status == 201
    anonymous = {"title": "x", "body_text": "y"}
    # The client holds the last login's cookies: without the CSRF header that is refused...
    refused = await boards.client.post("/api/boards/free/posts", json=anonymous)
    assert (refused.status, (await refused.json())["error"]["code"]) == (403, "csrf_failed")
    csrf = boards.client.session.cookie_jar.filter_cookies(boards.client.make_url("/"))
    with_header = await boards.client.post(
        "/api/boards/notice/posts", json=anonymous,
        headers={"X-CSRF-Token": csrf["sinmun_csrf"].value},
    )  # fmt: skip
    assert with_header.status == 201  # the editor logged in last: the cookie session works
    boards.client.session.cookie_jar.clear()
    assert (await boards.client.post("/api/boards/free/posts", json=anonymous)).status == 401
    read = await boards.client.get(f"/api/boards/free/posts/{post['post_id']}")
    assert (await read.json())["post"]["title"] == "영일대 야경 사진 공유합니다"
    assert (await read.json())["post"]["body_html"] == "본문"  # escaped text, links made
    assert (await boards.client.get(f"/api/boards/notice/posts/{post['post_id']}")).status == 404
    assert (await boards.client.get("/api/boards/mars/posts")).status == 404
    await boards.until(lambda: len(events) == 3)
    kinds = [decode_envelope(r.value).payload for r in events]
    assert all(isinstance(k, PostCreated) for k in kinds)
    assert {r.key for r in events} >= {post["post_id"]}


async def test_pinned_notices_come_first_then_newest_first_in_pages(boards: Boards) -> None:
    editor = await token_for(boards, "편집국", Role.EDITOR)
    await write(boards, "notice", editor, title="고정 공지", pinned=True)
    for n in range(5):
        await write(boards, "notice", editor, title=f"공지 {n}")
    first = await (await boards.client.get("/api/boards/notice/posts?size=3")).json()
    assert first["total"] == 6 and first["name"] == "공지사항"
    assert [p["title"] for p in first["posts"]] == ["고정 공지", "공지 4", "공지 3"]
    second = await (await boards.client.get("/api/boards/notice/posts?size=3&page=2")).json()
    assert [p["title"] for p in second["posts"]] == ["공지 2", "공지 1", "공지 0"]
    assert (await boards.client.get("/api/boards/notice/posts?size=500")).status == 400
    boards_list = await (await boards.client.get("/api/boards")).json()
    assert [b["board"] for b in boards_list["boards"]] == ["notice", "free"]


async def test_post_input_is_strict(boards: Boards) -> None:
    member = await token_for(boards, "자유인")
    for body, field in (
        ({"title": {"$gt": ""}, "body_text": "x"}, "title"),
        ({"title": "x" * 201, "body_text": "x"}, "title"),
        ({"title": "   ", "body_text": "x"}, "title"),
        ({"title": "x", "body_text": "가" * 20_001}, "body_text"),
        ({"title": "x", "body_text": "y", "author_id": "someone-else"}, "author_id"),
    ):
        response = await boards.client.post(
            "/api/boards/free/posts", data=json.dumps(body), headers=member
        )
        assert response.status == 422, body
        assert (await response.json())["error"]["details"][0]["field"] == field
