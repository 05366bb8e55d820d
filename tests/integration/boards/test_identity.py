"""Members sign up, log in and out; sessions verify anywhere; guessing slows down."""

from __future__ import annotations

import asyncio
import json

import pytest

from shared.auth import VERIFIER
from shared.schemas.boards import Role
from shared.sessions import CSRF_COOKIE, SESSION_COOKIE
from tests.integration.boards.conftest import STRONG, Boards


async def test_a_member_signs_up_once_per_email_and_nickname(boards: Boards) -> None:
    created = await boards.sign_up("reader@example.kr", "포항사람")
    assert created.status == 201, await created.text()
    member = (await created.json())["member"]
    assert member["nickname"] == "포항사람" and member["role"] == "member"
    assert "password_hash" not in member
    again = await boards.sign_up("READER@example.kr ", "다른사람")
    assert again.status == 409
    assert (await again.json())["error"]["details"][0]["field"] == "email"
    # The same nickname in another case or width is the same nickname.
    for nickname in ("포항사람", "ＰohangFan", "pohangfan"):
        if nickname != "포항사람":
            await boards.sign_up(f"{nickname.lower()}-first@example.kr", "PohangFan")
        clash = await boards.sign_up("someone@example.kr", nickname)
        assert clash.status == 409, nickname
        assert (await clash.json())["error"]["code"] == "nickname_taken"
    # The email of a refused sign-up is not left claimed.
    assert (await boards.sign_up("someone@example.kr", "새이름")).status == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "x@example.kr", "nickname": "가나", "password": "short"}, "password"),
        ({"email": "x@example.kr", "nickname": "가나", "password": "password123!"}, "password"),
        ({"email": "x@example.kr", "nickname": "가나", "password": "1q2w3e4r5t"}, "password"),
        ({"email": "not-an-email", "nickname": "가나", "password": STRONG}, "email"),
        ({"email": "x@example.kr", "nickname": "가", "password": STRONG}, "nickname"),
        ({"email": "x@example.kr", "nickname": "<script>", "password": STRONG}, "nickname"),
        ({"email": {"$gt": ""}, "nickname": "가나", "password": STRONG}, "email"),
        ({"email": "x@example.kr", "nickname": {"$ne": None}, "password": STRONG}, "nickname"),
        ({"email": "x@example.kr", "nickname": "가나", "password": STRONG, "role": "admin"},
         "role"),
    ],
)  # fmt: skip
async def test_bad_sign_ups_are_422_with_the_field(
    boards: Boards, body: dict[str, object], field: str
) -> None:
    response = await boards.client.post("/api/members", data=json.dumps(body))
    assert response.status == 422, await response.text()
    details = (await response.json())["error"]["details"]
    assert details[0]["field"] == field


async def test_login_gives_a_token_and_cookies_that_verify_offline(boards: Boards) -> None:
    await boards.sign_up("kang@example.kr", "강동진")
    for login in ("kang@example.kr", "강동진"):
        response = await boards.log_in(login)
        assert response.status == 200, await response.text()
    body = await response.json()
    assert body["member"]["nickname"] == "강동진"
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert response.cookies[CSRF_COOKIE].value == body["csrf_token"]
    session = boards.app[VERIFIER].verify(body["token"])
    assert session is not None and (session.nickname, session.role) == ("강동진", Role.MEMBER)
    me = await boards.client.get(
        "/api/sessions/me", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert (await me.json())["member"]["nickname"] == "강동진"
    assert boards.app[VERIFIER].verify(body["token"][:-2] + "xx") is None  # tampered


async def test_logout_clears_the_cookies(boards: Boards) -> None:
    await boards.sign_up("kim@example.kr", "김민서")
    await boards.log_in("kim@example.kr")
    assert (await boards.client.get("/api/sessions/me")).status == 200  # the cookie
    response = await boards.client.delete("/api/sessions")
    assert response.status == 204
    assert (await boards.client.get("/api/sessions/me")).status == 401


async def test_wrong_passwords_are_401_then_slowed_down(boards: Boards) -> None:
    # The fixture allows 3 failures; they count per account and per client address.
    await boards.sign_up("lee@example.kr", "이영희")
    assert (await boards.log_in("nobody@example.kr", "x" * 12)).status == 401
    assert (await boards.log_in("lee@example.kr", "wrong-password")).status == 401
    assert (await boards.log_in("lee@example.kr", "wrong-password")).status == 401  # 3rd: locks
    refused = await boards.log_in("lee@example.kr")  # even the right password waits
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert (await refused.json())["error"]["code"] == "too_many_failures"
    await asyncio.sleep(int(refused.headers["Retry-After"]) + 0.2)
    assert (await boards.log_in("lee@example.kr")).status == 200


async def test_cookie_sessions_need_the_csrf_token_to_change_things(boards: Boards) -> None:
    await boards.sign_up("park@example.kr", "박지훈")
    body = await (await boards.log_in("park@example.kr")).json()
    # Logging out needs no session; a state change with the cookie alone is refused. Here:
    # /api/sessions/me is read-only, so probe CSRF through the shared check directly.
    from aiohttp.test_utils import make_mocked_request

    from shared.auth import current_session
    from shared.errors import ServiceError

    cookies = f"{SESSION_COOKIE}={body['token']}; {CSRF_COOKIE}={body['csrf_token']}"
    without = make_mocked_request("POST", "/x", headers={"Cookie": cookies}, app=boards.app)
    with pytest.raises(ServiceError) as refused:
        await current_session(without)
    assert refused.value.status == 403
    with_token = make_mocked_request(
        "POST", "/x", headers={"Cookie": cookies, "X-CSRF-Token": body["csrf_token"]},
        app=boards.app,
    )  # fmt: skip
    session = await current_session(with_token)
    assert session is not None and session.nickname == "박지훈"


async def test_html_forms_post_with_the_csrf_field(boards: Boards) -> None:
    await boards.sign_up("form@example.kr", "폼회원")
    csrf = (await (await boards.log_in("form@example.kr")).json())["csrf_token"]
    url = "/api/boards/free/posts"
    fields = {"title": "폼으로 쓴 글", "body_text": "줄바꿈\r\n있는 본문", "website": ""}
    refused = await boards.client.post(url, data=fields)  # the cookie alone
    assert (refused.status, (await refused.json())["error"]["code"]) == (403, "csrf_failed")
    forged = await boards.client.post(url, data={**fields, "csrf_token": "guessed"})
    assert forged.status == 403
    made = await boards.client.post(url, data={**fields, "csrf_token": csrf})
    assert made.status == 201, await made.text()
    assert (await made.json())["post"]["body_html"] == "줄바꿈<br>\n있는 본문"
    bot = await boards.client.post(url, data={"title": "봇", "body_text": "광고",
                                              "website": "x", "csrf_token": csrf})  # fmt: skip
    assert (await bot.json())["error"]["code"] == "spam_detected"
    pinned = await boards.client.post(url, data={"title": "고정", "body_text": "글",
                                                 "pinned": "true", "csrf_token": csrf})  # fmt: skip
    assert pinned.status == 403  # a form's "true" is a bool, and members do not pin
    repeated = [("title", "a"), ("title", "b"), ("body_text", "c"), ("csrf_token", csrf)]
    twice = await boards.client.post(url, data=repeated)
    assert (twice.status, (await twice.json())["error"]["details"][0]["field"]) == (422, "title")
    extra = await boards.client.post(url, data={**fields, "author_id": "x", "csrf_token": csrf})
    assert extra.status == 422
