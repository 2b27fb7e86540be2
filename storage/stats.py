"""The one query layer behind `/stats`, rankings, digests and exports.

Counting happens in SQL, because a quarter can hold a hundred thousand tickets: one
grouped aggregate over the tickets (driven by the `created_at` index) and one over their
reopen and card events (a join on `ticket_event.ticket_id`). Only what SQL cannot do
portably comes back row by row: each ticket's filing, acceptance and resolution instants
as epoch seconds, which `tickets.measures` turns into office hours on the Chinese
working-day calendar and into local weeks. Everything returned is a plain value; the
definitions of the figures live in `tickets.measures`.

Anonymous reporters' identities never leave this module: export rows carry a reporter's
real name and phone only when the caller asks for identities *and* the ticket is
real-name, and the channel user id is never selected at all.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Float,
    Select,
    Table,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import SessionFactory
from storage.identity import EncryptedStr
from tickets.accused import REPORTER_TEXT_KINDS
from tickets.calendar import DEFAULT_TZ
from tickets.findings import SUBSTANTIATED
from tickets.measures import (
    Counts,
    DepartmentMeasures,
    Durations,
    Folded,
    Measures,
    Period,
    Ranking,
    RankingWeights,
    SourceMeasures,
    TimesRow,
    build_measures,
    fold_times,
    rank_departments,
    top,
)
from tickets.records import CardedTicket, EventRecord, Stats, TicketRecord
from tickets.states import OPEN_STATES

TICKET: Table = SQLModel.metadata.tables["ticket"]
EVENT: Table = SQLModel.metadata.tables["ticket_event"]
DEPARTMENT: Table = SQLModel.metadata.tables["department"]
REPORTER: Table = SQLModel.metadata.tables["reporter"]
PRAISE: Table = SQLModel.metadata.tables["praise"]
ACCUSED = DEPARTMENT.alias("accused")  # the unit a report is about

NOT_ACTIONABLE = ("rejected", "duplicate")
REPLIED_STATES = ("resolved", "closed")
FLAG_EVENTS = ("reopened", "yellow_card", "red_card")
TOP_N = 5

T = TypeVar("T")


class EpochSeconds(FunctionElement[float]):
    """Seconds since 1970-01-01 UTC of a `UTCDateTime` column, on either backend."""

    type = Float()
    inherit_cache = True


@compiles(EpochSeconds, "sqlite")
def _epoch_sqlite(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps times as text and computes with whole milliseconds; rounding the Julian
    # day back to them makes a ticket filed at 00:00:00 fall on its own day, not the last.
    column = compiler.process(element.clauses, **kw)
    return f"(CAST(ROUND((julianday({column}) - 2440587.5) * 86400000.0) AS INTEGER) / 1000.0)"


@compiles(EpochSeconds, "postgresql")
def _epoch_postgresql(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    # EXTRACT gives numeric, a Decimal per value in asyncpg; a double is far cheaper.
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS FLOAT8)"


@dataclass(frozen=True)
class Scope:
    """Tickets received in `period`, optionally of one department or category."""

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

    def resolved_where(self) -> list[ColumnElement[bool]]:
        """The conditions for resolutions standing in this scope, whenever received."""
        t = TICKET.c
        conditions = [
            t.resolved_at >= self.period.start,
            t.resolved_at < self.period.end,
            t.state.in_(REPLIED_STATES),
            t.finding.is_not(None),
        ]
        if self.department_id is not None:
            conditions.append(t.department_id == self.department_id)
        if self.category is not None:
            conditions.append(t.category == self.category)
        return conditions


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    # Never NULL: every group of a GROUP BY holds at least one row.
    return func.sum(case((condition, 1), else_=0))


def _ticket_aggregates(as_of: datetime) -> dict[str, ColumnElement[Any]]:
    """Return the `Counts` fields computable from the ticket row alone (names match)."""
    t = TICKET.c
    actionable = t.state.not_in(NOT_ACTIONABLE)
    replied = or_(
        and_(t.public_reply.is_not(None), t.public_reply != ""), t.state.in_(REPLIED_STATES)
    )
    resolve_passed = and_(t.resolve_by.is_not(None), t.resolve_by <= as_of)
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
        "satisfied": _count(and_(answered, t.satisfaction == "satisfied")),
        "fair": _count(and_(answered, t.satisfaction == "fair")),
        "unsatisfied": _count(and_(answered, t.satisfaction == "unsatisfied")),
        "default_satisfied": _count(t.satisfaction_default.is_(True)),
    }


def _event_aggregates() -> dict[str, ColumnElement[Any]]:
    """Return per-ticket flags that need events: a ticket counts once however many it has."""
    t, e = TICKET.c, EVENT.c
    reopened = or_(t.state == "reopened", e.kind == "reopened")

    def tickets_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count(func.distinct(case((condition, t.id))))

    return {
        "reopened": tickets_where(reopened),
        "reopened_unresolved": tickets_where(and_(reopened, t.resolved_at.is_(None))),
        "yellow_cards": tickets_where(or_(t.card == "yellow", e.kind == "yellow_card")),
        "red_cards": tickets_where(or_(t.card == "red", e.kind == "red_card")),
    }


def _finding_aggregates() -> dict[str, ColumnElement[Any]]:
    """Return the findings' `Counts` fields, over the resolutions standing in a scope."""
    t = TICKET.c
    held = t.finding.in_([str(f) for f in SUBSTANTIATED])
    return {
        "with_finding": func.count(),
        "substantiated": _count(held),
        "people_concerned": func.coalesce(
            func.sum(case((held, func.coalesce(t.people_concerned, 0)), else_=0)), 0
        ),
    }


