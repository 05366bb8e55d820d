"""What happens to members that other services hear about on `members.events`: a member
joined (sign-up or `sinmun member create`), a member's role changed (an admin's `PATCH
/api/members/{id}` or `sinmun member role`)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.boards.members import Member, MemberStore
from shared.ports.bus import EventBus
from shared.schemas import Envelope, MemberJoined, MemberRoleChanged
from shared.schemas.boards import Role
from shared.topics import MEMBERS_EVENTS

MAX_TRIES = 10


class NoSuchMemberError(LookupError):
    pass


async def announce_joined(bus: EventBus, member: Member) -> None:
    event = MemberJoined(
        member_id=member.member_id, nickname=member.nickname, role=member.role,
        joined_at=member.joined_at,
    )  # fmt: skip
    await bus.publish(MEMBERS_EVENTS.name, member.member_id, Envelope.wrap(event, "boards"))


async def change_role(
    members: MemberStore, bus: EventBus, member_id: str, role: Role, by: str | None
) -> tuple[Member, bool]:
    """Give a member `role` (compare-and-set, retried) and announce it; the member and whether
    anything changed (the same role again publishes nothing)."""
    for _ in range(MAX_TRIES):
        member = await members.get(member_id)
        if member is None:
            raise NoSuchMemberError(member_id)
        if member.role is role:
            return member, False
        changed = await members.update(member, role=role)
        if changed is None:
            continue  # another write came first: decide again on the fresh member
        event = MemberRoleChanged(
            member_id=member_id, old_role=member.role, new_role=role,
            changed_at=datetime.now(UTC), changed_by=by,
        )  # fmt: skip
        await bus.publish(MEMBERS_EVENTS.name, member_id, Envelope.wrap(event, "boards"))
        return changed, True
    raise RuntimeError(f"member {member_id} is changing too fast")
