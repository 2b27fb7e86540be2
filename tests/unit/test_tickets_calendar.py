"""Working-day arithmetic, checked around China's 2025 National Day holiday.

2025: Oct 1–8 were holidays; Sunday Sep 28 and Saturday Oct 11 were make-up working days.
The tests first confirm those facts with `chinese_calendar` itself.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from tickets.calendar import (
    add_working_days,
    add_working_time,
    is_working_day,
    next_working_day,
    nth_working_day_after,
    working_hours_between,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_the_2025_national_day_facts_hold() -> None:
    assert date(2025, 9, 28).weekday() == 6 and chinese_calendar.is_workday(date(2025, 9, 28))
    assert date(2025, 10, 11).weekday() == 5 and chinese_calendar.is_workday(date(2025, 10, 11))
    for day in range(1, 9):
        assert chinese_calendar.is_holiday(date(2025, 10, day))
    assert chinese_calendar.is_workday(date(2025, 10, 9))


def test_is_working_day_follows_chinese_calendar() -> None:
    day = date(2025, 1, 1)
    while day.year == 2025:
        assert is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_unknown_years_fall_back_to_monday_to_friday() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2099, 1, 1))
    assert is_working_day(date(2099, 1, 1))  # a Thursday; holidays unknown that far out
    assert not is_working_day(date(2099, 1, 3))  # a Saturday
    assert next_working_day(date(2099, 1, 2)) == date(2099, 1, 5)


def test_next_and_nth_working_day_skip_the_holiday() -> None:
    assert next_working_day(date(2025, 9, 30)) == date(2025, 10, 9)
    assert nth_working_day_after(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert nth_working_day_after(date(2025, 9, 30), 3) == date(2025, 10, 11)
    with pytest.raises(ValueError):
        nth_working_day_after(date(2025, 9, 30), 0)


# add_working_days: the filing day is not counted; the deadline is 18:00 local.


def test_deadline_skips_a_weekend() -> None:
    assert add_working_days(sh(6, 13, 10), 1) == sh(6, 16, 18)  # Fri → Mon


def test_a_report_filed_at_the_weekend_is_due_on_monday() -> None:
    assert add_working_days(sh(6, 14, 10), 1) == sh(6, 16, 18)  # Sat → Mon


def test_deadline_skips_the_national_day_holiday() -> None:
    assert add_working_days(sh(9, 30, 10), 1) == sh(10, 9, 18)
    assert add_working_days(sh(10, 3, 10), 1) == sh(10, 9, 18)  # filed during the holiday
    assert add_working_days(sh(9, 30, 10), 2) == sh(10, 10, 18)


def test_deadline_lands_on_make_up_working_days() -> None:
    assert add_working_days(sh(9, 26, 17), 1) == sh(9, 28, 18)  # Fri → Sun Sep 28
    assert add_working_days(sh(9, 30, 10), 3) == sh(10, 11, 18)  # → Sat Oct 11


def test_the_hour_of_filing_does_not_matter() -> None:
    expected = sh(6, 17, 18)
    for hour, minute in [(0, 0), (8, 0), (12, 30), (18, 0), (23, 59)]:
        assert add_working_days(sh(6, 16, hour, minute), 1) == expected


def test_zero_days_means_by_the_close_of_the_current_working_day() -> None:
    assert add_working_days(sh(6, 16, 10), 0) == sh(6, 16, 18)
    assert add_working_days(sh(6, 16, 18), 0) == sh(6, 17, 18)
    assert add_working_days(sh(6, 14, 10), 0) == sh(6, 16, 18)


def test_deadline_is_utc_and_same_instant_for_any_input_zone() -> None:
    filed = sh(6, 16, 10)
    deadline = add_working_days(filed.astimezone(UTC), 1)
    assert deadline.tzinfo is UTC
    assert deadline == add_working_days(filed, 1, SHANGHAI) == sh(6, 17, 18)


def test_deadline_in_another_zone_uses_that_zones_day_and_office_close() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 2025-06-16 20:00 in Shanghai is 14:00 the same Monday in Berlin.
    deadline = add_working_days(sh(6, 16, 20), 1, "Europe/Berlin")
    assert deadline == datetime(2025, 6, 17, 18, tzinfo=berlin)


def test_add_working_days_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        add_working_days(sh(6, 16), -1)
    with pytest.raises(ValueError):
        add_working_days(datetime(2025, 6, 16), 1)  # noqa: DTZ001


# working_hours_between: office hours (9–18) on working days only.


def test_hours_within_one_working_day() -> None:
    assert working_hours_between(sh(6, 16, 10), sh(6, 16, 12, 30)) == 2.5
    assert working_hours_between(sh(6, 16, 7), sh(6, 16, 20)) == 9.0
    assert working_hours_between(sh(6, 16, 19), sh(6, 17, 8)) == 0.0


def test_hours_across_a_weekend() -> None:
    assert working_hours_between(sh(6, 13, 17), sh(6, 16, 10)) == 2.0


def test_hours_across_the_holiday() -> None:
    assert working_hours_between(sh(9, 30, 17), sh(10, 9, 10)) == 2.0


def test_hours_on_make_up_working_days_count() -> None:
    assert working_hours_between(sh(9, 27), sh(9, 29)) == 9.0  # Sat off, Sun Sep 28 on
    assert working_hours_between(sh(10, 10, 18), sh(10, 12, 18)) == 9.0  # Sat Oct 11 on


def test_hours_over_the_whole_holiday_fortnight() -> None:
    # Sep 26 (Fri) … Oct 12 (Sun): working days Sep 26, 28, 29, 30, Oct 9, 10, 11.
    assert working_hours_between(sh(9, 26), sh(10, 13)) == 7 * 9.0


def test_hours_are_zero_when_the_end_is_not_after_the_start() -> None:
    assert working_hours_between(sh(6, 16, 12), sh(6, 16, 12)) == 0.0
    assert working_hours_between(sh(6, 16, 12), sh(6, 16, 10)) == 0.0


def test_custom_office_hours() -> None:
    assert working_hours_between(sh(6, 16), sh(6, 17), SHANGHAI, 8, 17) == 9.0
    assert working_hours_between(sh(6, 16), sh(6, 17), SHANGHAI, 0, 24) == 24.0
    with pytest.raises(ValueError):
        working_hours_between(sh(6, 16), sh(6, 17), SHANGHAI, 18, 9)


def test_add_working_time_skips_nights_weekends_and_holidays() -> None:
    assert add_working_time(sh(6, 13, 17), timedelta(hours=2)) == sh(6, 16, 10)
    assert add_working_time(sh(9, 30, 17), timedelta(hours=2)) == sh(10, 9, 10)
    assert add_working_time(sh(9, 27, 12), timedelta(hours=1)) == sh(9, 28, 10)
    assert add_working_time(sh(6, 16, 20), timedelta(0)) == sh(6, 16, 20)


def test_add_working_time_inverts_working_time_between() -> None:
    rng = random.Random(7)
    for _ in range(300):
        start = sh(9, 1) + timedelta(minutes=rng.randrange(60 * 24 * 60))
        amount = timedelta(minutes=rng.randrange(1, 60 * 9 * 15))
        end = add_working_time(start, amount)
        assert end > start
        assert working_time_between(start, end) == amount