def _is_flag_event() -> ColumnElement[bool]:
    # Literal values, not bound parameters: only then can SQLite and PostgreSQL use a
    # partial index `ON ticket_event (ticket_id) WHERE kind IN (...)`, should one exist.
    return EVENT.c.kind.in_([literal(kind, literal_execute=True) for kind in FLAG_EVENTS])


Cell = tuple[int, str]  # (department id, category slug): the finest grain counted


async def _grouped(
    session: AsyncSession, statement: Select[Any], columns: dict[str, ColumnElement[Any]]
) -> dict[Cell, dict[str, int]]:
    result = await session.execute(statement)
    return {
        (row.department_id, row.category): {name: int(row._mapping[name]) for name in columns}
        for row in result
    }


async def load_counts(
    session: AsyncSession, scope: Scope, *, as_of: datetime
) -> dict[Cell, Counts]:
    """Return the counts of each (department, category) that received tickets in `scope`."""
    t, e = TICKET.c, EVENT.c
    keys = (t.department_id, t.category)
    plain = _ticket_aggregates(as_of)
    flagged = _event_aggregates()
    base = await _grouped(
        session,
        select(*keys, *(c.label(n) for n, c in plain.items()))
        .where(*scope.where())
        .group_by(*keys),
        plain,
    )
    # Only tickets with a flag event or flag state take part, so the DISTINCTs stay small.
    events = await _grouped(
        session,
        select(*keys, *(c.label(n) for n, c in flagged.items()))
        .select_from(TICKET.outerjoin(EVENT, and_(e.ticket_id == t.id, _is_flag_event())))
        .where(
            *scope.where(),
            or_(e.kind.is_not(None), t.state == "reopened", t.card.in_(("yellow", "red"))),
        )
        .group_by(*keys),
        flagged,
    )
    findings_columns = _finding_aggregates()
    findings = await _grouped(
        session,
        select(*keys, *(c.label(n) for n, c in findings_columns.items()))
        .where(*scope.resolved_where())
        .group_by(*keys),
        findings_columns,
    )
    counts = {}
    for cell, values in base.items():
        extra = events.get(cell, {})
        unresolved = extra.pop("reopened_unresolved", 0)
        counts[cell] = Counts(
            **values,
            **extra,
            **findings.pop(cell, {}),
            resolved_ever=values["resolved"] + unresolved,
        )
    # Resolutions of tickets received before the period: cells of their own.
    counts.update({cell: Counts(**values) for cell, values in findings.items()})
    return counts


async def load_times(session: AsyncSession, scope: Scope) -> list[TimesRow[int]]:
    """Return `(department, state, filed, accepted, resolved)` per ticket, in epoch seconds."""
    t = TICKET.c
    statement = select(
        t.department_id,
        t.state,
        EpochSeconds(t.created_at),
        EpochSeconds(t.accepted_at),
        EpochSeconds(t.resolved_at),
    ).where(*scope.where())
    # Rows unpack like tuples; copying 100k of them into real tuples would only cost time.
    return cast(list[TimesRow[int]], (await session.execute(statement)).all())


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
    return tuple((name, count) for name, count in await session.execute(statement))


