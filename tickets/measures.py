"""The figures supervision offices judge departments by, computed from plain values.

`storage.stats` loads counts and timestamps for a period with aggregate SQL; this module
turns them into rates, working-hour medians and percentiles, and the quarterly ranking, so
every output (the `/stats` text, charts, exports, digests) shows the same numbers.

Definitions (the cohort is the tickets *received* in the period, `start <= created_at < end`):

- *actionable*: not rejected (退回) and not a duplicate — those are not the department's
  work, so they count as received but are left out of the on-time and reply rates.
- 受理及时率 on-time acceptance: accepted with `accepted_at <= accept_by`, over actionable
  tickets that are accepted or whose accept deadline has passed at `as_of`; a ticket still
  inside its deadline is not judged yet.
- 答复率 reply rate: has a public reply or is resolved/closed, over actionable tickets that
  are replied or whose resolve deadline has passed.
- 按期办结率 on-time resolution: `resolved_at <= resolve_by`, over actionable tickets that are
  resolved or whose resolve deadline has passed.
- 满意率 satisfaction: (满意 + 基本满意) / answered surveys. A "default satisfied" rating
  (the survey went unanswered) is not an answer: it is counted and shown apart.
- reopen rate: tickets reopened at least once over tickets resolved at least once.
- cards: tickets that received at least one yellow (or red) card.
- 查处 X 件、处理 Y 人 and the 查实率 substantiation rate look at another cohort: the
  tickets whose standing resolution falls in the period (resolved or closed, `start <=
  resolved_at < end`, whenever they were received; a reopened ticket waits for its next
  finding). X counts those found 查实 or 部分属实, Y sums their people concerned, and the
  rate is X over those with any finding (resolutions from before findings have none).
- by source (来源: a citizen's chat, the 12345 hotline, a letter…, `tickets.sources`): the
  received cohort split by where each ticket came in, with the rates above that the ticket
  row alone decides.
- praises (表扬): the praises received in the period (`start <= created_at < end`), by the
  unit praised; counted beside the tickets, never in a rate or the ranking's score.
- times to accept and to resolve count from filing, in office hours on Chinese working days
  (`tickets.calendar`); percentiles interpolate linearly between ranks (numpy's default).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, tzinfo
from math import floor
from typing import Generic, TypeVar

from tickets.calendar import DAY_END, DAY_START, DEFAULT_TZ, is_working_day, zone
from tickets.clock import as_utc

ONE_DAY = timedelta(days=1)
SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class Period:
    """A half-open interval of instants `[start, end)`, both aware and stored in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_utc(self.start))
        object.__setattr__(self, "end", as_utc(self.end))
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @classmethod
    def local_days(cls, first: date, after_last: date, tz: tzinfo | str = DEFAULT_TZ) -> Period:
        """Return the local days `first` up to, not including, `after_last`."""
        tz = zone(tz)
        return cls(datetime.combine(first, time(), tz), datetime.combine(after_last, time(), tz))

    @classmethod
    def week_of(cls, day: date, tz: tzinfo | str = DEFAULT_TZ) -> Period:
        """Return the Monday-to-Sunday local week holding `day`."""
        monday = day - timedelta(days=day.weekday())
        return cls.local_days(monday, monday + 7 * ONE_DAY, tz)

    @classmethod
    def month_of(cls, day: date, tz: tzinfo | str = DEFAULT_TZ) -> Period:
        """Return the local calendar month holding `day`."""
        first = day.replace(day=1)
        return cls.local_days(first, _add_months(first, 1), tz)

    @classmethod
    def quarter(cls, year: int, number: int, tz: tzinfo | str = DEFAULT_TZ) -> Period:
        """Return local quarter `number` (1–4) of `year`."""
        if not 1 <= number <= 4:
            raise ValueError("a quarter is numbered 1 to 4")
        first = date(year, 3 * number - 2, 1)
        return cls.local_days(first, _add_months(first, 3), tz)

    @classmethod
    def quarter_of(cls, day: date, tz: tzinfo | str = DEFAULT_TZ) -> Period:
        """Return the local quarter holding `day`."""
        return cls.quarter(day.year, (day.month - 1) // 3 + 1, tz)


def _add_months(first: date, months: int) -> date:
    index = first.month - 1 + months
    return date(first.year + index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Counts:
    """Ticket (and praise) counts of one department (or of all), additive across departments."""

    received: int = 0
    actionable: int = 0
    accepted: int = 0
    accept_due: int = 0
    accepted_on_time: int = 0
    replied: int = 0
    reply_due: int = 0
    resolved: int = 0
    resolve_due: int = 0
    resolved_on_time: int = 0
    resolved_ever: int = 0
    satisfied: int = 0
    fair: int = 0
    unsatisfied: int = 0
    default_satisfied: int = 0
    reopened: int = 0
    yellow_cards: int = 0
    red_cards: int = 0
    # Of the resolutions standing in the period (see the module docstring).
    with_finding: int = 0
    substantiated: int = 0
    people_concerned: int = 0
    # Praises (表扬, `tickets.praise`) of the unit received in the period: not tickets, so
    # no rate above counts them, nor does the ranking's score.
    praises: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(Counts)}
        )

    @property
    def answered(self) -> int:
        """Surveys the reporter actually answered (default ratings excluded)."""
        return self.satisfied + self.fair + self.unsatisfied


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile of a duration in working hours; None when no data."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class Measures:
    """Every figure for one period, department or category; rates are 0–1 or None."""

    counts: Counts
    on_time_accept_rate: float | None
    reply_rate: float | None
    on_time_resolve_rate: float | None
    satisfaction_rate: float | None
    default_satisfied_share: float | None
    reopen_rate: float | None
    accept_hours: Spread
    resolve_hours: Spread
    substantiation_rate: float | None = None
    top_categories: tuple[tuple[str, int], ...] = ()
    top_places: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class DepartmentMeasures:
    """The measures of one handling department (承办部门)."""

    department_id: int
    name: str
    measures: Measures


