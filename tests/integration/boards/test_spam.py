"""Anti-spam: the corpus's spam is refused and its real posts accepted; rates, duplicates,
links and the honeypot each refuse with a clear reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.schemas.boards import Role
from tests.integration.boards.conftest import Boards
from tests.integration.boards.test_posts import token_for, write

CORPUS = Path(__file__).parents[2] / "data" / "board_posts.jsonl"


def corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()]


async def test_the_corpus_spam_is_refused_and_every_real_post_accepted(boards: Boards) -> None:
    staff = await token_for(boards, "운영자", Role.ADMIN)
    outcomes: dict[str, tuple[int, str | None]] = {}
    for n, post in enumerate(corpus()):
        # Every free-board author is a new member of their own (new members are rate-limited).
        auth = staff if post["board"] == "notice" else await token_for(boards, f"회원{n}")
        response = await write(boards, post["board"], auth,
                               title=post["title"], body_text=post["body_text"])  # fmt: skip
        body = await response.json()
        outcomes[post["title"]] = (response.status, body.get("error", {}).get("code"))
        assert (response.status == 201) is (not post["spam"]), (post["title"], body)
    refused = {title: o for title, o in outcomes.items() if o[0] != 201}
    assert len(refused) == 4
    assert {code for _, code in refused.values()} <= {"blocked_content", "too_many_links"}


async def test_new_members_post_once_in_two_minutes(boards: Boards) -> None:
    member = await token_for(boards, "새내기")
    assert (await write(boards, "free", member, title="첫 글")).status == 201
    second = await write(boards, "free", member, title="둘째 글", body_text="다른 내용")
    assert second.status == 429
    assert 100 <= int(second.headers["Retry-After"]) <= 121
    assert (await second.json())["error"]["code"] == "rate_limited"


async def test_identical_posts_within_five_minutes_are_refused(boards: Boards) -> None:
    first, second = await token_for(boards, "첫째"), await token_for(boards, "둘째")
    text = {"title": "같은 글", "body_text": "복사해서 붙여 넣은   같은 내용"}
    assert (await write(boards, "free", first, **text)).status == 201
    copy = await write(
        boards, "free", second, title="같은 글", body_text="복사해서 붙여 넣은 같은 내용"
    )
    assert (copy.status, (await copy.json())["error"]["code"]) == (409, "duplicate_post")


async def test_links_honeypot_and_comment_rate(boards: Boards) -> None:
    member, staff = (
        await token_for(boards, "링크맨"),
        await token_for(boards, "기자", Role.REPORTER),
    )
    links = "참고: https://a.example https://b.example https://c.example"
    too_many = await write(boards, "free", member, body_text=links)
    assert (too_many.status, (await too_many.json())["error"]["code"]) == (422, "too_many_links")
    assert (await write(boards, "free", staff, body_text=links)).status == 201  # trusted
    bot = await write(boards, "free", member, body_text="안녕하세요", website="http://spam.example")
    assert (bot.status, (await bot.json())["error"]["code"]) == (400, "spam_detected")
    post = (await (await write(boards, "free", member, title="질문")).json())["post"]
    url = f"/api/boards/free/posts/{post['post_id']}/comments"
    assert (await boards.client.post(url, json={"body_text": "하나"}, headers=member)).status == 201
    fast = await boards.client.post(url, json={"body_text": "둘"}, headers=member)
    assert fast.status == 429 and 1 <= int(fast.headers["Retry-After"]) <= 21