async def load_top_places_by_department(
    session: AsyncSession, scope: Scope, *, n: int = TOP_N
) -> dict[int, tuple[tuple[str, int], ...]]:
    """Return each department's `n` places named most often."""
    place = TICKET.c.place_text
    grouped = (
        select(TICKET.c.department_id, place, func.count().label("n"))
        .where(*scope.where(), place.is_not(None), place != "")
        .group_by(TICKET.c.department_id, place)
        .subquery()
    )
    position = func.row_number().over(
        partition_by=grouped.c.department_id, order_by=(grouped.c.n.desc(), grouped.c.place_text)
    )
    ranked = select(grouped, position.label("position")).subquery()
    statement = (
        select(ranked.c.department_id, ranked.c.place_text, ranked.c.n)
        .where(ranked.c.position <= n)
        .order_by(ranked.c.department_id, ranked.c.position)
    )
    found: dict[int, list[tuple[str, int]]] = {}
    for department_id, name, count in await session.execute(statement):
        found.setdefault(department_id, []).append((name, count))
    return {department_id: tuple(places) for department_id, places in found.items()}


async def load_source_counts(
    session: AsyncSession, scope: Scope, *, as_of: datetime
) -> dict[str, Counts]:
    """Return the ticket-row counts of each source that received tickets in `scope`."""
    source = TICKET.c.intake_source
    plain = _ticket_aggregates(as_of)
    statement = (
        select(source, *(c.label(n) for n, c in plain.items()))
        .where(*scope.where())
        .group_by(source)
    )
    return {
        row.intake_source: Counts(**{name: int(row._mapping[name]) for name in plain})
        for row in await session.execute(statement)
    }


def source_measures(counts: dict[str, Counts]) -> tuple[SourceMeasures, ...]:
    """Each source's measures, the busiest first (ties by name, so the order is stable)."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1].received, item[0]))
    return tuple(SourceMeasures(source, build_measures(c)) for source, c in ordered)


async def load_praise_counts(session: AsyncSession, scope: Scope) -> dict[int, int]:
    """Return how many praises each unit received in `scope` (none for a category)."""
    if scope.category is not None:
        return {}  # a praise has no category
    p = PRAISE.c
    conditions = [p.created_at >= scope.period.start, p.created_at < scope.period.end]
    if scope.department_id is not None:
        conditions.append(p.department_id == scope.department_id)
    statement = (
        select(p.department_id, func.count().label("praises"))
        .where(*conditions)
        .group_by(p.department_id)
    )
    return {int(d): int(n) for d, n in await session.execute(statement)}


async def load_departments(session: AsyncSession) -> dict[int, tuple[str, bool]]:
    """Return each department's name and whether it is archived, by id."""
    statement = select(DEPARTMENT.c.id, DEPARTMENT.c.name, DEPARTMENT.c.archived)
    return {d: (name, bool(archived)) for d, name, archived in await session.execute(statement)}


