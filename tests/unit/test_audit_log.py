"""The console's audit log read: four record kinds merged newest first, paged, filtered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.audit import SqlAuditLog
from storage.db import SessionFactory
from storage.models import IdentityView, RetentionPurge, SecurityEvent, TicketEvent
from tests.factories import add_department, add_ticket

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


async def test_records_of_every_kind_come_newest_first_and_by_kind(
    sessions: SessionFactory,
) -> None:
    department = await add_department(sessions, "受理中心")
    ticket = await add_ticket(sessions, department, T0)
    assert ticket.id is not None
    at = [T0 + timedelta(minutes=m) for m in range(6)]
    async with sessions() as session, session.begin():
        session.add_all(
            [
                IdentityView(ticket_id=ticket.id, at=at[1], viewer_hash="v1", role="admin"),
                TicketEvent(
                    ticket_id=ticket.id, at=at[2], actor_kind="member", actor_id=7, kind="reject"
                ),
                TicketEvent(ticket_id=ticket.id, at=at[5], actor_kind="member", kind="accept"),
                RetentionPurge(at=at[3], kind="evidence", count=4, trigger="schedule"),
                SecurityEvent(at=at[4], actor_hash="s1", kind="csrf", detail="/console/x"),
                SecurityEvent(at=at[0], actor_hash="s0", kind="not_staff"),
            ]
        )
    kinds = ("identity", "moderation", "purge", "security")
    async with sessions() as session:
        log = SqlAuditLog(session)
        entries, total = await log.page(kinds=kinds, offset=0, limit=10)
        second, _total = await log.page(kinds=kinds, offset=2, limit=2)
        refusals, refused = await log.page(kinds=["security"], offset=0, limit=10)
    assert total == 5  # an acceptance is no moderation
    assert [e.what for e in entries] == ["csrf", "evidence", "reject", "identity", "not_staff"]
    assert entries[2].ticket_code == ticket.code and entries[1].detail == "4"
    assert [e.what for e in second] == ["reject", "identity"]
    assert refused == 2 and [e.who for e in refusals] == ["s1", "s0"]


async def test_configuration_changes_are_their_own_kind_not_refusals(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session, session.begin():
        session.add_all(
            [
                SecurityEvent(at=T0, actor_hash="a1", kind="config_rule_add", detail="#1 → #2"),
                SecurityEvent(at=T0 + timedelta(minutes=1), actor_hash="s1", kind="csrf"),
                # "_" is a LIKE wildcard: only the literal prefix makes a change.
                SecurityEvent(at=T0 + timedelta(minutes=2), actor_hash="s2", kind="configXforged"),
            ]
        )
    async with sessions() as session:
        log = SqlAuditLog(session)
        changes, changed = await log.page(kinds=["config"], offset=0, limit=10)
        refusals, refused = await log.page(kinds=["security"], offset=0, limit=10)
    assert changed == 1 and [(e.kind, e.what, e.who) for e in changes] == [
        ("config", "rule_add", "a1")
    ]
    assert refused == 2 and [e.what for e in refusals] == ["configXforged", "csrf"]
