"""What the use cases need from the outside world, as Protocols.

`storage/` implements the repositories on SQLModel and `bot/` the notifier on the
outbox; tests can pass fakes. Every method runs inside the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from tickets.clock import Clock
from tickets.holidays import PACKAGED, WorkingCalendar
from tickets.views import NewReport, TicketView


class TicketRepository(Protocol):
    async def get(self, *, ticket_id: int) -> TicketView | None: ...

    async def get_by_code(self, *, code: str) -> TicketView | None: ...

    async def get_by_submit_key(self, *, submit_key: str) -> TicketView | None: ...

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
    ) -> TicketView: ...

    async def update(self, *, ticket_id: int, changes: dict[str, Any]) -> TicketView: ...

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
    ) -> None: ...

    async def count_submitted_since(self, *, reporter_user_id: int, since: datetime) -> int: ...

    async def similar_photo_codes(
        self, *, phashes: Sequence[str], exclude_ticket_id: int
    ) -> list[str]: ...


class DirectoryRepository(Protocol):
    async def routing_rules(self) -> list[Any]: ...

    async def intake_department_id(self) -> int: ...

    async def department_name(self, *, department_id: int) -> str: ...

    async def deadline_days(self, *, category: str) -> tuple[int, int] | None: ...


class FollowUpRepository(Protocol):
    async def schedule(self, *, ticket_id: int, plan: Sequence[tuple[str, datetime]]) -> None: ...

    async def cancel(
        self, *, ticket_id: int, at: datetime, kinds: Sequence[str] | None = None
    ) -> None: ...


class Notifier(Protocol):
    """Turns domain happenings into outbox messages (in the same transaction)."""

    async def ticket_filed(
        self, ticket: TicketView, *, duplicate_hints: Sequence[str]
    ) -> None: ...

    async def ticket_changed(
        self, ticket: TicketView, *, kind: str, text: str | None = None
    ) -> None: ...

    async def to_department(
        self, ticket: TicketView, *, kind: str, text: str | None, photo_file_id: str | None = None
    ) -> None: ...

    async def to_admins(
        self, ticket: TicketView, *, kind: str, text: str | None = None
    ) -> None: ...

    async def to_reporter(
        self, ticket: TicketView, *, kind: str, text: str | None = None
    ) -> None: ...


@dataclass(frozen=True)
class Workspace:
    """The ports one use case runs with, all bound to one unit of work."""

    tickets: TicketRepository
    directory: DirectoryRepository
    followups: FollowUpRepository
    notifier: Notifier
    clock: Clock
    timezone: str = "Asia/Shanghai"
    survey_window: timedelta = timedelta(days=7)
    calendar: WorkingCalendar = PACKAGED