@dataclass(frozen=True)
class SourceMeasures:
    """The measures of the tickets received through one source (`tickets.sources`).

    Only the figures of the ticket rows (received, the deadlines' rates, satisfaction):
    cards, reopenings and findings are counted per department and category, not per source.
    """

    source: str
    measures: Measures


def rate(part: int, whole: int) -> float | None:
    """Return `part / whole`, or None when there is nothing to judge."""
    return part / whole if whole else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the `q`-th percentile (0–100), interpolating linearly; None if empty."""
    if not 0 <= q <= 100:
        raise ValueError("q must lie between 0 and 100")
    return _percentile_of_sorted(sorted(values), q) if values else None


def _percentile_of_sorted(ordered: Sequence[float], q: float) -> float:
    position = (len(ordered) - 1) * q / 100
    low = floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Sequence[float]) -> Spread:
    """Return the count, median and 90th percentile of `values`."""
    if not values:
        return Spread()
    ordered = sorted(values)
    return Spread(
        len(ordered), _percentile_of_sorted(ordered, 50), _percentile_of_sorted(ordered, 90)
    )


def top(counter: Mapping[str, int], n: int = 5) -> tuple[tuple[str, int], ...]:
    """Return the `n` largest counts (none of them zero), ties broken by name."""
    counted = [item for item in counter.items() if item[1]]
    return tuple(sorted(counted, key=lambda item: (-item[1], item[0]))[:n])


def build_measures(
    counts: Counts,
    accept_hours: Sequence[float] = (),
    resolve_hours: Sequence[float] = (),
    top_categories: Iterable[tuple[str, int]] = (),
    top_places: Iterable[tuple[str, int]] = (),
) -> Measures:
    """Turn counts and working-hour durations into the rates and spreads of `Measures`."""
    return Measures(
        counts=counts,
        on_time_accept_rate=rate(counts.accepted_on_time, counts.accept_due),
        reply_rate=rate(counts.replied, counts.reply_due),
        on_time_resolve_rate=rate(counts.resolved_on_time, counts.resolve_due),
        satisfaction_rate=rate(counts.satisfied + counts.fair, counts.answered),
        default_satisfied_share=rate(
            counts.default_satisfied, counts.answered + counts.default_satisfied
        ),
        reopen_rate=rate(counts.reopened, counts.resolved_ever),
        accept_hours=spread(accept_hours),
        resolve_hours=spread(resolve_hours),
        substantiation_rate=rate(counts.substantiated, counts.with_finding),
        top_categories=tuple(top_categories),
        top_places=tuple(top_places),
    )


class OfficeTimeline:
    """Cumulative office time on working days, so a duration costs two binary searches.

    `tickets.calendar.working_hours_between` walks day by day, which is right but too slow
    for a quarter's hundred thousand tickets; this keeps each working day's opening instant,
    office length and the office time before it, and answers in O(log days). It starts on
    local day `first` (earlier instants count as zero) and grows forward as later instants
    are asked about. It agrees with `working_hours_between` (a test checks it).
    """

    def __init__(
        self,
        first: date,
        tz: tzinfo | str = DEFAULT_TZ,
        *,
        day_start: int = DAY_START,
        day_end: int = DAY_END,
    ) -> None:
        if not 0 <= day_start < day_end <= 24:
            raise ValueError("office hours must satisfy 0 <= day_start < day_end <= 24")
        self._tz = zone(tz)
        self._hours = (timedelta(hours=day_start), timedelta(hours=day_end))
        self._opens: list[float] = []
        self._lengths: list[float] = []
        self._before: list[float] = []
        self._total = 0.0
        self._next_day = first
        self._covered_until = self._midnight(first)

    def _midnight(self, day: date) -> float:
        return datetime.combine(day, time(), tzinfo=self._tz).timestamp()

    def _extend(self, instant: float) -> None:
        last = datetime.fromtimestamp(instant, self._tz).date() + 7 * ONE_DAY
        while self._next_day <= last:
            day = self._next_day
            if is_working_day(day):
                # Wall-clock hours added to local midnight, as `tickets.calendar` does.
                midnight = datetime.combine(day, time(), tzinfo=self._tz)
                opens = (midnight + self._hours[0]).timestamp()
                length = (midnight + self._hours[1]).timestamp() - opens
                self._opens.append(opens)
                self._lengths.append(length)
                self._before.append(self._total)
                self._total += length
            self._next_day = day + ONE_DAY
        self._covered_until = self._midnight(self._next_day)

    def counter(self) -> Callable[[float], float]:
        """Return a function of epoch seconds giving the office seconds since `first`.

        A closure over the lists rather than a method: it runs once per instant of a
        quarter's tickets, and local names are cheaper than attribute lookups.
        """
        opens, before, lengths = self._opens, self._before, self._lengths

        def until(instant: float) -> float:
            if instant >= self._covered_until:
                self._extend(instant)
            index = bisect_right(opens, instant) - 1
            if index < 0:
                return 0.0
            offset, length = instant - opens[index], lengths[index]
            return before[index] + (offset if offset < length else length)

        return until

    def hours_between(self, a: float, b: float) -> float:
        """Return the office hours between epoch seconds `a` and `b` (zero if `b` <= `a`)."""
        if b <= a:
            return 0.0
        until = self.counter()
        return (until(b) - until(a)) / SECONDS_PER_HOUR


def _day_before(instant: float, tz: tzinfo) -> date:
    return datetime.fromtimestamp(instant, tz).date() - ONE_DAY


def working_hours(
    spans: Sequence[tuple[float, float]],
    tz: tzinfo | str = DEFAULT_TZ,
    *,
    day_start: int = DAY_START,
    day_end: int = DAY_END,
) -> list[float]:
    """Return the office hours of each `(start, end)` span given in epoch seconds."""
    if not spans:
        return []
    tz = zone(tz)
    first = _day_before(min(start for start, _ in spans), tz)
    timeline = OfficeTimeline(first, tz, day_start=day_start, day_end=day_end)
    return [timeline.hours_between(a, b) for a, b in spans]


@dataclass(frozen=True)
class Durations:
    """Office hours from filing to acceptance and to resolution, one entry per ticket."""

    accept: list[float] = field(default_factory=list)
    resolve: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class WeekCounts:
    """Tickets received in one local week (starting Monday), by their current state."""

    week_start: date
    by_state: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


Key = TypeVar("Key", bound=Hashable)
# (group, current state, filed, accepted, resolved), instants in epoch seconds.
TimesRow = tuple[Key, str, float, float | None, float | None]


@dataclass(frozen=True)
class Folded(Generic[Key]):
    """What `fold_times` makes of a period's tickets."""

    durations: dict[Key, Durations]
    weeks: tuple[WeekCounts, ...]


