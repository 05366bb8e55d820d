"""Role changes, heard by other services on `members.events` (an admin's `PATCH
/api/members/{id}` or `sinmun member role`); MemberJoined rides in the new member's
document (`MemberStore.create`)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.boards.members import Member, MemberStore
from services.boards.outbox import BoardsOutbox, entry
from shared.schemas import MemberRoleChanged
from shared.schemas.boards import Role
from shared.topics import MEMBERS_EVENTS

MAX_TRIES = 10


class NoSuchMemberError(LookupError):
    pass


async def change_role(
    members: MemberStore, outbox: BoardsOutbox, member_id: str, role: Role, by: str | None
) -> tuple[Member, bool]:
    """Give a member `role` (compare-and-set, retried; MemberRoleChanged in the same write)
    and publish it; the member and whether anything changed (the same role: no event)."""
    for _ in range(MAX_TRIES):
        member = await members.get(member_id)
        if member is None:
            raise NoSuchMemberError(member_id)
        if member.role is role:
            return member, False
        event = MemberRoleChanged(
            member_id=member_id, old_role=member.role, new_role=role,
            changed_at=datetime.now(UTC), changed_by=by,
        )  # fmt: skip
        pending = (*member.outbox, entry(MEMBERS_EVENTS, member_id, event))
        changed = await members.update(member, role=role, outbox=pending)
        if changed is None:
            continue  # another write came first: decide again on the fresh member
        await outbox.relay("members", member_id, changed.document())
        return changed, True
    raise RuntimeError(f"member {member_id} is changing too fast")
