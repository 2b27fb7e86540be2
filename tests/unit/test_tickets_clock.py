from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.clock import Clock, ManualClock, SystemClock, as_utc

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_system_clock_is_aware_utc_and_current() -> None:
    clock: Clock = SystemClock()
    before = datetime.now(UTC)
    now = clock.now()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)


def test_manual_clock_stores_its_start_in_utc() -> None:
    clock: Clock = ManualClock(datetime(2025, 10, 9, 9, 0, tzinfo=SHANGHAI))
    assert clock.now() == datetime(2025, 10, 9, 1, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2025, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now()
    assert clock.advance(timedelta(hours=5)) == datetime(2025, 1, 1, 5, tzinfo=UTC)
    assert clock.now() == datetime(2025, 1, 1, 5, tzinfo=UTC)


def test_manual_clock_set_jumps_either_way() -> None:
    clock = ManualClock(datetime(2025, 6, 1, tzinfo=UTC))
    clock.set(datetime(2024, 6, 1, 8, tzinfo=SHANGHAI))
    assert clock.now() == datetime(2024, 6, 1, 0, tzinfo=UTC)


def test_manual_clock_refuses_backwards_advance_and_naive_times() -> None:
    clock = ManualClock(datetime(2025, 6, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        clock.set(datetime(2025, 6, 1))  # noqa: DTZ001 - the naive value is the point
    with pytest.raises(ValueError):
        ManualClock(datetime(2025, 6, 1))  # noqa: DTZ001


def test_as_utc_keeps_the_instant() -> None:
    local = datetime(2025, 10, 1, 0, 30, tzinfo=SHANGHAI)
    assert as_utc(local) == local
    assert as_utc(local).tzinfo is UTC
