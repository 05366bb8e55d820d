"""members.events: sign-ups and role changes (by an admin over HTTP, or `sinmun member`)."""

from __future__ import annotations

import json
import subprocess
import sys

from services.boards.members import MemberStore
from shared.schemas import MemberJoined, MemberRoleChanged
from shared.schemas.boards import Role
from shared.service import INFRA
from shared.topics import MEMBERS_EVENTS
from tests.integration.boards.conftest import Boards
from tests.integration.boards.test_posts import token_for, write


async def test_sign_ups_and_role_changes_are_announced(boards: Boards) -> None:
    events = await boards.observe(MEMBERS_EVENTS.name)
    joined = await boards.sign_up("newbie@example.kr", "새기자")
    member_id = (await joined.json())["member"]["member_id"]
    admin = await token_for(boards, "관리자", Role.ADMIN)
    editor = await token_for(boards, "편집자", Role.EDITOR)
    url = f"/api/members/{member_id}"

    async def set_role(role: object, auth: dict[str, str], target: str = url) -> int:
        answer = await boards.client.patch(target, data=json.dumps({"role": role}), headers=auth)
        return answer.status

    assert await set_role("editor", editor) == 403  # only admins
    member = await token_for(boards, "일반회원")
    assert await set_role("admin", member) == 403
    for bad in ({"$gt": ""}, "reader", "superuser", ["admin"]):
        assert await set_role(bad, admin) == 422, bad
    assert await set_role("editor", admin, "/api/members/" + "0" * 32) == 404
    assert await set_role("editor", admin) == 200
    assert await set_role("editor", admin) == 200  # the same role again: no event
    assert await set_role("reporter", admin) == 200

    def arrived() -> bool:  # 새기자's three events, and 일반회원's sign-up
        joined = {e.nickname for e in events if isinstance(e, MemberJoined)}
        return len([e for e in events if e.member_id == member_id]) >= 3 and "일반회원" in joined

    await boards.until(arrived)
    events = [e for e in events if e.member_id == member_id]
    assert isinstance(events[0], MemberJoined)
    assert (events[0].member_id, events[0].nickname, events[0].role) == (
        member_id, "새기자", Role.MEMBER,
    )  # fmt: skip
    changes = [(e.old_role, e.new_role) for e in events[1:]]
    assert all(isinstance(e, MemberRoleChanged) and e.member_id == member_id for e in events[1:])
    assert changes == [(Role.MEMBER, Role.EDITOR), (Role.EDITOR, Role.REPORTER)]
    # The next session carries the new role: a reporter writes notices.
    body = await (await boards.log_in("newbie@example.kr")).json()
    assert body["member"]["role"] == "reporter"
    staff = {"Authorization": f"Bearer {body['token']}"}
    assert (await write(boards, "notice", staff, title="새 공지")).status == 201


def member_command(
    boards: Boards, *args: str, password: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from services.cli import main; main()", "member", *args],
        input=password + "\n", capture_output=True, text=True, timeout=120, check=False,
        env=boards.cli_env(),
    )  # fmt: skip


async def test_member_commands_create_admins_and_change_roles(boards: Boards) -> None:
    events = await boards.observe(MEMBERS_EVENTS.name)
    made = member_command(
        boards, "create", "--role", "admin", "--email", "desk@example.kr", "--nickname", "편집국",
        password="편집국-비밀번호-2026",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "created admin '편집국'" in made.stdout
    weak = member_command(
        boards, "create", "--role", "admin", "--email", "b@example.kr", "--nickname", "둘째",
        password="password123",
    )  # fmt: skip
    assert weak.returncode == 1 and "too common" in weak.stderr
    taken = member_command(
        boards, "create", "--role", "editor", "--email", "DESK@example.kr", "--nickname", "셋째",
        password="편집국-비밀번호-2026",
    )  # fmt: skip
    assert taken.returncode == 1 and "email is already registered" in taken.stderr
    logged_in = await (await boards.log_in("desk@example.kr", "편집국-비밀번호-2026")).json()
    assert logged_in["member"]["role"] == "admin"
    demoted = member_command(boards, "role", "편집국", "--role", "editor")
    assert demoted.returncode == 0, demoted.stderr
    assert member_command(boards, "role", "nobody@example.kr", "--role", "admin").returncode == 1
    storage = await boards.app[INFRA].open_storage("boards")
    member = await (await MemberStore.open(storage)).by_email("desk@example.kr")
    await storage.close()
    assert member is not None and member.role is Role.EDITOR
    await boards.until(lambda: len(events) >= 2)
    assert isinstance(events[0], MemberJoined) and events[0].role is Role.ADMIN
    assert isinstance(events[1], MemberRoleChanged)
    assert (events[1].old_role, events[1].new_role, events[1].changed_by) == (
        Role.ADMIN, Role.EDITOR, "cli",
    )  # fmt: skip
    assert len(events) == 2