async def load_stats(
    sessions: SessionFactory,
    period: Period,
    *,
    as_of: datetime,
    department_id: int | None = None,
    category: str | None = None,
    tz: str = DEFAULT_TZ,
    places_by_department: bool = False,
) -> Stats:
    """Return the measures of `period` overall, per department and per week.

    `as_of` (the clock's now) decides which deadlines have passed. With `department_id`
    the departments list holds that one department only (a supervisor's own view); without
    it, every active department and any other that received tickets.

    It takes the session factory rather than a session: its queries only read and do not
    depend on each other, so each runs on its own connection, concurrently. SQLite releases
    the GIL while it works and PostgreSQL works in its own processes, so the counting in
    the database overlaps with Python folding the ticket times.
    """
    scope = Scope(period, department_id, category)

    async def read(query: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with sessions() as session:
            return await query(session)

    async def folded() -> Folded[int]:
        return fold_times(await read(lambda s: load_times(s, scope)), period, tz)

    async def department_places() -> dict[int, tuple[tuple[str, int], ...]]:
        if not places_by_department:
            return {}
        return await read(lambda s: load_top_places_by_department(s, scope))

    # Nested: asyncio.gather keeps its results' types for up to six awaitables.
    (counts, times, top_places, places, departments, sources), praises = await asyncio.gather(
        asyncio.gather(
            read(lambda s: load_counts(s, scope, as_of=as_of)),
            folded(),
            read(lambda s: load_top_places(s, scope)),
            department_places(),
            read(load_departments),
            read(lambda s: load_source_counts(s, scope, as_of=as_of)),
        ),
        read(lambda s: load_praise_counts(s, scope)),
    )
    return Stats(
        period,
        _overall_measures(counts, times.durations, top_places, praises),
        _each_department(
            counts, times.durations, places, departments, praises, only=department_id
        ),
        times.weeks,
        source_measures(sources),
    )


def _each_department(
    counts: dict[Cell, Counts],
    durations: dict[int, Durations],
    places: dict[int, tuple[tuple[str, int], ...]],
    departments: dict[int, tuple[str, bool]],
    praises: dict[int, int],
    *,
    only: int | None,
) -> tuple[DepartmentMeasures, ...]:
    if only is not None:
        shown = {only}
    else:
        active = {d for d, (_, archived) in departments.items() if not archived}
        shown = active | {d for d, _ in counts} | set(praises)
    return tuple(
        DepartmentMeasures(
            d,
            departments.get(d, (str(d), False))[0],
            _department_measures(
                counts, d, durations.get(d, Durations()), places.get(d, ()), praises.get(d, 0)
            ),
        )
        for d in sorted(shown)
    )


def _overall_measures(
    counts: dict[Cell, Counts],
    durations: dict[int, Durations],
    top_places: tuple[tuple[str, int], ...],
    praises: dict[int, int],
) -> Measures:
    categories: Counter[str] = Counter()
    for (_, slug), cell_counts in counts.items():
        categories[slug] += cell_counts.received
    return build_measures(
        sum(counts.values(), Counts(praises=sum(praises.values()))),
        [hours for d in durations.values() for hours in d.accept],
        [hours for d in durations.values() for hours in d.resolve],
        top(categories),
        top_places,
    )


def _department_measures(
    counts: dict[Cell, Counts],
    department_id: int,
    durations: Durations,
    places: tuple[tuple[str, int], ...],
    praises: int,
) -> Measures:
    mine = {slug: c for (d, slug), c in counts.items() if d == department_id}
    return build_measures(
        sum(mine.values(), Counts(praises=praises)),
        durations.accept,
        durations.resolve,
        top({slug: c.received for slug, c in mine.items()}),
        places,
    )


async def load_measures(
    sessions: SessionFactory,
    period: Period,
    *,
    as_of: datetime,
    department_id: int | None = None,
    category: str | None = None,
    tz: str = DEFAULT_TZ,
) -> Measures:
    """Return the measures of `period`, for all departments or one, optionally one category."""
    stats = await load_stats(
        sessions, period, as_of=as_of, department_id=department_id, category=category, tz=tz
    )
    return stats.overall


async def load_department_measures(
    sessions: SessionFactory,
    period: Period,
    *,
    as_of: datetime,
    category: str | None = None,
    tz: str = DEFAULT_TZ,
    with_places: bool = False,
) -> list[DepartmentMeasures]:
    """Return the measures of every active department (and any other that received tickets)."""
    stats = await load_stats(
        sessions, period, as_of=as_of, category=category, tz=tz, places_by_department=with_places
    )
    return list(stats.departments)


async def load_ranking(
    sessions: SessionFactory,
    period: Period,
    *,
    as_of: datetime,
    weights: RankingWeights | None = None,
    min_received: int = 1,
    tz: str = DEFAULT_TZ,
) -> Ranking:
    """Return the departments ranked by the composite of `tickets.measures.RankingWeights`."""
    departments = await load_department_measures(sessions, period, as_of=as_of, tz=tz)
    return rank_departments(departments, weights, min_received=min_received)


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
    "finding",
    "finding_actions",
    "people_concerned",
    "intake_source",
)


def _identity_columns(include_identity: bool) -> list[ColumnElement[Any]]:
    if not include_identity:
        return [literal(None).label("real_name"), literal(None).label("phone")]
    # Decided in SQL so an anonymous reporter's identity is never even fetched.
    anonymous = TICKET.c.anonymous.is_(True)
    # type_coerce: a CASE takes its type from its first branch (NULL), and the stored
    # names and phones are ciphertexts that only the column type decrypts.
    return [
        type_coerce(case((anonymous, None), else_=REPORTER.c.real_name), EncryptedStr).label(
            "real_name"
        ),
        type_coerce(case((anonymous, None), else_=REPORTER.c.phone), EncryptedStr).label("phone"),
    ]


def _handled_or_overseen_by(department_id: int | None) -> list[ColumnElement[bool]]:
    """Tickets handled by the department, or about a unit it supervises: the SQL form of
    `tickets.accused.supervising_office` (the unit's parent, else the intake office).
    Needs `ACCUSED` joined on the ticket's unit reported on."""
    if department_id is None:
        return []
    intake = select(DEPARTMENT.c.id).where(DEPARTMENT.c.is_intake).scalar_subquery()
    parent = ACCUSED.c.parent_id
    office = case(
        (and_(parent.is_not(None), parent != ACCUSED.c.id), parent),
        (ACCUSED.c.id != intake, intake),
        else_=None,
    )
    return [or_(TICKET.c.department_id == department_id, office == department_id)]


