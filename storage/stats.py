"""The one query layer behind `/stats`, rankings, digests and exports.

Counting happens in SQL (one grouped aggregate per request, driven by the `created_at`
index), because a quarter can hold hundreds of thousands of tickets; only what SQL cannot
do portably comes back row by row: the filing/accept/resolve instants as epoch seconds,
which `tickets.measures` turns into office hours on the Chinese working-day calendar.
Everything returned is a plain value; the definitions of each figure live in
`tickets.measures`.

Anonymous reporters' identities never leave this module: export rows carry a reporter's
real name and phone only when the caller asks for identities *and* the ticket is
real-name, and the channel user id is never selected at all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from tickets.calendar import DEFAULT_TZ
from tickets.measures import (
    Counts,
    DepartmentMeasures,
    Measures,
    Period,
    Ranking,
    RankingWeights,
    WeekCounts,
    build_measures,
    rank_departments,
    top,
    weekly_counts,
    working_hours,
)

TICKET: Table = SQLModel.metadata.tables["ticket"]
EVENT: Table = SQLModel.metadata.tables["ticket_event"]
DEPARTMENT: Table = SQLModel.metadata.tables["department"]
REPORTER: Table = SQLModel.metadata.tables["reporter"]

NOT_ACTIONABLE = ("rejected", "duplicate")
REPLIED_STATES = ("resolved", "closed")
TOP_N = 5


class EpochSeconds(FunctionElement[int]):
    """Whole seconds since 1970-01-01 UTC of a `UTCDateTime` column, on either backend."""

    type = BigInteger()
    inherit_cache = True


@compiles(EpochSeconds, "sqlite")
def _epoch_sqlite(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores UTCDateTime as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(EpochSeconds, "postgresql")
def _epoch_postgresql(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    # EXTRACT returns numeric (a Decimal per row in asyncpg); a bigint is cheaper to ship.
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@dataclass(frozen=True)
class Scope:
    """Which tickets a request covers: received in `period`, optionally one department or
    category."""

    period: Period
    department_id: int | None = None
    category: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """Return the WHERE conditions of this scope on the ticket table."""
        conditions = [
            TICKET.c.created_at >= self.period.start,
            TICKET.c.created_at < self.period.end,
        ]
        if self.department_id is not None:
            conditions.append(TICKET.c.department_id == self.department_id)
        if self.category is not None:
            conditions.append(TICKET.c.category == self.category)
        return conditions


def _has_event(kind: str) -> ColumnElement[bool]:
    return exists().where(EVENT.c.ticket_id == TICKET.c.id, EVENT.c.kind == kind)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _count_columns(as_of: datetime) -> dict[str, ColumnElement[Any]]:
    """Return one aggregate per `Counts` field (names match)."""
    t = TICKET.c
    actionable = t.state.not_in(NOT_ACTIONABLE)
    replied = or_(
        and_(t.public_reply.is_not(None), t.public_reply != ""), t.state.in_(REPLIED_STATES)
    )
    resolve_passed = and_(t.resolve_by.is_not(None), t.resolve_by <= as_of)
    reopened = or_(t.state == "reopened", _has_event("reopened"))
    answered = t.satisfaction_default.is_not(True)
    return {
        "received": func.count(),
        "actionable": _count(actionable),
        "accepted": _count(t.accepted_at.is_not(None)),
        "accept_due": _count(
            and_(
                actionable,
                t.accept_by.is_not(None),
                or_(t.accepted_at.is_not(None), t.accept_by <= as_of),
            )
        ),
        "accepted_on_time": _count(and_(actionable, t.accepted_at <= t.accept_by)),
        "replied": _count(and_(actionable, replied)),
        "reply_due": _count(and_(actionable, or_(replied, resolve_passed))),
        "resolved": _count(t.resolved_at.is_not(None)),
        "resolve_due": _count(and_(actionable, or_(t.resolved_at.is_not(None), resolve_passed))),
        "resolved_on_time": _count(and_(actionable, t.resolved_at <= t.resolve_by)),
        "resolved_ever": _count(or_(t.resolved_at.is_not(None), reopened)),
        "satisfied": _count(and_(answered, t.satisfaction == "satisfied")),
        "fair": _count(and_(answered, t.satisfaction == "fair")),
        "unsatisfied": _count(and_(answered, t.satisfaction == "unsatisfied")),
        "default_satisfied": _count(t.satisfaction_default.is_(True)),
        "reopened": _count(reopened),
        "yellow_cards": _count(or_(t.card == "yellow", _has_event("yellow_card"))),
        "red_cards": _count(or_(t.card == "red", _has_event("red_card"))),
    }


async def load_counts(
    session: AsyncSession, scope: Scope, *, as_of: datetime
) -> dict[int, Counts]:
    """Return the counts of each department that received tickets in `scope`."""
    columns = _count_columns(as_of)
    statement = (
        select(TICKET.c.department_id, *(c.label(name) for name, c in columns.items()))
        .where(*scope.where())
        .group_by(TICKET.c.department_id)
    )
    result = await session.execute(statement)
    return {
        row.department_id: Counts(**{name: int(row._mapping[name]) for name in columns})
        for row in result
    }


@dataclass(frozen=True)
class Durations:
    """Working hours to accept and to resolve, counted from filing."""

    accept: list[float]
    resolve: list[float]


async def load_durations(
    session: AsyncSession, scope: Scope, *, tz: str = DEFAULT_TZ
) -> dict[int, Durations]:
    """Return each department's working hours to accept and to resolve."""
    t = TICKET.c
    statement = select(
        t.department_id,
        EpochSeconds(t.created_at),
        EpochSeconds(t.accepted_at),
        EpochSeconds(t.resolved_at),
    ).where(*scope.where(), or_(t.accepted_at.is_not(None), t.resolved_at.is_not(None)))
    rows = (await session.execute(statement)).all()
    accept_spans = [
        (created, accepted) for _, created, accepted, _ in rows if accepted is not None
    ]
    resolve_spans = [
        (created, resolved) for _, created, _, resolved in rows if resolved is not None
    ]
    accept_hours = iter(working_hours(accept_spans, tz))
    resolve_hours = iter(working_hours(resolve_spans, tz))
    found: dict[int, Durations] = defaultdict(lambda: Durations([], []))
    # The hour lists are in row order, so walking the rows again pairs them up.
    for department_id, _, accepted, resolved in rows:
        durations = found[department_id]
        if accepted is not None:
            durations.accept.append(next(accept_hours))
        if resolved is not None:
            durations.resolve.append(next(resolve_hours))
    return dict(found)


