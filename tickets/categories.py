"""What a report is about: misconduct categories are data, administrators' to edit.

A category is a row (`storage` holds the table, seeded with `DEFAULTS`): a stable slug,
stored on tickets and carried in callback data, its Chinese and English labels, a position
and a retired flag. A retired category is not offered to new reports but keeps labelling
its old tickets and is still counted. Labels are data, not gettext message ids: the user's
language picks one (zh_CN by default), the other standing in when it is empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from tickets.errors import ValidationError

SLUG_RE: Final = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
LABEL_MAX = 64


@dataclass(frozen=True)
class Category:
    """One category as rows hold it: slug, labels, order, and whether it is retired."""

    slug: str
    zh: str
    en: str
    position: int = 0
    retired: bool = False

    def label(self, locale: str | None) -> str:
        """The label in `locale` (English for `en*`, else Chinese); the other if it is empty."""
        first, second = (
            (self.en, self.zh) if (locale or "").startswith("en") else (self.zh, self.en)
        )
        return first or second or self.slug


@dataclass(frozen=True)
class Categories:
    """Every category, retired ones included, in their display order."""

    items: tuple[Category, ...]

    def __iter__(self) -> Iterator[Category]:
        return iter(self.items)

    def get(self, slug: str) -> Category | None:
        """The category with `slug`, retired or not; None for an unknown slug."""
        return next((c for c in self.items if c.slug == slug), None)

    def offered(self) -> tuple[Category, ...]:
        """The categories a new report may choose: those not retired."""
        return tuple(c for c in self.items if not c.retired)

    def label(self, slug: str, locale: str | None) -> str:
        """A ticket's category label; an unknown slug shows as itself."""
        category = self.get(slug)
        return category.label(locale) if category else slug

    @classmethod
    def of(cls, items: Iterable[Category]) -> Categories:
        return cls(tuple(sorted(items, key=lambda c: (c.position, c.slug))))


# The seeded set (migration 0016 holds a copy): today's nine keep their slugs, order
# (WeChat's numbered choices) and labels; the three added go before 其他.
DEFAULTS: Final = Categories(
    tuple(
        Category(slug, zh, en, position)
        for position, (slug, zh, en) in enumerate(
            [
                ("absent", "不在岗/脱岗", "Absent from post"),
                ("idle", "上班玩手机/干私事", "Phone or private business at work"),
                ("rude", "态度生硬/刁难", "Harsh attitude or obstruction"),
                ("extortion", "吃拿卡要", "Asking for favours or gifts"),
                ("car", "公车私用", "Private use of an official car"),
                ("banquet", "违规吃喝", "Improper dining"),
                ("gifts", "收送红包礼金", "Giving or taking red envelopes or gifts"),
                ("buck", "推诿扯皮/慢作为", "Passing the buck or inaction"),
                ("fees", "乱收费/乱罚款/乱摊派", "Arbitrary fees, fines or levies"),
                ("enforcement", "执法不公/以罚代纠", "Unfair enforcement, fines instead of fixes"),
                ("bidding", "围标串标", "Bid rigging"),
                ("other", "其他", "Other"),
            ],
            start=1,
        )
    )
)


def N_(message: str) -> str:
    """Mark `message` for extraction (`pybabel extract -k N_`) without translating it."""
    return message


def require_offered(categories: Categories, slug: str) -> Category:
    """The category a new report chose; unknown or retired ones are refused."""
    category = categories.get(slug)
    if category is None or category.retired:
        raise ValidationError("unknown_category", category=slug)
    return category


def require_known(categories: Categories, text: str | None) -> str | None:
    """A category slug typed by staff (a rule, a search): any known one, retired too."""
    if not text:
        return None
    slug = text.lower()
    if categories.get(slug) is None:
        raise ValidationError("unknown_category", category=text)
    return slug


def clean_slug(text: str) -> str:
    """A new category's slug: lowercase letters, digits and `_`, 2–32 long."""
    slug = text.strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationError("category_slug", slug=text.strip()[:40])
    return slug


def clean_label(text: str) -> str:
    """A category label: one line, 1–64 characters."""
    label = " ".join(text.split())
    if not 1 <= len(label) <= LABEL_MAX:
        raise ValidationError("category_label", maximum=LABEL_MAX)
    return label
