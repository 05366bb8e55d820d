"""Editing and deleting, 신고 reports that hide a post until staff decide, staff hide and
restore, 조회수 once per viewer, search within a board."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from services.boards.board_api import BOARDS
from services.boards.read_cache import ViewCounter
from shared.auth import VERIFIER
from shared.schemas.boards import Role
from shared.service import INFRA
from shared.topics import BOARDS_EVENTS
from tests.integration.boards.conftest import Boards
from tests.integration.boards.test_posts import token_for, write


async def new_post(boards: Boards, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await write(boards, "free", auth, **fields)
    assert response.status == 201, await response.text()
    post: dict[str, Any] = (await response.json())["post"]
    return post


async def test_authors_edit_until_someone_comments_and_staff_always(boards: Boards) -> None:
    author, other = await token_for(boards, "작가"), await token_for(boards, "남이")
    editor = await token_for(boards, "데스크", Role.EDITOR)
    post = await new_post(boards, author, title="오타 있는 제목")
    url = f"/api/boards/free/posts/{post['post_id']}"
    edited = await boards.client.patch(url, json={"title": "고친 제목"}, headers=author)
    assert edited.status == 200, await edited.text()
    assert ((await edited.json())["post"]["title"], (await edited.json())["post"]["version"]) == (
        "고친 제목", 2,
    )  # fmt: skip
    assert (await boards.client.patch(url, json={"title": "x"}, headers=other)).status == 403
    await boards.client.post(url + "/comments", json={"body_text": "댓글"}, headers=other)
    locked = await boards.client.patch(url, json={"title": "또 고침"}, headers=author)
    assert (locked.status, (await locked.json())["error"]["code"]) == (409, "locked")
    assert (await boards.client.delete(url, headers=author)).status == 409
    assert (
        await boards.client.patch(url, json={"body_text": "편집"}, headers=editor)
    ).status == 200


async def test_a_deleted_post_disappears_for_readers(boards: Boards) -> None:
    author = await token_for(boards, "지우개")
    editor = await token_for(boards, "데스크2", Role.EDITOR)
    post = await new_post(boards, author, title="지울 글")
    url = f"/api/boards/free/posts/{post['post_id']}"
    assert (await boards.client.delete(url, headers=author)).status == 204
    assert (await boards.client.get(url, headers=author)).status == 404
    listed = await (await boards.client.get("/api/boards/free/posts")).json()
    assert post["post_id"] not in {p["post_id"] for p in listed["posts"]}
    seen = await (await boards.client.get(url, headers=editor)).json()
    assert seen["post"]["hidden"] is True and "deleted" in seen["post"]["hidden_reason"]


async def test_three_reports_hide_a_post_until_staff_restore_it(boards: Boards) -> None:
    author = await token_for(boards, "문제글")
    reporters = [await token_for(boards, f"신고자{n}") for n in range(3)]
    staff = await token_for(boards, "운영진", Role.ADMIN)
    post = await new_post(boards, author, title="논란의 글")
    url = f"/api/boards/free/posts/{post['post_id']}"
    assert (await boards.client.post(url + "/report", json={"reason": "x"}, headers=author)
            ).status == 403  # fmt: skip
    for n, reporter in enumerate(reporters[:2]):
        answer = await boards.client.post(
            url + "/report", json={"reason": "욕설"}, headers=reporter
        )
        assert (await answer.json()) == {"post_id": post["post_id"], "reports": n + 1,
                                         "hidden": False}  # fmt: skip
    twice = await boards.client.post(url + "/report", json={"reason": "욕설"}, headers=reporters[0])
    assert twice.status == 409
    third = await boards.client.post(url + "/report", json={"reason": "광고"}, headers=reporters[2])
    assert (await third.json())["hidden"] is True
    assert (await boards.client.get(url, headers=author)).status == 404
    queue = "/api/boards/free/posts?hidden=true"
    assert (await boards.client.get(queue, headers=author)).status == 403
    boards.client.session.cookie_jar.clear()  # the last login's cookies
    assert (await boards.client.get(queue)).status == 401
    waiting = (await (await boards.client.get(queue, headers=staff)).json())["posts"]
    assert [(p["post_id"], p["reports"], p["hidden"]) for p in waiting] == [
        (post["post_id"], 3, True),
    ]  # fmt: skip
    assert "awaiting staff" in waiting[0]["hidden_reason"]
    assert (await boards.client.post(url + "/restore", headers=author)).status in {403, 404}
    assert (await boards.client.post(url + "/restore", headers=staff)).status == 200
    assert (await boards.client.get(url, headers=author)).status == 200
    # Staff decided: the earlier reports no longer count, one more report does not hide it.
    late = await token_for(boards, "늦은신고")
    answer = await boards.client.post(url + "/report", json={"reason": "광고"}, headers=late)
    assert (await answer.json()) == {"post_id": post["post_id"], "reports": 1, "hidden": False}
    assert (await boards.client.get(url)).status == 200
    assert (await (await boards.client.get(queue, headers=staff)).json())["posts"] == []
    hidden = await boards.client.post(
        url + "/hide", json={"reason": "명예훼손 소지"}, headers=staff
    )
    assert hidden.status == 200
    assert (await boards.client.get(url, headers=author)).status == 404


async def test_views_count_once_per_viewer(boards: Boards) -> None:
    author, reader = await token_for(boards, "조회"), await token_for(boards, "독자1")
    post = await new_post(boards, author, title="조회수 시험")
    url = f"/api/boards/free/posts/{post['post_id']}"
    counts = []
    for auth in (author, author, reader, reader):
        counts.append((await (await boards.client.get(url, headers=auth)).json())["post"]["views"])
    boards.client.session.cookie_jar.clear()
    for _ in range(2):
        counts.append((await (await boards.client.get(url)).json())["post"]["views"])
    assert counts == [1, 1, 2, 2, 3, 3]


async def test_search_within_a_board_by_title_or_author(boards: Boards) -> None:
    one, two = await token_for(boards, "영일대러버"), await token_for(boards, "경주토박이")
    await new_post(boards, one, title="영일대 KTX 주차 팁")
    await new_post(boards, two, title="경주 단풍 코스", body_text="영일대 말고 경주")
    by_title = await (await boards.client.get("/api/boards/free/posts?q=ktx")).json()
    assert [p["title"] for p in by_title["posts"]] == ["영일대 KTX 주차 팁"]
    by_author = await (
        await boards.client.get("/api/boards/free/posts?q=경주토박이&by=author")
    ).json()
    assert [p["author_nick"] for p in by_author["posts"]] == ["경주토박이"]
    assert (await boards.client.get("/api/boards/free/posts?q=x&by=body")).status == 400


async def test_search_results_come_in_pages_with_the_whole_count(boards: Boards) -> None:
    staff = await token_for(boards, "페이지기자", Role.REPORTER)  # not rate-limited
    for n in range(5):
        await new_post(boards, staff, title=f"포항 소식 {n}", body_text=f"본문 {n}")
    await new_post(boards, staff, title="경주 소식")
    for by, q in (("title", "포항"), ("author", "페이지기자")):
        pages = [
            await (await boards.client.get(
                "/api/boards/free/posts", params={"q": q, "by": by, "size": "2", "page": str(p)}
            )).json()
            for p in (1, 2, 3)
        ]  # fmt: skip
        expected = 5 if by == "title" else 6
        assert [page["total"] for page in pages] == [expected] * 3, by
        titles = [post["title"] for page in pages for post in page["posts"]]
        assert len(titles) == expected and titles[0] in {"경주 소식", "포항 소식 4"}, titles
        assert len(set(titles)) == expected  # no post on two pages


async def test_views_count_once_per_viewer_per_24_hours_across_replicas(boards: Boards) -> None:
    author = await token_for(boards, "조회수")
    post = await new_post(boards, author, title="하루에 한 번")
    deps = boards.app[BOARDS]
    for _ in range(2):
        await boards.client.get(f"/api/boards/free/posts/{post['post_id']}", headers=author)
    await deps.views.flush()
    stored = await deps.posts.get(post["post_id"])
    assert stored is not None and stored[1]["views"] == 1
    # Another replica (its own in-memory state) sees the same viewer: storage says "seen".
    clock = [0.0]
    replica = ViewCounter(deps.posts, deps.reactions, clock=lambda: clock[0])
    assert replica.view(post["post_id"], "viewer-x") == 1
    assert replica.view(post["post_id"], "viewer-x") == 1  # the same viewer again: not queued
    await replica.flush()
    replica.view(post["post_id"], _viewer_of(boards, author))
    await replica.flush()
    stored = await deps.posts.get(post["post_id"])
    assert stored is not None and stored[1]["views"] == 2  # viewer-x counted, the author not
    # A day later the same viewer counts again, in memory and in storage.
    storage = await boards.app[INFRA].open_storage("boards")
    views = await storage.collection("views")
    seen = await views.get(f"{post['post_id']}:viewer-x")
    assert seen is not None
    a_day_ago = (datetime.now(UTC) - timedelta(hours=24, minutes=1)).isoformat()
    assert await views.compare_and_set({**seen, "at": a_day_ago, "version": seen["version"] + 1},
                                       seen["version"])  # fmt: skip
    await storage.close()
    clock[0] += 24 * 3600
    assert replica.view(post["post_id"], "viewer-x") == 1
    await replica.flush()
    stored = await deps.posts.get(post["post_id"])
    assert stored is not None and stored[1]["views"] == 3


def _viewer_of(boards: Boards, auth: dict[str, str]) -> str:
    session = boards.app[VERIFIER].verify(auth["Authorization"].removeprefix("Bearer "))
    assert session is not None
    return "m:" + session.member_id


async def test_changes_are_announced_on_boards_events(boards: Boards) -> None:
    events = await boards.observe(BOARDS_EVENTS.name)
    author, reader = await token_for(boards, "알림글"), await token_for(boards, "알림독자")
    staff = await token_for(boards, "알림운영", Role.EDITOR)
    post = await new_post(boards, author, title="처음 제목")
    url = f"/api/boards/free/posts/{post['post_id']}"
    assert (
        await boards.client.patch(url, json={"title": "고친 제목"}, headers=author)
    ).status == 200
    comment = await boards.client.post(
        url + "/comments", json={"body_text": "댓글 https://a.example"}, headers=reader
    )
    assert (await comment.json())["comment"]["body_html"].startswith("댓글 <a href=")
    assert (
        await boards.client.post(url + "/hide", json={"reason": "검토"}, headers=staff)
    ).status == 200
    for _ in range(2):  # the second restore finds the post visible: nothing to announce
        assert (await boards.client.post(url + "/restore", headers=staff)).status == 200
    await boards.until(lambda: len(events) >= 5)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["PostCreated", "PostUpdated", "CommentAdded", "PostHidden", "PostUpdated"]
    assert events[1].post.title == "고친 제목" and events[1].post.version == 2
    assert events[2].comment.post_id == post["post_id"]
    assert (events[3].post_id, events[3].reason) == (post["post_id"], "검토")
    await asyncio.sleep(0.5)
    assert len(events) == 5
