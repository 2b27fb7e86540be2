"""The directory's pure rules: invite tokens and their validity, names, roles, rule terms."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tickets.actors import Actor, Role
from tickets.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from tickets.membership import (
    INVITE_TTL,
    DepartmentView,
    InviteView,
    MemberView,
    RuleView,
    add_department,
    check_invite,
    clean_department_name,
    create_invite,
    invite_payload,
    new_invite_token,
    open_invites,
    parse_invite_payload,
    parse_role,
    parse_rule_terms,
    redeem_invite,
    revoke_invite,
)

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ADMIN = Actor(user_id=1, is_admin=True)
DEPARTMENT = DepartmentView(id=7, name="Transport Bureau")


class FakeDirectory:
    """Just enough of `DirectoryPort` for invites and departments, in memory."""

    def __init__(self) -> None:
        self.departments = {DEPARTMENT.id: DEPARTMENT}
        self.invites: dict[str, InviteView] = {}
        self.members: list[MemberView] = []

    async def get_department(self, *, department_id: int) -> DepartmentView | None:
        return self.departments.get(department_id)

    async def department_by_name(self, *, name: str) -> DepartmentView | None:
        return next((d for d in self.departments.values() if d.name == name), None)

    async def add_department(self, *, name: str, now: datetime) -> DepartmentView:
        department = DepartmentView(id=max(self.departments) + 1, name=name)
        self.departments[department.id] = department
        return department

    async def add_invite(
        self, *, token: str, department_id: int, role: Role, created_by: int, expires_at: datetime
    ) -> int:
        invite_id = len(self.invites) + 1
        self.invites[token] = InviteView(token, department_id, role, expires_at, id=invite_id)
        return invite_id

    async def get_invite(self, *, token: str) -> InviteView | None:
        return self.invites.get(token)

    async def use_invite(self, *, token: str, user_id: int, at: datetime) -> bool:
        invite = self.invites[token]
        if invite.used_at is not None:
            return False
        self.invites[token] = replace(invite, used_at=at)
        return True

    async def list_open_invites(self, *, now: datetime) -> list[InviteView]:
        return [i for i in self.invites.values() if i.used_at is None and i.expires_at > now]

    async def expire_invite(self, *, invite_id: int, at: datetime) -> InviteView | None:
        found = [i for i in await self.list_open_invites(now=at) if i.id == invite_id]
        if not found:
            return None
        self.invites[found[0].token] = replace(found[0], expires_at=at)
        return self.invites[found[0].token]

    async def active_member(self, *, user_id: int, department_id: int) -> MemberView | None:
        return next(
            (m for m in self.members if (m.user_id, m.department_id) == (user_id, department_id)),
            None,
        )

    async def add_member(
        self, *, user_id: int, display_name: str, role: Role, department_id: int, now: datetime
    ) -> MemberView:
        member = MemberView(len(self.members) + 1, user_id, display_name, role, department_id, now)
        self.members.append(member)
        return member

    async def set_role(self, *, member_id: int, role: Role) -> None:
        self.members = [replace(m, role=role) if m.id == member_id else m for m in self.members]

    # The rest of the port is not used by these tests.

    async def update_department(
        self,
        *,
        department_id: int,
        name: str | None = None,
        archived: bool | None = None,
        group_chat_id: int | None = None,
        unbind: bool = False,
    ) -> DepartmentView:
        raise NotImplementedError

    async def set_parent(self, *, department_id: int, parent_id: int | None) -> DepartmentView:
        raise NotImplementedError

    async def department_parents(self) -> dict[int, int | None]:
        raise NotImplementedError

    async def get_member(self, *, member_id: int) -> MemberView | None:
        raise NotImplementedError

    async def remove_member(self, *, member_id: int, at: datetime) -> None:
        raise NotImplementedError

    async def departments_bound_to(self, *, chat_id: int) -> list[DepartmentView]:
        raise NotImplementedError

    async def add_rule(
        self, *, department_id: int, category: str | None, source_tag: str | None, priority: int
    ) -> RuleView:
        raise NotImplementedError

    async def delete_rule(self, *, rule_id: int) -> bool:
        raise NotImplementedError

    async def tag_exists(self, *, tag: str) -> bool:
        raise NotImplementedError

    async def upsert_tag(self, *, tag: str, place_text: str, department_id: int | None) -> None:
        raise NotImplementedError


def test_invite_tokens_fit_a_deep_link_and_differ() -> None:
    tokens = {new_invite_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        payload = invite_payload(token)
        assert len(payload) <= 64 and parse_invite_payload(payload) == token


@pytest.mark.parametrize("payload", [None, "", "hall_01", "inv_", "inv_short", "inv_" + "a" * 61])
def test_other_payloads_are_not_invites(payload: str | None) -> None:
    assert parse_invite_payload(payload) is None


def invite(**changes: object) -> InviteView:
    base = InviteView("t" * 24, DEPARTMENT.id, Role.HANDLER, NOW + INVITE_TTL)
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "department", "now", "code"),
    [
        (None, DEPARTMENT, NOW, "invite_unknown"),
        (invite(used_at=NOW), DEPARTMENT, NOW, "invite_used"),
        (invite(), DEPARTMENT, NOW + INVITE_TTL, "invite_expired"),
        (invite(), replace(DEPARTMENT, archived=True), NOW, "department_archived"),
    ],
)
def test_invites_that_may_not_be_used(
    value: InviteView | None, department: DepartmentView, now: datetime, code: str
) -> None:
    with pytest.raises(DomainError) as raised:
        check_invite(value, department, now)
    assert raised.value.code == code


def test_a_fresh_invite_may_be_used_until_just_before_it_expires() -> None:
    assert check_invite(invite(), DEPARTMENT, NOW + INVITE_TTL - timedelta(seconds=1))


async def test_an_invite_works_once() -> None:
    directory = FakeDirectory()
    created, _department = await create_invite(
        directory, ADMIN, ref="7", role="supervisor", now=NOW
    )
    joined = await redeem_invite(
        directory, token=created.token, user_id=42, display_name="Li", now=NOW
    )
    assert (joined.department.name, joined.role) == ("Transport Bureau", Role.SUPERVISOR)
    with pytest.raises(Conflict, match="invite_used"):
        await redeem_invite(directory, token=created.token, user_id=43, display_name="W", now=NOW)
    assert [m.user_id for m in directory.members] == [42]


async def test_a_revoked_invite_is_no_longer_listed_and_refuses_like_an_expired_one() -> None:
    directory = FakeDirectory()
    kept, _ = await create_invite(directory, ADMIN, ref="7", role="handler", now=NOW)
    dropped, _ = await create_invite(directory, ADMIN, ref="7", role="supervisor", now=NOW)
    with pytest.raises(Forbidden, match="not_admin"):
        await revoke_invite(directory, Actor(user_id=2), invite_id=dropped.id, now=NOW)

    await revoke_invite(directory, ADMIN, invite_id=dropped.id, now=NOW)

    assert [i.id for i in await open_invites(directory, ADMIN, now=NOW)] == [kept.id]
    with pytest.raises(Conflict, match="invite_expired"):
        await redeem_invite(directory, token=dropped.token, user_id=42, display_name="Li", now=NOW)
    with pytest.raises(NotFound, match="invite_not_open"):
        await revoke_invite(directory, ADMIN, invite_id=dropped.id, now=NOW)


async def test_a_second_invite_changes_a_members_role() -> None:
    directory = FakeDirectory()
    for role in ("handler", "supervisor"):
        created, _ = await create_invite(
            directory, ADMIN, ref="Transport Bureau", role=role, now=NOW
        )
        await redeem_invite(directory, token=created.token, user_id=42, display_name="Li", now=NOW)
    [member] = directory.members
    assert member.role is Role.SUPERVISOR
    created, _ = await create_invite(directory, ADMIN, ref="7", role="sup", now=NOW)
    with pytest.raises(Conflict, match="already_member"):
        await redeem_invite(directory, token=created.token, user_id=42, display_name="Li", now=NOW)


async def test_only_administrators_run_the_directory() -> None:
    directory = FakeDirectory()
    supervisor = Actor(user_id=2)
    with pytest.raises(Forbidden, match="not_admin"):
        await add_department(directory, supervisor, name="Shadow Office", now=NOW)
    with pytest.raises(Forbidden, match="not_admin"):
        await create_invite(directory, supervisor, ref="7", role="handler", now=NOW)
    with pytest.raises(NotFound, match="department_unknown"):
        await create_invite(directory, ADMIN, ref="99", role="handler", now=NOW)


def test_department_names_and_roles() -> None:
    assert clean_department_name("  Tax   Office ") == "Tax Office"
    for bad in ("X", "2024", "x" * 65):
        with pytest.raises(ValidationError):
            clean_department_name(bad)
    assert parse_role("Supervisor") is Role.SUPERVISOR and parse_role("handler") is Role.HANDLER
    with pytest.raises(ValidationError):
        parse_role("boss")


def test_rule_terms() -> None:
    spec = parse_rule_terms(["category=car", "tag=hall_01", "priority=3"])
    assert (spec.category, spec.source_tag, spec.priority) == ("car", "hall_01", 3)
    for terms, code in [
        ([], "rule_empty"),
        (["priority=1"], "rule_empty"),
        (["colour=red"], "rule_terms"),
        (["car"], "rule_terms"),
        (["category=car", "category=idle"], "rule_terms"),
        (["category=car", "priority=high"], "rule_terms"),
        (["category=boats"], "unknown_category"),
        (["tag=hall 01"], "tag_invalid"),
    ]:
        with pytest.raises(ValidationError) as raised:
            parse_rule_terms(terms)
        assert raised.value.code == code, terms