async def load_ticket_records(
    session: AsyncSession,
    period: Period,
    *,
    department_id: int | None = None,
    category: str | None = None,
    include_identity: bool = False,
) -> list[TicketRecord]:
    """Return the tickets received in `period`, oldest first, ready to export.

    A department's export also holds the tickets about a unit it supervises that it handed
    down (`tickets.accused`): delegating handling keeps the office's view of them.
    """
    scope = Scope(period, category=category)
    statement = (
        select(
            *(TICKET.c[name] for name in TICKET_RECORD_COLUMNS),
            DEPARTMENT.c.name.label("department"),
            ACCUSED.c.name.label("unit_reported"),
            *_identity_columns(include_identity),
        )
        .join(DEPARTMENT, DEPARTMENT.c.id == TICKET.c.department_id)
        .outerjoin(ACCUSED, ACCUSED.c.id == TICKET.c.accused_department_id)
        .where(*scope.where(), *_handled_or_overseen_by(department_id))
        .order_by(TICKET.c.created_at, TICKET.c.id)
    )
    if include_identity:
        statement = statement.join(REPORTER, REPORTER.c.id == TICKET.c.reporter_id)
    result = await session.execute(statement)
    return [
        TicketRecord(**{**row._asdict(), "finding_actions": tuple(row.finding_actions or ())})
        for row in result
    ]


async def load_event_records(
    session: AsyncSession,
    period: Period,
    *,
    department_id: int | None = None,
    category: str | None = None,
    without_reporter_words_in: Collection[int] = (),
) -> list[EventRecord]:
    """Return the events of the tickets received in `period`, in ticket then time order.

    Tickets about a unit in `without_reporter_words_in` lose the events carrying the
    reporter's words or the questions to them (`tickets.accused.REPORTER_TEXT_KINDS`):
    the unit reported on never reads them, in an export as in `/ticket`.
    """
    scope = Scope(period, category=category)
    e = EVENT.c
    statement = (
        select(TICKET.c.code, e.at, e.actor_kind, e.kind, e.from_state, e.to_state, e.text)
        .join(TICKET, TICKET.c.id == e.ticket_id)
        .outerjoin(ACCUSED, ACCUSED.c.id == TICKET.c.accused_department_id)
        .where(*scope.where(), *_handled_or_overseen_by(department_id))
        .order_by(TICKET.c.created_at, TICKET.c.id, e.at, e.id)
    )
    if without_reporter_words_in:
        statement = statement.where(
            ~(  # is_not(None) first: NOT over a NULL would drop every ticket's events
                TICKET.c.accused_department_id.is_not(None)
                & TICKET.c.accused_department_id.in_(sorted(without_reporter_words_in))
                & e.kind.in_(sorted(REPORTER_TEXT_KINDS))
            )
        )
    result = await session.execute(statement)
    return [EventRecord(*row) for row in result]


async def load_carded_tickets(session: AsyncSession) -> list[CardedTicket]:
    """Return every open ticket with a yellow or red card: red first, then by deadline."""
    t = TICKET.c
    statement = (
        select(
            t.code,
            t.department_id,
            DEPARTMENT.c.name,
            t.category,
            t.state,
            t.card,
            case((t.state == "new", t.accept_by), else_=t.resolve_by).label("due"),
        )
        .join(DEPARTMENT, DEPARTMENT.c.id == t.department_id)
        .where(t.card.in_(("yellow", "red")), t.state.in_([str(s) for s in OPEN_STATES]))
        .order_by(t.department_id, case((t.card == "red", 0), else_=1), "due", t.code)
    )
    return [CardedTicket(*row) for row in await session.execute(statement)]


class SqlStatsReads:
    """`tickets.ports.StatsReads`: the loads above in the deployment's time zone.

    The figures read on sessions of their own (in parallel, from `sessions`); the
    department names on the update's session.
    """

    def __init__(self, sessions: SessionFactory, session: AsyncSession, *, tz: str) -> None:
        self._sessions = sessions
        self._session = session
        self._tz = tz

    async def stats(self, period: Period, *, as_of: datetime, department_id: int | None) -> Stats:
        return await load_stats(
            self._sessions, period, as_of=as_of, department_id=department_id, tz=self._tz
        )

    async def ranking(self, period: Period, *, as_of: datetime) -> Ranking:
        return await load_ranking(self._sessions, period, as_of=as_of, tz=self._tz)

    async def department_names(self) -> dict[int, tuple[str, bool]]:
        return await load_departments(self._session)

    async def carded(self) -> list[CardedTicket]:
        return await load_carded_tickets(self._session)