def fold_times(
    rows: Iterable[TimesRow[Key]],
    period: Period,
    tz: tzinfo | str = DEFAULT_TZ,
    *,
    day_start: int = DAY_START,
    day_end: int = DAY_END,
) -> Folded[Key]:
    """Fold one row per ticket into office-hour durations per group and counts per week.

    Weeks run Monday to Sunday in local time; every week `period` touches is listed, empty
    ones included, so a chart shows the gaps. One pass, because a quarter can hold a
    hundred thousand tickets and this loop is where `/stats` spends its Python time.
    """
    tz = zone(tz)
    mondays = _mondays(period, tz)
    starts = [datetime.combine(day, time(), tzinfo=tz).timestamp() for day in mondays]
    weeks: list[dict[str, int]] = [{} for _ in mondays]
    timeline = OfficeTimeline(
        _day_before(period.start.timestamp(), tz), tz, day_start=day_start, day_end=day_end
    )
    until = timeline.counter()
    found: dict[Key, Durations] = {}
    for key, state, filed, accepted, resolved in rows:
        week = bisect_right(starts, filed) - 1
        if week >= 0:
            weeks[week][state] = weeks[week].get(state, 0) + 1
        if accepted is None and resolved is None:
            continue
        durations = found.get(key)
        if durations is None:
            durations = found[key] = Durations()
        start = until(filed)
        if accepted is not None:
            durations.accept.append(max(0.0, until(accepted) - start) / SECONDS_PER_HOUR)
        if resolved is not None:
            durations.resolve.append(max(0.0, until(resolved) - start) / SECONDS_PER_HOUR)
    return Folded(found, tuple(WeekCounts(d, w) for d, w in zip(mondays, weeks, strict=True)))


