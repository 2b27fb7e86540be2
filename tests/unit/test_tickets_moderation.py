"""Redaction as published: every occurrence of a passage becomes one `[…]`, overlapping and
touching occurrences merge, the summary's reply and place are redacted, hidden photos drop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tickets.errors import ValidationError
from tickets.moderation import (
    REDACTED,
    Moderation,
    ModerationKind,
    PublicPhoto,
    clean_reason,
    moderated,
    passage_found,
    redact,
    spans_of,
    visible,
)
from tickets.publishing import PublicSummary

AT = datetime(2026, 11, 30, 9, tzinfo=UTC)


def record(id_: int, kind: ModerationKind, target: str, *, reverted: bool = False) -> Moderation:
    return Moderation(
        id_, 7, kind, target, "names a clerk", "a1", AT, reverted_at=AT if reverted else None
    )


def test_every_occurrence_of_a_passage_is_redacted() -> None:
    text = "Clerk Wang was warned. Wang apologised."
    assert redact(text, ["Wang"]) == f"Clerk {REDACTED} was warned. {REDACTED} apologised."
    assert spans_of(text, "Wang") == [(6, 10), (23, 27)]


@pytest.mark.parametrize(
    ("text", "passages", "expected"),
    [
        ("abcdef", ["bcd", "cde"], "a[…]f"),  # overlapping passages: one mark
        ("abcdef", ["ab", "cd"], "[…]ef"),  # touching spans: one mark
        ("aaaa", ["aa"], "[…]"),  # a passage overlapping itself
        ("abc abc", ["abc", "abc"], "[…] […]"),  # the same passage twice
        ("abcdef", ["bcde", "cd"], "a[…]f"),  # one inside another
        ("abc", ["xyz"], "abc"),  # not found: unchanged
        ("abc", [""], "abc"),  # an empty passage hides nothing
    ],
)
def test_overlapping_and_repeated_spans(text: str, passages: list[str], expected: str) -> None:
    assert redact(text, passages) == expected


def test_the_reply_and_place_are_redacted_and_reverted_records_are_not_applied() -> None:
    summary = PublicSummary(
        category="rude",
        department="Wang's Office",
        place="Hall of Wang",
        filed_at=AT,
        resolved_at=AT,
        resolved_on_time=True,
        reply="Wang was warned; Li was not.",
        satisfaction=None,
    )
    records = [
        record(1, ModerationKind.REDACT, "Wang"),
        record(2, ModerationKind.REDACT, "Li", reverted=True),
    ]
    shown = moderated(summary, records)
    assert shown.reply == "[…] was warned; Li was not."
    assert shown.place == "Hall of […]"
    assert shown.department == "Wang's Office"  # the directory's name is not free text
    assert summary.reply == "Wang was warned; Li was not."  # the original is untouched
    assert passage_found(summary, "Li was")
    assert not passage_found(summary, "Wang's Office")
    assert not passage_found(summary, "   ")


def test_hidden_photos_are_left_out_until_reverted() -> None:
    photos = [PublicPhoto("evidence:1", "f1"), PublicPhoto("evidence:2", "f2")]
    assert visible(photos, [record(1, ModerationKind.HIDE, "evidence:1")]) == ["f2"]
    assert visible(photos, [record(1, ModerationKind.HIDE, "evidence:1", reverted=True)]) == [
        "f1",
        "f2",
    ]


def test_a_reason_is_required() -> None:
    assert clean_reason("  names\n a clerk ") == "names a clerk"
    assert clean_reason("涉及他人姓名") == "涉及他人姓名"
    for bad in ("", "  \n ", "-", "… ?", "x" * 501):
        with pytest.raises(ValidationError):
            clean_reason(bad)
