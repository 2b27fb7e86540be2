"""Category labels for whatever is being rendered now, in the reader's language.

Labels are rows, not catalog entries, and rendering is synchronous: the composition root
loads the table once per update (and at start) and hands it over here with
`use_categories`. Work outside an update — a scheduled digest, a chart drawn in a
thread — sees the table as last loaded in this process; before any load, the defaults.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from aiogram.utils.i18n import get_i18n

from tickets.categories import DEFAULTS, Categories

_CURRENT: ContextVar[Categories | None] = ContextVar("categories", default=None)


class _Latest:
    """The table as last loaded in this process (one replica's view; refreshed per update)."""

    categories: Categories = DEFAULTS


@contextmanager
def use_categories(categories: Categories) -> Iterator[None]:
    """Render with `categories` inside the block; later work outside updates sees them too."""
    _Latest.categories = categories
    token = _CURRENT.set(categories)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def remember(categories: Categories) -> None:
    """Keep `categories` as this process's latest table (loaded at start, or just edited)."""
    _Latest.categories = categories


def current_categories() -> Categories:
    return _CURRENT.get() or _Latest.categories


def current_locale() -> str | None:
    """The locale of the update or recipient being rendered for; None outside any."""
    try:
        return get_i18n().current_locale
    except LookupError:
        return None


def label_for(slug: str, tr: object) -> str:
    """The label in the language of `tr` (a `ui.i18n.Translator`), for threads and exports."""
    locale = getattr(tr, "locale", None)
    return label(slug, locale if isinstance(locale, str) else None)


def label(slug: str, locale: str | None = None) -> str:
    """The category's label (plain text) in `locale`, else the current one; unknown: the slug."""
    return current_categories().label(slug, locale or current_locale())


def offered() -> list[tuple[str, str]]:
    """(slug, plain label) of each category a new report may choose, in order."""
    locale = current_locale()
    return [(c.slug, c.label(locale)) for c in current_categories().offered()]
