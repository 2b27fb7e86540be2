"""In-memory implementations of the ports in `tickets/ports.py`, for fast use-case tests.

`Fakes` holds one of each plus a `ManualClock`; `fakes.ws` is the `Workspace` a use case
runs with, and the fakes keep what happened (tickets, events, follow-up rows, messages)
for a test to read back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any

from tests.factories import FILED_AT
from tickets.clock import ManualClock
from tickets.membership import DepartmentView
from tickets.ports import Workspace
from tickets.routing import RoutingRule
from tickets.views import IdentityViewEntry, NewReport, TicketView

VIEW_FIELDS = frozenset(f.name for f in dataclasses.fields(TicketView))


@dataclass(frozen=True)
class Event:
    ticket_id: int
    at: datetime
    actor_kind: str
    actor_id: int | None
    kind: str
    from_state: str | None = None
    to_state: str | None = None
    text: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


class FakeDirectory:
    """Departments by id (1 is the intake; ids in `archived` are archived), routing rules
    and per-category deadline days."""

    def __init__(self) -> None:
        self.departments: dict[int, str] = {1: "Intake", 2: "Transport Bureau"}
        self.archived: set[int] = set()
        self.intake_id = 1
        self.rules: list[RoutingRule] = []
        self.days: dict[str, tuple[int, int]] = {}
        self.parents: dict[int, int | None] = {}

    async def department_parents(self) -> dict[int, int | None]:
        return dict(self.parents)

    async def routing_rules(self) -> list[Any]:
        return list(self.rules)

    async def intake_department_id(self) -> int:
        return self.intake_id

    async def department_name(self, *, department_id: int) -> str:
        return self.departments.get(department_id, "")

    async def get_department(self, *, department_id: int) -> DepartmentView | None:
        name = self.departments.get(department_id)
        if name is None:
            return None
        return DepartmentView(
            id=department_id,
            name=name,
            is_intake=department_id == self.intake_id,
            archived=department_id in self.archived,
        )

    async def deadline_days(self, *, category: str) -> tuple[int, int] | None:
        return self.days.get(category)


class FakeTicketRepository:
    """Tickets as `TicketView`s; fields a view lacks (`survey_comment`, …) go to `extras`."""

    def __init__(self, directory: FakeDirectory) -> None:
        self.directory = directory
        self.tickets: dict[int, TicketView] = {}
        self.extras: dict[int, dict[str, Any]] = {}
        self.submit_keys: dict[str, int] = {}
        self.phashes: dict[int, set[str]] = {}
        self.events: list[Event] = []
        self._ids = count(1)

    def seed(self, ticket: TicketView) -> TicketView:
        """Put a ticket in place as it is (say, already resolved)."""
        self.tickets[ticket.id] = ticket
        self.extras.setdefault(ticket.id, {})
        return ticket

    async def get(self, *, ticket_id: int) -> TicketView | None:
        return self.tickets.get(ticket_id)

    async def get_by_code(self, *, code: str) -> TicketView | None:
        return next((t for t in self.tickets.values() if t.code == code), None)

    async def get_by_submit_key(self, *, submit_key: str) -> TicketView | None:
        ticket_id = self.submit_keys.get(submit_key)
        return None if ticket_id is None else self.tickets[ticket_id]

    async def add(
        self,
        *,
        draft: NewReport,
        code: str,
        department_id: int,
        state: str,
        accept_by: datetime,
        resolve_by: datetime,
        now: datetime,
    ) -> TicketView:
        ticket_id = next(self._ids)
        while ticket_id in self.tickets:
            ticket_id = next(self._ids)
        ticket = TicketView(
            id=ticket_id,
            code=code,
            category=draft.category,
            description=draft.description,
            state=str(state),
            department_id=department_id,
            department_name=self.directory.departments[department_id],
            anonymous=draft.anonymous,
            reporter_id=draft.reporter_user_id,
            reporter_user_id=draft.reporter_user_id,
            created_at=now,
            place_text=draft.place_text,
            latitude=draft.latitude,
            longitude=draft.longitude,
            source_tag=draft.source_tag,
            accept_by=accept_by,
            resolve_by=resolve_by,
            real_name=draft.real_name,
            phone=draft.phone,
        )
        self.submit_keys[draft.submit_key] = ticket_id
        self.phashes[ticket_id] = {p.phash for p in draft.photos if p.phash}
        return self.seed(ticket)

    async def update(self, *, ticket_id: int, changes: dict[str, Any]) -> TicketView:
        ticket = self.tickets[ticket_id]
        view = {k: v for k, v in changes.items() if k in VIEW_FIELDS}
        if "department_id" in view:
            view["department_name"] = self.directory.departments[view["department_id"]]
        if "state" in view:
            view["state"] = str(view["state"])
        self.extras[ticket_id].update({k: v for k, v in changes.items() if k not in VIEW_FIELDS})
        self.tickets[ticket_id] = dataclasses.replace(ticket, **view)
        return self.tickets[ticket_id]

    async def add_event(
        self,
        *,
        ticket_id: int,
        at: datetime,
        actor_kind: str,
        actor_id: int | None,
        kind: str,
        from_state: str | None = None,
        to_state: str | None = None,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self.events.append(
            Event(
                ticket_id,
                at,
                actor_kind,
                actor_id,
                kind,
                None if from_state is None else str(from_state),
                None if to_state is None else str(to_state),
                text,
                payload or {},
            )
        )

    async def count_submitted_since(self, *, reporter_user_id: int, since: datetime) -> int:
        return sum(
            t.reporter_user_id == reporter_user_id and t.created_at >= since
            for t in self.tickets.values()
        )

    async def event_times_since(
        self, *, ticket_id: int, kinds: Collection[str], since: datetime
    ) -> list[datetime]:
        return [
            e.at
            for e in self.events
            if e.ticket_id == ticket_id and e.kind in kinds and e.at > since
        ]

    async def similar_photo_codes(
        self, *, phashes: Sequence[str], like: TicketView, limit: int
    ) -> list[str]:
        wanted = set(phashes)
        return [
            self.tickets[ticket_id].code
            for ticket_id, held in sorted(self.phashes.items(), reverse=True)
            if ticket_id != like.id
            and held & wanted
            and self.tickets[ticket_id].department_id == like.department_id
            and self.tickets[ticket_id].anonymous == like.anonymous
        ][:limit]

    def event_kinds(self, ticket_id: int) -> list[str]:
        return [e.kind for e in self.events if e.ticket_id == ticket_id]


@dataclass
class FollowUpRow:
    ticket_id: int
    kind: str
    due_at: datetime
    cancelled: bool = False
    cancelled_at: datetime | None = None


class FakeFollowUps:
    def __init__(self) -> None:
        self.rows: list[FollowUpRow] = []

    async def schedule(self, *, ticket_id: int, plan: Sequence[tuple[str, datetime]]) -> None:
        self.rows.extend(FollowUpRow(ticket_id, str(kind), due) for kind, due in plan)

    async def cancel(
        self, *, ticket_id: int, at: datetime, kinds: Sequence[str] | None = None
    ) -> None:
        for row in self.rows:
            if row.ticket_id == ticket_id and (kinds is None or row.kind in kinds):
                row.cancelled = True
                row.cancelled_at = at

    def pending(self, ticket_id: int) -> dict[str, datetime]:
        """The kinds still planned for a ticket, with their due times."""
        return {
            r.kind: r.due_at for r in self.rows if r.ticket_id == ticket_id and not r.cancelled
        }


@dataclass(frozen=True)
class Sent:
    """One notification: `to` is filed, changed, department, admins or reporter."""

    to: str
    kind: str
    ticket_id: int
    state: str
    text: str | None = None
    department_id: int | None = None


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def _record(self, to: str, ticket: TicketView, kind: str, text: str | None) -> None:
        self.sent.append(Sent(to, kind, ticket.id, ticket.state, text, ticket.department_id))

    async def ticket_filed(self, ticket: TicketView, *, duplicate_hints: Sequence[str]) -> None:
        self._record("filed", ticket, "filed", ",".join(duplicate_hints) or None)

    async def ticket_changed(
        self, ticket: TicketView, *, kind: str, text: str | None = None
    ) -> None:
        self._record("changed", ticket, kind, text)

    async def to_department(
        self, ticket: TicketView, *, kind: str, text: str | None, photo_file_id: str | None = None
    ) -> None:
        self._record("department", ticket, kind, text)

    async def to_admins(self, ticket: TicketView, *, kind: str, text: str | None = None) -> None:
        self._record("admins", ticket, kind, text)

    async def to_reporter(self, ticket: TicketView, *, kind: str, text: str | None = None) -> None:
        self._record("reporter", ticket, kind, text)

    async def to_office(self, ticket: TicketView, *, department_id: int, kind: str) -> None:
        self._record("office", ticket, kind, str(department_id))

    def to(self, recipient: str) -> list[str]:
        """The kinds of message `recipient` got, in order."""
        return [s.kind for s in self.sent if s.to == recipient]


@dataclass(frozen=True)
class IdentityLook:
    ticket_id: int
    viewer_user_id: int
    member_id: int | None
    role: str
    at: datetime
    kind: str = "identity"
    evidence_id: int | None = None


class FakeIdentityViews:
    """The identity audit as a list of looks (the SQL one stores a hash, not the id)."""

    def __init__(self) -> None:
        self.looks: list[IdentityLook] = []

    async def record(
        self,
        *,
        ticket_id: int,
        viewer_user_id: int,
        member_id: int | None,
        role: str,
        at: datetime,
        kind: str = "identity",
        evidence_id: int | None = None,
    ) -> None:
        self.looks.append(
            IdentityLook(ticket_id, viewer_user_id, member_id, role, at, kind, evidence_id)
        )

    async def list_for(self, *, ticket_id: int) -> list[IdentityViewEntry]:
        return [
            IdentityViewEntry(
                at=look.at,
                viewer_hash=f"h{look.viewer_user_id}",
                role=look.role,
                member_id=look.member_id,
                kind=look.kind,
            )
            for look in self.looks
            if look.ticket_id == ticket_id
        ]


@dataclass
class Fakes:
    """One of each fake port, sharing a `ManualClock` that starts at FILED_AT."""

    clock: ManualClock = field(default_factory=lambda: ManualClock(FILED_AT))
    directory: FakeDirectory = field(default_factory=FakeDirectory)
    followups: FakeFollowUps = field(default_factory=FakeFollowUps)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)
    identity_views: FakeIdentityViews = field(default_factory=FakeIdentityViews)
    tickets: FakeTicketRepository = field(init=False)

    def __post_init__(self) -> None:
        self.tickets = FakeTicketRepository(self.directory)

    @property
    def ws(self) -> Workspace:
        return Workspace(
            tickets=self.tickets,
            directory=self.directory,
            followups=self.followups,
            notifier=self.notifier,
            clock=self.clock,
        )
