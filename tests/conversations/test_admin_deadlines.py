"""Administrators set the deadline policy in chat (`/deadline`) or from YAML (`snapreport
routes load`); a change applies to reports filed afterwards, never to those already open."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.directory import SqlDirectory
from storage.routes_file import load_routes_file, parse_routes
from tests.conversations.staff import (
    config_changes,
    new_ticket,
    prefer_language,
    security_events,
)
from tests.conversations.steps import file_report, ticket_by_code

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


async def overrides(app: SnapreportApp) -> dict[str, tuple[int, int]]:
    async with app.session_factory() as session:
        return await SqlDirectory(session).list_deadline_days()


async def test_deadline_lists_every_category_with_the_defaults(
    app: SnapreportApp, admin: ChatUser
) -> None:
    await prefer_language(app, admin)
    await admin.command("deadline")
    table = await admin.expect("Deadlines in working days: accept / resolve")
    assert "idle Phone or private business at work: 1 / 5\n" in table.content
    assert "extortion Asking for favours or gifts: 1 / 5\n" in table.content
    assert "✏️" not in table.content.split("\n\n")[0]  # nothing changed yet
    assert "A red card follows 2 working days after a missed deadline." in table.content


async def test_a_changed_deadline_applies_to_reports_filed_afterwards(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser
) -> None:
    await prefer_language(app, admin, citizen)
    before = await new_ticket(app, citizen, category="idle")

    await admin.command("deadline", "idle 2 3")
    await admin.expect(
        "⏱ Phone or private business at work: accept within 2 and resolve within 3 working "
        "days, for reports filed from now on."
    )
    await admin.command("deadline")
    table = await admin.expect("Deadlines in working days")
    assert "idle Phone or private business at work: 2 / 3 ✏️" in table.content
    assert "extortion Asking for favours or gifts: 1 / 5\n" in table.content

    code = await file_report(citizen)  # Monday 09:00, category idle
    after = await ticket_by_code(app, code)
    assert (after.accept_by, after.resolve_by) == (local(11, 25, 18), local(11, 26, 18))
    kept = await ticket_by_code(app, before.code)
    assert (kept.accept_by, kept.resolve_by) == (local(11, 24, 18), local(11, 30, 18))
    assert await config_changes(app) == [("deadline", "idle 2/3")]


async def test_invalid_days_are_refused_with_the_usage(
    app: SnapreportApp, admin: ChatUser
) -> None:
    await prefer_language(app, admin)
    for args in ("idle 3 2", "idle 0 5", "idle 1 121", "idle 61 70", "idle one", "idle 1 2 3"):
        await admin.command("deadline", args)
        usage = await admin.expect("/deadline CATEGORY ACCEPT RESOLVE")
        assert "accept 1–60, resolve ACCEPT–120" in usage.content, args
    assert await overrides(app) == {}


async def test_an_unknown_category_is_named(app: SnapreportApp, admin: ChatUser) -> None:
    await prefer_language(app, admin)
    await admin.command("deadline", "<b>parking</b> 1 2")
    # Shown as typed, not as markup.
    await admin.expect("There is no category <b>parking</b>; /deadline lists them.")
    assert await overrides(app) == {}


async def test_only_administrators_change_deadlines(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser
) -> None:
    await prefer_language(app, supervisor, citizen)
    for user in (supervisor, citizen):
        await user.command("deadline", "idle 1 2")
        await user.expect("Only administrators can do this.")
    assert await overrides(app) == {}
    assert [event.kind for event in await security_events(app)] == ["not_admin", "not_admin"]


async def test_a_deadlines_section_loaded_from_yaml_sets_new_tickets_deadlines(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text("deadlines:\n  idle: {accept_days: 3, resolve_days: 10}\n", "utf-8")
    summary = await load_routes_file(app.settings, routes)
    assert "1 deadline overrides loaded" in summary

    code = await file_report(citizen)  # Monday 09:00: Thursday, then Monday two weeks on
    ticket = await ticket_by_code(app, code)
    assert (ticket.accept_by, ticket.resolve_by) == (local(11, 26, 18), local(12, 7, 18))
    await prefer_language(app, admin)
    await admin.command("deadline")
    assert (
        "idle Phone or private business at work: 3 / 10 ✏️"
        in (await admin.expect("Deadlines in working days")).content
    )


def test_yaml_deadlines_may_not_resolve_before_they_accept() -> None:
    with pytest.raises(ValidationError, match="resolve_days must be at least accept_days"):
        parse_routes("deadlines:\n  idle: {accept_days: 3, resolve_days: 2}\n")