async def load_categories(session: AsyncSession, scope: Scope) -> dict[int, Counter[str]]:
    """Return each department's tickets per category slug."""
    statement = (
        select(TICKET.c.department_id, TICKET.c.category, func.count())
        .where(*scope.where())
        .group_by(TICKET.c.department_id, TICKET.c.category)
    )
    found: dict[int, Counter[str]] = defaultdict(Counter)
    for department_id, category, count in (await session.execute(statement)):
        found[department_id][category] = count
    return dict(found)


def _places_query(scope: Scope) -> Select[tuple[int, str, int]]:
    place = TICKET.c.place_text
    return (
        select(TICKET.c.department_id, place, func.count().label("n"))
        .where(*scope.where(), place.is_not(None), place != "")
        .group_by(TICKET.c.department_id, place)
    )


async def load_top_places(
    session: AsyncSession, scope: Scope, *, n: int = TOP_N
) -> tuple[tuple[str, int], ...]:
    """Return the `n` places named most often in `scope`."""
    place = TICKET.c.place_text
    statement = (
        select(place, func.count().label("n"))
        .where(*scope.where(), place.is_not(None), place != "")
        .group_by(place)
        .order_by(func.count().desc(), place)
        .limit(n)
    )
    return tuple((name, count) for name, count in (await session.execute(statement)))


async def load_top_places_by_department(
    session: AsyncSession, scope: Scope, *, n: int = TOP_N
) -> dict[int, tuple[tuple[str, int], ...]]:
    """Return each department's `n` places named most often."""
    grouped = _places_query(scope).subquery()
    ranked = select(
        grouped.c.department_id,
        grouped.c.place_text,
        grouped.c.n,
        func.row_number()
        .over(
            partition_by=grouped.c.department_id,
            order_by=(grouped.c.n.desc(), grouped.c.place_text),
        )
        .label("position"),
    ).subquery()
    statement = (
        select(ranked.c.department_id, ranked.c.place_text, ranked.c.n)
        .where(ranked.c.position <= n)
        .order_by(ranked.c.department_id, ranked.c.position)
    )
    found: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for department_id, place, count in (await session.execute(statement)):
        found[department_id].append((place, count))
    return {department_id: tuple(places) for department_id, places in found.items()}


async def department_names(
    session: AsyncSession, *, include_archived: bool = False
) -> dict[int, str]:
    """Return the departments' names by id (archived ones only when asked)."""
    statement = select(DEPARTMENT.c.id, DEPARTMENT.c.name).order_by(DEPARTMENT.c.id)
    if not include_archived:
        statement = statement.where(DEPARTMENT.c.archived.is_(False))
    return dict((await session.execute(statement)).all())


async def load_measures(
    session: AsyncSession,
    period: Period,
    *,
    as_of: datetime,
    department_id: int | None = None,
    category: str | None = None,
    tz: str = DEFAULT_TZ,
) -> Measures:
    """Return the measures of `period`, for all departments or one, optionally one category."""
    scope = Scope(period, department_id, category)
    counts = await load_counts(session, scope, as_of=as_of)
    durations = await load_durations(session, scope, tz=tz)
    categories = await load_categories(session, scope)
    return build_measures(
        sum(counts.values(), Counts()),
        [hours for d in durations.values() for hours in d.accept],
        [hours for d in durations.values() for hours in d.resolve],
        top(sum(categories.values(), Counter())),
        await load_top_places(session, scope),
    )


