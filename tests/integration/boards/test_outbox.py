"""Boards' events survive a bus outage: the writes succeed, the events wait in their
documents' outboxes, and the sweep publishes them once the bus is back."""

from __future__ import annotations

from typing import Any

import pytest

from services.boards.board_api import BOARDS
from shared.schemas import CommentAdded, MemberJoined, MemberRoleChanged, PostCreated, PostHidden
from shared.schemas.boards import Role
from shared.service import INFRA
from shared.topics import BOARDS_EVENTS, MEMBERS_EVENTS
from tests.integration.boards.conftest import Boards
from tests.integration.boards.test_posts import token_for, write


async def stored(boards: Boards, collection: str, doc_id: str) -> dict[str, Any]:
    storage = await boards.app[INFRA].open_storage("boards")
    doc = await (await storage.collection(collection)).get(doc_id)
    await storage.close()
    assert doc is not None
    return doc


async def test_events_wait_out_a_bus_outage(
    boards: Boards, monkeypatch: pytest.MonkeyPatch
) -> None:
    board_events = await boards.observe(BOARDS_EVENTS.name)
    member_events = await boards.observe(MEMBERS_EVENTS.name)
    admin = await token_for(boards, "관리인", Role.ADMIN)
    bus = boards.app[INFRA].bus

    async def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the bus is down")

    monkeypatch.setattr(bus, "send", down)
    signed = await boards.sign_up("outage@example.kr", "장애회원")
    assert signed.status == 201, await signed.text()
    member_id = (await signed.json())["member"]["member_id"]
    token = (await (await boards.log_in("outage@example.kr")).json())["token"]
    member = {"Authorization": f"Bearer {token}"}
    created = await write(boards, "free", member, title="장애 중에 쓴 글")
    assert created.status == 201, await created.text()
    post_id = (await created.json())["post"]["post_id"]
    url = f"/api/boards/free/posts/{post_id}"
    comment = await boards.client.post(url + "/comments", json={"body_text": "댓글"}, headers=admin)
    assert comment.status == 201
    hidden = await boards.client.post(url + "/hide", json={"reason": "검토"}, headers=admin)
    assert hidden.status == 200
    promoted = await boards.client.patch(
        f"/api/members/{member_id}", json={"role": "reporter"}, headers=admin
    )
    assert promoted.status == 200
    post_doc = await stored(boards, "posts", post_id)
    assert post_doc["outbox_pending"] is True and len(post_doc["outbox"]) == 2
    assert board_events == [] and member_events == []
    monkeypatch.undo()  # the bus is back

    outbox = boards.app[BOARDS].outbox
    assert await outbox.sweep() >= 3  # the post, the comment, the member (and 관리인's sign-up)
    await boards.until(lambda: len(board_events) >= 3 and len(member_events) >= 3)
    # The post's own events in order; the comment's comes from the comment's document.
    assert [type(e) for e in board_events if not isinstance(e, CommentAdded)] == [
        PostCreated, PostHidden,
    ]  # fmt: skip
    assert [e.comment.post_id for e in board_events if isinstance(e, CommentAdded)] == [post_id]
    theirs = [type(e) for e in member_events if e.member_id == member_id]
    assert theirs == [MemberJoined, MemberRoleChanged]
    assert await outbox.sweep() == 0  # nothing left
    post_doc = await stored(boards, "posts", post_id)
    assert (post_doc["outbox"], post_doc["outbox_pending"]) == ([], False)
    assert (await stored(boards, "members", member_id))["outbox"] == []
