"""Comments with one level of replies, and 추천 once per member."""

from __future__ import annotations

from shared.schemas.boards import Role
from tests.integration.boards.conftest import Boards, BoardsFactory
from tests.integration.boards.test_posts import token_for, write


async def test_comments_thread_one_level_deep_and_count(boards: Boards) -> None:
    author = await token_for(boards, "글쓴이")
    reader = await token_for(boards, "독자")
    post = (await (await write(boards, "free", author, title="형산강 산책로 추천")).json())["post"]
    url = f"/api/boards/free/posts/{post['post_id']}/comments"
    first = await boards.client.post(
        url, json={"body_text": "좋은 정보 감사합니다"}, headers=reader
    )
    assert first.status == 201, await first.text()
    first_id = (await first.json())["comment"]["comment_id"]
    reply = await boards.client.post(
        url, json={"body_text": "저도 가봤어요", "parent_id": first_id}, headers=author
    )
    assert reply.status == 201
    reply_id = (await reply.json())["comment"]["comment_id"]
    too_deep = await boards.client.post(
        url, json={"body_text": "x", "parent_id": reply_id}, headers=reader
    )
    assert too_deep.status == 422
    stranger = await boards.client.post(
        url, json={"body_text": "x", "parent_id": "0" * 21}, headers=reader
    )
    assert stranger.status == 422
    thread = (await (await boards.client.get(url)).json())["comments"]
    assert [c["body_text"] for c in thread] == ["좋은 정보 감사합니다"]
    assert [r["author_nick"] for r in thread[0]["replies"]] == ["글쓴이"]
    read = await (await boards.client.get(f"/api/boards/free/posts/{post['post_id']}")).json()
    assert read["post"]["comments"] == 2


async def test_a_member_recommends_a_post_once_and_never_their_own(boards: Boards) -> None:
    author = await token_for(boards, "작성자")
    fans = [await token_for(boards, f"팬{n}") for n in range(3)]
    post = (await (await write(boards, "free", author)).json())["post"]
    url = f"/api/boards/free/posts/{post['post_id']}/vote"
    assert (await boards.client.post(url, headers=author)).status == 403
    for fan in fans:
        assert (await boards.client.post(url, headers=fan)).status == 200
    again = await boards.client.post(url, headers=fans[0])
    assert (again.status, (await again.json())["error"]["code"]) == (409, "already_voted")
    listed = await (await boards.client.get("/api/boards/free/posts")).json()
    assert listed["posts"][0]["votes"] == 3


async def test_members_comment_on_notices_and_boards_may_keep_comments_to_staff(
    boards_factory: BoardsFactory,
) -> None:
    boards = await boards_factory(boards_boards={
        "notice": {"name": "공지사항", "write": "staff", "comment": "member"},
        "press": {"name": "보도자료", "write": "staff", "comment": "staff"},
    })  # fmt: skip
    editor = await token_for(boards, "공지담당", Role.EDITOR)
    member = await token_for(boards, "댓글회원")
    for board, member_may in (("notice", True), ("press", False)):
        made = await write(boards, board, editor, title=f"{board} 글")  # not a duplicate
        assert made.status == 201, await made.text()
        post = (await made.json())["post"]
        url = f"/api/boards/{board}/posts/{post['post_id']}/comments"
        by_member = await boards.client.post(
            url, json={"body_text": "확인했습니다"}, headers=member
        )
        assert by_member.status == (201 if member_may else 403), board
        by_staff = await boards.client.post(url, json={"body_text": "답변"}, headers=editor)
        assert by_staff.status == 201
    assert (await boards.client.get("/api/boards/free/posts")).status == 404  # not configured
