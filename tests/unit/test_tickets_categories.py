from __future__ import annotations

import pytest

from tickets.categories import (
    DEFAULTS,
    Categories,
    Category,
    clean_label,
    clean_slug,
    require_known,
    require_offered,
)
from tickets.errors import ValidationError

OLD_NINE = ["absent", "idle", "rude", "extortion", "car", "banquet", "gifts", "buck", "other"]


def test_the_old_slugs_keep_their_order_and_the_new_three_come_before_other() -> None:
    # These strings are stored in the database and in callback data: never rename them.
    slugs = [c.slug for c in DEFAULTS]
    assert [s for s in slugs if s in OLD_NINE] == OLD_NINE
    assert slugs[8:] == ["fees", "enforcement", "bidding", "other"]
    assert {c.zh for c in DEFAULTS} >= {
        "乱收费/乱罚款/乱摊派",
        "执法不公/以罚代纠",
        "围标串标",
        "其他",
    }


def test_every_default_has_distinct_labels_in_both_languages() -> None:
    for labels in ([c.zh for c in DEFAULTS], [c.en for c in DEFAULTS]):
        assert len(set(labels)) == len(labels) == 12 and all(labels)
    assert all(c.en.isascii() for c in DEFAULTS)


def test_the_label_follows_the_language_and_falls_back_to_the_other() -> None:
    both = Category("car", "公车私用", "Private use of an official car")
    assert both.label("zh_CN") == "公车私用" and both.label(None) == "公车私用"
    assert both.label("en") == "Private use of an official car"
    assert Category("x1", "", "English only").label("zh_CN") == "English only"
    assert Category("x2", "只有中文", "").label("en") == "只有中文"
    assert Category("x3", "", "").label("en") == "x3"
    assert DEFAULTS.label("gone", "en") == "gone"


def test_a_retired_category_still_labels_but_is_not_offered() -> None:
    table = Categories.of(
        [Category("car", "公车私用", "Car", 2, retired=True), Category("b", "乙", "B", 1)]
    )
    assert [c.slug for c in table] == ["b", "car"]
    assert [c.slug for c in table.offered()] == ["b"]
    assert table.label("car", "zh_CN") == "公车私用"
    assert require_known(table, "CAR") == "car"
    with pytest.raises(ValidationError) as refused:
        require_offered(table, "car")
    assert refused.value.code == "unknown_category"
    with pytest.raises(ValidationError):
        require_offered(table, "nope")


@pytest.mark.parametrize("text", ["", "a", "1abc", "有中文", "a-b", "x" * 33])
def test_bad_slugs_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        clean_slug(text)
    assert refused.value.code == "category_slug"


def test_slugs_and_labels_are_tidied() -> None:
    assert clean_slug("  Permits_2 ") == "permits_2"
    assert clean_label("  违规  审批\n") == "违规 审批"
    with pytest.raises(ValidationError):
        clean_label(" " * 3)
    with pytest.raises(ValidationError):
        clean_label("长" * 65)
