"""Anti-spam: the corpus's spam is refused and its real posts accepted; rates, duplicates,
links and the honeypot each refuse with a clear reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.boards.members import MemberStore
from shared.schemas.boards import Role
from shared.service import INFRA
from tests.integration.boards.conftest import Boards, BoardsFactory
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


async def member_id_of(boards: Boards, auth: dict[str, str]) -> str:
    me = await (await boards.client.get("/api/sessions/me", headers=auth)).json()
    return str(me["member"]["member_id"])


async def test_new_members_post_at_most_ten_times_a_day(boards: Boards) -> None:
    storage = await boards.app[INFRA].open_storage("boards")
    counters = await storage.collection("spam_counters")
    now = datetime.now(UTC)
    for n, posted in ((9, "아홉"), (10, "열")):
        member = await token_for(boards, f"하루{posted}번")
        earlier = [(now - timedelta(minutes=3 + 100 * k)).isoformat() for k in range(n)]
        key = f"post:{await member_id_of(boards, member)}"
        await counters.insert({"_id": key, "times": earlier, "version": 1})
        answer = await write(boards, "free", member, title=f"{posted}번 쓴 다음", body_text=posted)
        if n == 9:
            assert answer.status == 201, await answer.text()  # the tenth post of the day
        else:
            assert answer.status == 429
            wait = int(answer.headers["Retry-After"])
            oldest = now - timedelta(minutes=3 + 100 * 9)
            assert abs(wait - (oldest + timedelta(days=1) - now).total_seconds()) < 30
            assert "10 posts in 1 day" in (await answer.json())["error"]["message"]
    await storage.close()


async def test_trusted_members_are_not_rate_or_link_limited(boards: Boards) -> None:
    auth = await token_for(boards, "오랜회원")
    storage = await boards.app[INFRA].open_storage("boards")
    members = await MemberStore.open(storage)
    member = await members.get(await member_id_of(boards, auth))
    assert member is not None
    assert await members.update(member, joined_at=datetime.now(UTC) - timedelta(days=4))
    await storage.close()
    links = "https://a.example https://b.example https://c.example"
    assert (await write(boards, "free", auth, title="하나", body_text=links)).status == 201
    assert (await write(boards, "free", auth, title="둘", body_text="바로 또")).status == 201


async def test_links_are_counted_once_each_and_a_refused_post_claims_nothing(
    boards: Boards,
) -> None:
    member = await token_for(boards, "링크둘")
    two = "https://www.a.example/x 그리고 www.b.example"
    assert (await write(boards, "free", member, title="링크 두 개", body_text=two)).status == 201
    same_text = {"title": "두 번째 글", "body_text": "같은 내용을 다시"}
    assert (await write(boards, "free", member, **same_text)).status == 429  # within 2 minutes
    # The refused post was not posted, so its text is free for the next post that makes it.
    other = await token_for(boards, "다른사람")
    assert (await write(boards, "free", other, **same_text)).status == 201


async def test_the_blocklist_comes_from_configuration(boards_factory: BoardsFactory) -> None:
    boards = await boards_factory(boards_blocklist=[r"불법\s*촬영물", r"spam\d{3}"])
    member = await token_for(boards, "설정검사")
    blocked = await write(boards, "free", member, title="불법 촬영물 팝니다")
    assert (blocked.status, (await blocked.json())["error"]["code"]) == (422, "blocked_content")
    assert (await write(boards, "free", member, body_text="SPAM123 입니다")).status == 422
    # The defaults are replaced, not added to: 카지노 is allowed on this paper.
    assert (await write(boards, "free", member, title="강원랜드 카지노 취재 후기")).status == 201
    post = (await (await boards.client.get("/api/boards/free/posts")).json())["posts"][0]
    comments = f"/api/boards/free/posts/{post['post_id']}/comments"
    comment = await boards.client.post(comments, json={"body_text": "불법촬영물"}, headers=member)
    assert comment.status == 422