async def load_department_measures(
    session: AsyncSession,
    period: Period,
    *,
    as_of: datetime,
    category: str | None = None,
    tz: str = DEFAULT_TZ,
    with_places: bool = True,
) -> list[DepartmentMeasures]:
    """Return the measures of every active department (and any other that received tickets)."""
    scope = Scope(period, category=category)
    counts = await load_counts(session, scope, as_of=as_of)
    durations = await load_durations(session, scope, tz=tz)
    categories = await load_categories(session, scope)
    places = await load_top_places_by_department(session, scope) if with_places else {}
    names = await department_names(session, include_archived=True)
    active = await department_names(session)
    ids = sorted(set(active) | set(counts))
    empty = Durations([], [])
    return [
        DepartmentMeasures(
            department_id,
            names.get(department_id, str(department_id)),
            build_measures(
                counts.get(department_id, Counts()),
                durations.get(department_id, empty).accept,
                durations.get(department_id, empty).resolve,
                top(categories.get(department_id, Counter())),
                places.get(department_id, ()),
            ),
        )
        for department_id in ids
    ]


async def load_ranking(
    session: AsyncSession,
    period: Period,
    *,
    as_of: datetime,
    weights: RankingWeights | None = None,
    min_received: int = 1,
    tz: str = DEFAULT_TZ,
) -> Ranking:
    """Return the departments ranked by the composite of `tickets.measures.RankingWeights`."""
    departments = await load_department_measures(
        session, period, as_of=as_of, tz=tz, with_places=False
    )
    return rank_departments(departments, weights, min_received=min_received)


async def load_weekly_states(
    session: AsyncSession,
    period: Period,
    *,
    department_id: int | None = None,
    category: str | None = None,
    tz: str = DEFAULT_TZ,
) -> tuple[WeekCounts, ...]:
    """Return the tickets received each local week of `period`, by their current state."""
    scope = Scope(period, department_id, category)
    hour = (EpochSeconds(TICKET.c.created_at) // 3600).label("hour")
    statement = (
        select(hour, TICKET.c.state, func.count())
        .where(*scope.where())
        .group_by(hour, TICKET.c.state)
    )
    rows = (await session.execute(statement)).all()
    return weekly_counts(((int(h), state, count) for h, state, count in rows), period, tz)


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


@dataclass(frozen=True)
class EventRecord:
    """One audit event as exported: who kind of actor did what, never the actor's id."""

    code: str
    at: datetime
    actor_kind: str
    kind: str
    from_state: str | None
    to_state: str | None
    text: str | None


TICKET_RECORD_COLUMNS = (
    "code",
    "category",
    "state",
    "description",
    "place_text",
    "latitude",
    "longitude",
    "source_tag",
    "anonymous",
    "card",
    "satisfaction",
    "satisfaction_default",
    "public_reply",
    "reject_reason",
    "created_at",
    "updated_at",
    "accept_by",
    "accepted_at",
    "resolve_by",
    "resolved_at",
    "closed_at",
)


def _identity_columns(include_identity: bool) -> list[ColumnElement[Any]]:
    if not include_identity:
        return [literal(None).label("real_name"), literal(None).label("phone")]
    # Decided in SQL so an anonymous reporter's identity is never even fetched.
    anonymous = TICKET.c.anonymous.is_(True)
    return [
        case((anonymous, None), else_=REPORTER.c.real_name).label("real_name"),
        case((anonymous, None), else_=REPORTER.c.phone).label("phone"),
    ]


async def load_ticket_records(
    session: AsyncSession,
    period: Period,
    *,
    department_id: int | None = None,
    category: str | None = None,
    include_identity: bool = False,
) -> list[TicketRecord]:
    """Return the tickets received in `period`, oldest first, ready to export."""
    scope = Scope(period, department_id, category)
    statement = (
        select(
            *(TICKET.c[name] for name in TICKET_RECORD_COLUMNS),
            DEPARTMENT.c.name.label("department"),
            *_identity_columns(include_identity),
        )
        .join(DEPARTMENT, DEPARTMENT.c.id == TICKET.c.department_id)
        .where(*scope.where())
        .order_by(TICKET.c.created_at, TICKET.c.id)
    )
    if include_identity:
        statement = statement.join(REPORTER, REPORTER.c.id == TICKET.c.reporter_id)
    result = await session.execute(statement)
    return [TicketRecord(**row._asdict()) for row in result]


async def load_event_records(
    session: AsyncSession,
    period: Period,
    *,
    department_id: int | None = None,
    category: str | None = None,
) -> list[EventRecord]:
    """Return the events of the tickets received in `period`, in ticket then time order."""
    scope = Scope(period, department_id, category)
    e = EVENT.c
    statement = (
        select(TICKET.c.code, e.at, e.actor_kind, e.kind, e.from_state, e.to_state, e.text)
        .join(TICKET, TICKET.c.id == e.ticket_id)
        .where(*scope.where())
        .order_by(TICKET.c.created_at, TICKET.c.id, e.at, e.id)
    )
    result = await session.execute(statement)
    return [EventRecord(*row) for row in result]
