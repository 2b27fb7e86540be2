"""'Me too' matching (`tickets.supporters.similar`): which open tickets a draft resembles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tickets.supporters import Candidate, phash_distance, similar

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MINE = "0000000000000000"
SIX_OFF = "000000000000003f"  # six bits differ
SEVEN_OFF = "000000000000007f"  # seven bits differ


def candidate(ticket_id: int, **fields: object) -> Candidate:
    values: dict[str, object] = {
        "category": "idle",
        "state": "new",
        "created_at": NOW - timedelta(days=1),
    }
    values.update(fields)
    return Candidate(ticket_id=ticket_id, **values)  # type: ignore[arg-type]


def matched(
    *candidates: Candidate, source_tag: str | None = None, category: str = "idle"
) -> list[int]:
    found = similar(candidates, phashes=[MINE], category=category, source_tag=source_tag, now=NOW)
    return [c.ticket_id for c in found]


def test_distance_six_matches_and_seven_does_not() -> None:
    assert (phash_distance(MINE, SIX_OFF), phash_distance(MINE, SEVEN_OFF)) == (6, 7)
    assert matched(candidate(1, phashes=(SIX_OFF,)), candidate(2, phashes=(SEVEN_OFF,))) == [1]


def test_own_and_not_open_tickets_are_never_offered() -> None:
    offered = matched(
        candidate(1, phashes=(MINE,), own=True),
        candidate(2, phashes=(MINE,), state="closed"),
        candidate(3, phashes=(MINE,), state="rejected"),
        candidate(4, phashes=(MINE,), state="duplicate"),
        candidate(5, phashes=(MINE,), state="resolved"),
        candidate(6, phashes=(MINE,), state="reopened"),
    )
    assert offered == [6]


def test_photos_match_within_thirty_days() -> None:
    offered = matched(
        candidate(1, phashes=(MINE,), created_at=NOW - timedelta(days=30)),
        candidate(2, phashes=(MINE,), created_at=NOW - timedelta(days=30, minutes=1)),
    )
    assert offered == [1]


def test_place_and_category_match_within_seven_days() -> None:
    offered = matched(
        candidate(1, source_tag="hall_01", created_at=NOW - timedelta(days=7)),
        candidate(2, source_tag="hall_01", created_at=NOW - timedelta(days=8)),
        candidate(3, source_tag="hall_01", category="rude"),
        candidate(4, source_tag="hall_02"),
        source_tag="hall_01",
    )
    assert offered == [1]
    assert matched(candidate(1, source_tag=None), source_tag=None) == []


def test_photo_matches_come_first_newest_first_three_at_most() -> None:
    offered = matched(
        candidate(1, source_tag="hall_01", created_at=NOW - timedelta(hours=1)),
        candidate(2, phashes=(MINE,), created_at=NOW - timedelta(days=3)),
        candidate(3, phashes=(SIX_OFF,), created_at=NOW - timedelta(days=2)),
        candidate(4, phashes=(MINE,), created_at=NOW - timedelta(days=9)),
        source_tag="hall_01",
    )
    assert offered == [3, 2, 4]
