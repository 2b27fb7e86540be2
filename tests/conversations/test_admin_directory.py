"""Administrators run departments, invites and members in chat; invites work once, in time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from storage.models import Department, Invite, Member, OutboxMessage, RoutingRule
from storage.routes_file import load_routes_file
from tests.conversations.staff import (
    config_changes,
    create_department,
    invite_payload_in,
    security_events,
    staff_user,
)
from tests.factories import rows_of
from tickets.clock import ManualClock
from tickets.errors import Conflict


async def invite(admin: ChatUser, department_id: int, role: str = "supervisor") -> str:
    await admin.command("dept", f"invite {department_id} {role}")
    return invite_payload_in(await admin.expect("Invite to"))


async def joined_by_invite(
    admin: ChatUser, client: EmulatorClient, department_id: int, name: str, welcome: str
) -> ChatUser:
    """A new staff user called `name` opens a handler invite of the department and is
    welcomed with `welcome`."""
    payload = await invite(admin, department_id, "handler")
    handler = await staff_user(client, name)
    await handler.start(payload)
    await handler.expect(welcome)
    return handler


async def members_of(app: SnapreportApp, department_id: int) -> list[Member]:
    where = col(Member.department_id) == department_id
    return await rows_of(app.session_factory, Member, where=where)


async def test_invite_makes_its_opener_a_supervisor_once(
    app: SnapreportApp, admin: ChatUser, client: EmulatorClient
) -> None:
    department_id = await create_department(admin, "Transport Bureau")
    payload = await invite(admin, department_id)
    newcomer = await staff_user(client, "Li")
    await newcomer.start(payload)
    await newcomer.expect("You are now a supervisor of Transport Bureau")
    [member] = await members_of(app, department_id)
    assert (member.channel_user_id, member.role) == (newcomer.id, "supervisor")
    await newcomer.command("queue")
    await newcomer.expect("No open tickets")

    latecomer = await staff_user(client, "Wang")
    await latecomer.start(payload)
    await latecomer.expect("already been used")
    assert len(await members_of(app, department_id)) == 1
    assert [e.kind for e in await security_events(app)] == ["invite_used"]


async def test_expired_and_unknown_invites_are_refused(
    app: SnapreportApp, admin: ChatUser, client: EmulatorClient, clock: ManualClock
) -> None:
    department_id = await create_department(admin, "Market Office")
    payload = await invite(admin, department_id, "handler")
    clock.advance(timedelta(hours=72, seconds=1))
    late = await staff_user(client, "Zhao")
    await late.start(payload)
    await late.expect("has expired")
    await late.start("inv_" + "x" * 24)
    await late.expect("not valid")
    assert await members_of(app, department_id) == []
    assert [e.kind for e in await security_events(app)] == ["invite_expired", "invite_unknown"]
    async with app.session_factory() as session:
        row = await session.scalar(select(Invite))
    assert row is not None and row.used_at is None and row.role == "handler"


async def test_open_invites_are_listed_and_a_revoked_one_no_longer_works(
    app: SnapreportApp, admin: ChatUser, client: EmulatorClient
) -> None:
    department_id = await create_department(admin, "Forest Office")
    used = await invite(admin, department_id, "handler")
    revoked = await invite(admin, department_id, "supervisor")
    first = await staff_user(client, "Lin")
    await first.start(used)
    await first.expect("You are now a handler")

    await admin.command("dept", "invites")
    listing = await admin.expect("Open invites")
    assert "Forest Office · supervisor · until" in listing.content
    assert "handler" not in listing.content  # the used one is gone
    answer = await admin.press("Revoke")
    assert "revoked: its link no longer works" in (answer.text or "")
    await admin.expect("No open invites")

    late = await staff_user(client, "Qian")
    await late.start(revoked)
    await late.expect("has expired")
    assert [m.channel_user_id for m in await members_of(app, department_id)] == [first.id]


async def test_departments_are_listed_renamed_and_archived(
    app: SnapreportApp, admin: ChatUser, tmp_path: Path
) -> None:
    first = await create_department(admin, "Tax Office")
    await admin.command("dept", "add Tax Office")
    await admin.expect("already exists")
    await admin.command("dept", f'rename {first} "Tax and Fees Office"')
    await admin.expect("is now called Tax and Fees Office")
    await admin.command("dept", "archive Tax Office")
    await admin.expect("No department Tax Office")
    await admin.command("dept", "archive Tax and Fees Office")
    await admin.expect("is archived")
    await admin.command("dept", f"invite {first} supervisor")
    await admin.expect("is archived")
    await admin.command("route", f"add {first} category=car")
    await admin.expect("is archived")
    routes = tmp_path / "routes.yaml"
    routes.write_text("rules:\n  - {department: Tax and Fees Office, category: car}\n")
    with pytest.raises(Conflict, match="department_archived"):
        await load_routes_file(app.settings, routes)
    await admin.command("dept", "list")
    listing = await admin.expect("Departments")
    assert f"#{first} Tax and Fees Office (archived)" in listing.content
    async with app.session_factory() as session:
        department = await session.get(Department, first)
        rules = list(await session.scalars(select(RoutingRule)))
    assert department is not None and department.archived and rules == []
    # Each change is in the audit log, once; the refused ones are not changes.
    assert await config_changes(app) == [
        ("department_add", f"#{first} Tax Office"),
        ("department_rename", f"#{first} Tax Office → Tax and Fees Office"),
        ("department_archive", f"#{first} Tax and Fees Office"),
    ]


async def test_members_are_listed_and_removed_with_a_button(
    app: SnapreportApp, admin: ChatUser, client: EmulatorClient
) -> None:
    department_id = await create_department(admin, "Housing Office")
    handler = await joined_by_invite(admin, client, department_id, "Chen", "You are now a handler")
    await admin.command("dept", f"members {department_id}")
    await admin.expect("Chen · handler")
    answer = await admin.press("Remove Chen")
    assert answer.text == "Chen is no longer a member."
    [member] = await members_of(app, department_id)
    assert member.removed_at is not None
    await handler.command("queue")
    await handler.expect("for department staff only")
    changes = [change for change, _detail in await config_changes(app)]
    assert changes == ["department_add", "invite_create", "member_remove"]


async def test_department_panel_buttons_issue_invites(app: SnapreportApp, admin: ChatUser) -> None:
    await create_department(admin, "Water Bureau")
    await admin.press("Invite handler")
    link = await admin.expect("Invite to Water Bureau as handler")
    assert "start=inv_" in link.content


async def test_only_administrators_may_administer(
    app: SnapreportApp, citizen: ChatUser, supervisor: ChatUser
) -> None:
    await citizen.command("dept", "add Fake Office")
    await citizen.expect("Only administrators can do this.")
    await supervisor.command("route", "list")
    await supervisor.expect("Only administrators can do this.")
    events = await security_events(app)
    assert [e.kind for e in events] == ["not_admin", "not_admin"]
    assert all(str(citizen.id) not in e.detail + e.actor_hash for e in events)
    async with app.session_factory() as session:
        assert (
            await session.scalar(select(Department).where(col(Department.name) == "Fake Office"))
            is None
        )


async def test_admin_binds_a_group_chat_and_others_cannot(
    app: SnapreportApp, admin: ChatUser, supervisor: ChatUser, client: EmulatorClient
) -> None:
    department_id = await create_department(admin, "Parks Office")
    group = await client.create_group("Parks office staff", [admin.id, supervisor.id])
    in_group = await supervisor.in_chat(group.id)
    await in_group.command("bind", str(department_id))
    await in_group.expect("Only administrators can do this.")
    admin_in_group = await admin.in_chat(group.id)
    await admin_in_group.command("bind", str(department_id))
    await admin_in_group.expect("This group now receives the alerts of Parks Office")
    async with app.session_factory() as session:
        department = await session.get(Department, department_id)
    assert department is not None and department.group_chat_id == group.id
    await admin.command("bind", str(department_id))
    await admin.expect("send /bind DEPT there")
    await admin_in_group.command("unbind")
    await admin_in_group.expect("Alerts of Parks Office go to their supervisors again")
    assert [e.kind for e in await security_events(app)] == ["not_admin"]


async def test_dead_messages_are_listed_without_recipients_and_retried(
    app: SnapreportApp, admin: ChatUser
) -> None:
    async with app.session_factory() as session, session.begin():
        session.add(
            OutboxMessage(
                idempotency_key="dead:1",
                chat_id=555_000_111,
                method="sendMessage",
                payload={"chat_id": 555_000_111, "text": "Your report was accepted"},
                purpose="reporter:accepted",
                state="dead",
                attempts=10,
                last_error="TelegramForbiddenError: bot was blocked by the user",
            )
        )
    await admin.command("dead")
    listing = await admin.expect("Undelivered messages")
    assert "reporter:accepted · person" in listing.content and "bot was blocked" in listing.content
    assert "555000111" not in listing.content
    await admin.command("dead", "retry")
    await admin.expect("1 message(s) queued again.")
