"""HOLIDAYS_FILE extends the packaged calendar: its dates move deadlines, its make-up days
count as working days, its years count as covered; a broken file is refused with the file
name, the line and the reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.holidays_file import HolidaysFileError, load_calendar
from tickets.calendar import add_working_days
from tickets.clock import ManualClock
from tickets.deadlines import DeadlinePolicy, compute_deadlines
from tickets.holidays import PACKAGED

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXAMPLE = Path(__file__).resolve().parents[2] / "holidays.example.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_override_holiday_moves_a_deadline(tmp_path: Path) -> None:
    # Monday 2026-06-01 10:00; Tuesday 2 June is an ordinary working day in the package.
    clock = ManualClock(datetime(2026, 6, 1, 10, tzinfo=SHANGHAI))
    calendar = load_calendar(write(tmp_path, "holidays:\n  - {date: 2026-06-02, name: 防汛假}\n"))
    packaged = compute_deadlines(DeadlinePolicy(accept_days=1), clock.now(), "Asia/Shanghai")
    local = compute_deadlines(
        DeadlinePolicy(accept_days=1), clock.now(), "Asia/Shanghai", calendar
    )
    assert packaged.accept_by == datetime(2026, 6, 2, 10, tzinfo=UTC)  # Tue 18:00 local
    assert local.accept_by == datetime(2026, 6, 3, 10, tzinfo=UTC)  # Wed 18:00 local
    assert local.accept_red_at == datetime(2026, 6, 5, 10, tzinfo=UTC)  # grace skips it too


def test_a_make_up_saturday_counts_as_a_working_day(tmp_path: Path) -> None:
    calendar = load_calendar(
        write(
            tmp_path,
            "holidays:\n  - {date: 2027-02-08, until: 2027-02-12, name: 春节}\n"
            "workdays:\n  - {date: 2027-02-13, name: 春节调休}\n",
        )
    )
    friday = datetime(2027, 2, 5, 10, tzinfo=SHANGHAI)
    assert date(2027, 2, 13).weekday() == 5
    assert calendar.is_working_day(date(2027, 2, 13))
    assert not PACKAGED.is_working_day(date(2027, 2, 13))  # Mon–Fri guess without the file
    # Friday → the holiday week is skipped → Saturday 13th, the make-up day, 18:00 local.
    due = add_working_days(friday, 1, SHANGHAI, calendar=calendar)
    assert due == datetime(2027, 2, 13, 10, tzinfo=UTC)


def test_years_are_covered_by_the_package_or_by_the_file(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path, "holidays:\n  - {date: 2027-01-01, name: 元旦}\n"))
    today = ManualClock(datetime(2026, 11, 23, 1, tzinfo=UTC)).now().date()
    assert PACKAGED.uncovered_years(today) == [2027]
    assert calendar.uncovered_years(today) == []
    assert calendar.uncovered_years(date(2027, 11, 1)) == [2028]


def test_the_shipped_example_loads() -> None:
    calendar = load_calendar(EXAMPLE)
    assert calendar.covers(2027)
    assert not calendar.is_working_day(date(2027, 10, 1))


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("holidays:\n  - {date: 2027-01-01, name: 元旦\n", ":3:", "not valid YAML"),
        (
            "holidays:\n  - {date: 2027-01-01, name: 元旦}\n  - {date: 2027-02-30, name: x}\n",
            ":3: holidays.1.date:",
            "valid date",
        ),
        ("workdays:\n  - {date: 2027-02-13}\n", ":2: workdays.0.name:", "Field required"),
        ("holiday:\n  - {date: 2027-02-13, name: x}\n", ":1: holiday:", "Extra inputs"),
        (
            "holidays:\n  - {date: 2027-02-13, name: x}\n"
            "workdays:\n  - {date: 2027-02-13, name: y}\n",
            ":4: workdays.0:",
            "listed twice",
        ),
        (
            "holidays:\n\n  - {date: 2027-02-13, until: 2027-02-10, name: x}\n",
            ":3: holidays.0:",
            "`until` is before `date`",
        ),
    ],
)
def test_a_broken_file_names_file_line_and_reason(
    tmp_path: Path, text: str, where: str, reason: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(HolidaysFileError) as error:
        load_calendar(path)
    message = str(error.value)
    assert message.startswith(f"{path}{where}"), message
    assert reason in message


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(HolidaysFileError) as error:
        load_calendar(missing)
    assert str(error.value).startswith(f"{missing}: cannot read HOLIDAYS_FILE")
