from __future__ import annotations

from tickets.categories import LABELS, Category, parse_category


def test_slugs_are_stable() -> None:
    # These strings are stored in the database and in callback data: never rename them.
    assert [c.value for c in Category] == [
        "absent",
        "idle",
        "rude",
        "extortion",
        "car",
        "banquet",
        "gifts",
        "buck",
        "other",
    ]


def test_every_category_has_a_distinct_english_label() -> None:
    assert set(LABELS) == set(Category)
    assert len(set(LABELS.values())) == len(LABELS)
    for label in LABELS.values():
        assert label.isascii() and label.strip() == label and label


def test_parse_category_reads_slugs_and_refuses_the_rest() -> None:
    assert parse_category("car") is Category.CAR
    assert parse_category("CAR") is None
    assert parse_category("") is None
    assert parse_category("公车私用") is None