def _mondays(period: Period, tz: tzinfo) -> list[date]:
    monday = _monday(period.start.astimezone(tz).date())
    last = _monday((period.end - timedelta(microseconds=1)).astimezone(tz).date())
    mondays = []
    while monday <= last:
        mondays.append(monday)
        monday += 7 * ONE_DAY
    return mondays


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class RankingWeights:
    """The composite score: weighted on-time resolution, satisfaction and non-reopening.

    score = 0.5 · 按期办结率 + 0.3 · 满意率 + 0.2 · (1 − reopen rate), each in 0–1, so the
    score is in 0–1 too. A component without data (no ticket due yet, no answered survey,
    nothing resolved) is left out and the remaining weights are rescaled to sum to one,
    so a department is neither rewarded nor punished for what cannot be measured yet.
    """

    on_time_resolution: float = 0.5
    satisfaction: float = 0.3
    not_reopened: float = 0.2

    def __post_init__(self) -> None:
        if min(self.on_time_resolution, self.satisfaction, self.not_reopened) < 0:
            raise ValueError("ranking weights must not be negative")
        if self.on_time_resolution + self.satisfaction + self.not_reopened <= 0:
            raise ValueError("at least one ranking weight must be positive")


@dataclass(frozen=True)
class RankEntry:
    """One department's place in the ranking (`rank` 1 is the best)."""

    rank: int
    department_id: int
    name: str
    score: float
    measures: Measures


@dataclass(frozen=True)
class Ranking:
    """Departments in order, and those too small to rank (fewer than `min_received`)."""

    entries: tuple[RankEntry, ...]
    unranked: tuple[DepartmentMeasures, ...] = field(default_factory=tuple)
    weights: RankingWeights = field(default_factory=RankingWeights)

    @property
    def best(self) -> RankEntry | None:
        """The top department, or None when nobody could be ranked."""
        return self.entries[0] if self.entries else None

    @property
    def worst(self) -> RankEntry | None:
        """The bottom department, or None when fewer than two were ranked."""
        return self.entries[-1] if len(self.entries) > 1 else None


def composite_score(measures: Measures, weights: RankingWeights | None = None) -> float | None:
    """Return the weighted score of `measures`, or None when no component has data."""
    weights = weights or RankingWeights()
    reopen = measures.reopen_rate
    parts = (
        (weights.on_time_resolution, measures.on_time_resolve_rate),
        (weights.satisfaction, measures.satisfaction_rate),
        (weights.not_reopened, None if reopen is None else 1 - reopen),
    )
    present = [(weight, value) for weight, value in parts if value is not None and weight > 0]
    total_weight = sum(weight for weight, _ in present)
    if not total_weight:
        return None
    return sum(weight * value for weight, value in present) / total_weight


def rank_departments(
    departments: Iterable[DepartmentMeasures],
    weights: RankingWeights | None = None,
    *,
    min_received: int = 1,
) -> Ranking:
    """Order departments by composite score; ties go to more tickets received, then name."""
    weights = weights or RankingWeights()
    scored: list[tuple[float, DepartmentMeasures]] = []
    unranked: list[DepartmentMeasures] = []
    for department in departments:
        score = composite_score(department.measures, weights)
        if score is None or department.measures.counts.received < min_received:
            unranked.append(department)
        else:
            scored.append((score, department))
    scored.sort(key=lambda item: (-item[0], -item[1].measures.counts.received, item[1].name))
    entries = tuple(
        RankEntry(rank, d.department_id, d.name, round(score, 6), d.measures)
        for rank, (score, d) in enumerate(scored, start=1)
    )
    return Ranking(entries, tuple(unranked), weights)


def bottom_twice(earlier: Ranking, later: Ranking) -> tuple[RankEntry, ...]:
    """The department ranked last in both rankings (two quarters running), if any.

    Last place means something only among two or more ranked departments (`worst`).
    """
    first, second = earlier.worst, later.worst
    if first is None or second is None or first.department_id != second.department_id:
        return ()
    return (second,)
