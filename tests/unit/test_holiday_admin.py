"""Holidays set in the console: the file's rules (a range of at most 31 days, a name of
1–100 characters), all or nothing, administrators only; a console date wins over the file
and the package and covers its year."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest

from tickets.actors import Actor
from tickets.calendar import add_working_days
from tickets.errors import Forbidden, NotFound, ValidationError
from tickets.holiday_admin import add_calendar_days, remove_calendar_day
from tickets.holidays import PACKAGED, CalendarDay, DayOverride, DaySource, WorkingCalendar

ADMIN = Actor(user_id=1, is_admin=True)
NOBODY = Actor(user_id=2)
AT = datetime(2026, 12, 1, 2, tzinfo=UTC)


class MemoryDays:
    def __init__(self) -> None:
        self.days: dict[date, CalendarDay] = {}

    async def list_days(self) -> list[CalendarDay]:
        return [self.days[d] for d in sorted(self.days)]

    async def add_days(self, days: Sequence[CalendarDay]) -> None:
        self.days.update({d.day: d for d in days})

    async def remove_day(self, *, day: date) -> None:
        self.days.pop(day, None)


async def add(store: MemoryDays, actor: Actor = ADMIN, **form: str) -> list[CalendarDay]:
    fields = {"first": "2027-10-01", "until": "", "name": "国庆节"} | form
    return await add_calendar_days(store, actor, working=False, added_by="hash", at=AT, **fields)


async def test_a_range_adds_every_day_with_who_and_when() -> None:
    store = MemoryDays()
    added = await add(store, until="2027-10-07", name="  国庆节  ")
    assert [d.day for d in added] == [date(2027, 10, d) for d in range(1, 8)]
    assert {(d.name, d.working, d.added_by, d.added_at) for d in added} == {
        ("国庆节", False, "hash", AT)
    }
    assert await store.list_days() == added


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"first": "2027-13-01"}, "calendar_date"),
        ({"first": "next friday"}, "calendar_date"),
        ({"until": "2027-02-30"}, "calendar_date"),
        ({"until": "2027-09-30"}, "calendar_range_backwards"),
        ({"until": "2027-11-01"}, "calendar_range_too_long"),
        ({"name": "   "}, "calendar_name"),
        ({"name": "节" * 101}, "calendar_name"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(form: dict[str, str], code: str) -> None:
    store = MemoryDays()
    with pytest.raises(ValidationError) as refused:
        await add(store, ADMIN, **form)
    assert refused.value.code == code
    assert store.days == {}


async def test_a_date_already_set_refuses_the_whole_range() -> None:
    store = MemoryDays()
    await add(store, first="2027-10-03")
    with pytest.raises(ValidationError) as refused:
        await add(store, until="2027-10-07")
    assert refused.value.code == "calendar_day_taken"
    assert refused.value.params == {"day": "2027-10-03"}
    assert list(store.days) == [date(2027, 10, 3)]
    assert len(await add(store, first="2027-10-02", until="2027-10-02")) == 1
    assert len(await add(store, first="2027-10-04", until="2027-11-03")) == 31  # the longest


async def test_only_administrators_change_the_calendar() -> None:
    store = MemoryDays()
    with pytest.raises(Forbidden):
        await add(store, NOBODY)
    await add(store)
    with pytest.raises(Forbidden):
        await remove_calendar_day(store, NOBODY, day="2027-10-01")
    assert list(store.days) == [date(2027, 10, 1)]


async def test_removing_a_day_not_set_in_the_console_is_refused() -> None:
    store = MemoryDays()
    await add(store)
    with pytest.raises(NotFound):
        await remove_calendar_day(store, ADMIN, day="2027-10-02")
    with pytest.raises(ValidationError):
        await remove_calendar_day(store, ADMIN, day="2027-1")
    removed = await remove_calendar_day(store, ADMIN, day="2027-10-01")
    assert removed.name == "国庆节" and store.days == {}


def test_the_console_wins_over_the_file_and_the_package() -> None:
    new_year = date(2026, 1, 1)  # a packaged holiday
    file = WorkingCalendar({date(2027, 1, 4): DayOverride("文件假日", working=False)})
    console = file.with_console(
        [
            CalendarDay(new_year, working=True, name="补班"),
            CalendarDay(date(2027, 1, 4), working=True, name="改为上班"),
            CalendarDay(date(2028, 1, 3), working=False, name="元旦"),
        ]
    )
    assert not PACKAGED.is_working_day(new_year) and console.is_working_day(new_year)
    assert not file.is_working_day(date(2027, 1, 4)) and console.is_working_day(date(2027, 1, 4))
    assert [s.source for s in console.special_days(date(2027, 1, 4), days=1)] == [
        DaySource.CONSOLE
    ]
    assert [s.source for s in file.special_days(date(2027, 1, 4), days=1)] == [DaySource.FILE]
    assert not file.covers(2028) and console.covers(2028)
    assert file.with_console([]) is file


def test_a_deadline_counted_after_a_console_holiday_skips_it() -> None:
    start = datetime(2028, 3, 6, 10, tzinfo=UTC)  # a Monday, in a year no package knows
    holiday = PACKAGED.with_console([CalendarDay(date(2028, 3, 7), working=False, name="假")])
    assert add_working_days(start, 1, "UTC", calendar=PACKAGED).date() == date(2028, 3, 7)
    assert add_working_days(start, 1, "UTC", calendar=holiday).date() == date(2028, 3, 8)
