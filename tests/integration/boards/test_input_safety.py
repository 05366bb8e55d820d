"""Input safety on every boards endpoint: strict models (no operator objects, no extra keys,
no wrong types), size limits, query parameters that never become query operators."""

from __future__ import annotations

import json
from typing import Any

from shared.schemas.boards import Role
from tests.integration.boards.conftest import STRONG, Boards
from tests.integration.boards.test_posts import token_for, write

OPERATOR = {"$gt": ""}


async def test_operator_objects_and_wrong_types_are_422_everywhere(boards: Boards) -> None:
    author, other = await token_for(boards, "입력검사"), await token_for(boards, "다른회원")
    staff = await token_for(boards, "운영자", Role.ADMIN)
    created = await write(boards, "free", author, title="검사용 글")
    url = f"/api/boards/free/posts/{(await created.json())['post']['post_id']}"
    sign_up = {"email": "new@example.kr", "nickname": "새회원", "password": STRONG}
    cases: list[tuple[str, str, Any, dict[str, str] | None, str]] = [
        ("POST", "/api/sessions", {"login": OPERATOR, "password": "x"}, None, "login"),
        ("POST", "/api/sessions", {"login": "입력검사", "password": OPERATOR}, None, "password"),
        ("POST", "/api/members", {**sign_up, "password": OPERATOR}, None, "password"),
        ("POST", "/api/members", {**sign_up, "website": OPERATOR}, None, "website"),
        ("POST", "/api/boards/free/posts", {"title": "x", "body_text": OPERATOR}, author,
         "body_text"),
        ("POST", "/api/boards/free/posts", {"title": "x", "body_text": "y", "pinned": "true"},
         author, "pinned"),
        ("POST", "/api/boards/free/posts", [{"title": "x", "body_text": "y"}], author, "(root)"),
        ("PATCH", url, {"title": OPERATOR}, author, "title"),
        ("PATCH", url, {"body_text": "x", "board": "notice"}, author, "board"),
        ("PATCH", url, {}, author, "(root)"),
        ("POST", url + "/comments", {"body_text": OPERATOR}, other, "body_text"),
        ("POST", url + "/comments", {"body_text": "x", "parent_id": OPERATOR}, other,
         "parent_id"),
        ("POST", url + "/comments", {"body_text": "가" * 5001}, other, "body_text"),
        ("POST", url + "/report", {"reason": OPERATOR}, other, "reason"),
        ("POST", url + "/report", {"reason": "x" * 501}, other, "reason"),
        ("POST", url + "/report", {}, other, "reason"),
        ("POST", url + "/hide", {"reason": OPERATOR}, staff, "reason"),
    ]  # fmt: skip
    for method, path, body, auth, field in cases:
        answer = await boards.client.request(method, path, data=json.dumps(body), headers=auth)
        error = (await answer.json())["error"]
        assert (answer.status, error["details"][0]["field"]) == (422, field), (path, body, error)
    not_json = await boards.client.post("/api/boards/free/posts", data="{title: x", headers=author)
    assert not_json.status == 422
    # Nothing of the refused requests was stored or changed.
    post = (await (await boards.client.get(url)).json())["post"]
    assert (post["title"], post["comments"], post["version"]) == ("검사용 글", 0, 1)
    assert (await boards.log_in("new@example.kr")).status == 401


async def test_query_parameters_are_only_ever_strings(boards: Boards) -> None:
    author = await token_for(boards, "질의검사")
    assert (await write(boards, "free", author, title="남의 글")).status == 201
    listing = await boards.client.get("/api/boards/free/posts", params={"page[$gt]": "0"})
    assert listing.status == 200 and (await listing.json())["total"] == 1  # unknown: ignored
    for params in ({"q": '{"$ne": null}', "by": "author"}, {"q": "$ne", "by": "author"},
                   {"q": '{"$regex": ".*"}'}):  # fmt: skip
        found = await boards.client.get("/api/boards/free/posts", params=params)
        assert found.status == 200
        assert (await found.json())["posts"] == [], params  # a nickname or title, not an operator
    for params in ({"page": "{}"}, {"size": "-1"}, {"page": "0"}, {"by": "$where", "q": "x"},
                   {"q": "x" * 101}):  # fmt: skip
        refused = await boards.client.get("/api/boards/free/posts", params=params)
        assert refused.status == 400, params
        assert (await refused.json())["error"]["code"] == "invalid_query"


async def test_oversize_bodies_are_413_and_the_honeypot_refuses_sign_ups(boards: Boards) -> None:
    author = await token_for(boards, "큰글")
    huge = json.dumps({"title": "x", "body_text": "가" * 1_000_000})  # 3 MB of UTF-8
    answer = await boards.client.post("/api/boards/free/posts", data=huge, headers=author)
    assert answer.status == 413
    assert (await answer.json())["error"]["code"] == "payload_too_large"
    bot = await boards.client.post("/api/members", json={
        "email": "bot@example.kr", "nickname": "봇계정", "password": STRONG,
        "website": "http://spam.example",
    })  # fmt: skip
    assert (bot.status, (await bot.json())["error"]["code"]) == (400, "spam_detected")
    assert (await boards.sign_up("bot@example.kr", "사람")).status == 201  # nothing was claimed
