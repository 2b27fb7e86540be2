"""The plain values statistics are made of: a period's figures, export rows, carded tickets.

`storage.stats` fills them from the database; `ui` turns them into texts, charts and files
and `outbox` sends those. They live here, channel- and storage-neutral, so that `ui` can
read them without importing the query layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tickets.measures import DepartmentMeasures, Measures, Period, SourceMeasures, WeekCounts


@dataclass(frozen=True)
class Stats:
    """Everything `/stats` shows for a period: the totals, each department, each week, and
    each source the period's tickets came through (busiest first)."""

    period: Period
    overall: Measures
    departments: tuple[DepartmentMeasures, ...]
    weeks: tuple[WeekCounts, ...]
    sources: tuple[SourceMeasures, ...] = ()


@dataclass(frozen=True)
class TicketRecord:
    """One ticket as exported; `real_name`/`phone` only for real-name tickets, on request."""

    code: str
    category: str
    state: str
    department: str
    description: str
    place_text: str | None
    latitude: float | None
    longitude: float | None
    source_tag: str | None
    anonymous: bool
    card: str
    satisfaction: str | None
    satisfaction_default: bool
    public_reply: str | None
    reject_reason: str | None
    created_at: datetime
    updated_at: datetime
    accept_by: datetime | None
    accepted_at: datetime | None
    resolve_by: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    real_name: str | None = None
    phone: str | None = None
    finding: str | None = None
    finding_actions: tuple[str, ...] = ()
    people_concerned: int | None = None
    # The unit the report is about (被反映单位), when the reporter named one.
    unit_reported: str | None = None
    # Where it was received (`tickets.sources`): a chat, the 12345 hotline, a letter…
    intake_source: str = "telegram"


@dataclass(frozen=True)
class EventRecord:
    """One audit event as exported: which kind of actor did what, never the actor's id."""

    code: str
    at: datetime
    actor_kind: str
    kind: str
    from_state: str | None
    to_state: str | None
    text: str | None


@dataclass(frozen=True)
class CardedTicket:
    """An open ticket holding a yellow or red card, as a department's overdue list shows it."""

    code: str
    department_id: int
    department: str
    category: str
    state: str
    card: str
    due: datetime | None  # the deadline it missed: to accept while new, else to resolve
