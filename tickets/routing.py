"""Which department handles a new ticket: pure matching of routing rules.

A rule names a department and, optionally, a category and a source tag (the QR code or
deep link the report came through). The most specific matching rule wins: category and
tag together, then tag alone, then category alone, then a rule naming neither; with no
match the ticket goes to the default (intake) department. The tag outranks the category
because a QR code posted in one office says more about who must act than the category a
citizen picked. Among equally specific rules the higher `priority` wins, then the lower
`id` (the older rule), so the outcome never depends on the order rules were loaded in.
An empty category or tag counts as unset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

# A source tag travels as a Telegram deep-link payload, which allows at most 64 characters
# of A-Za-z0-9_- : the CLI, the routes file and /start all hold tags to this one rule.
SOURCE_TAG_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
SOURCE_TAG_RE = re.compile(SOURCE_TAG_PATTERN)


class RuleLike(Protocol):
    """What `route` reads from a rule; storage rows fit as they are."""

    @property
    def department_id(self) -> int: ...

    @property
    def category(self) -> str | None: ...

    @property
    def source_tag(self) -> str | None: ...

    @property
    def priority(self) -> int: ...

    @property
    def id(self) -> int | None: ...


@dataclass(frozen=True)
class RoutingRule:
    department_id: int
    category: str | None = None
    source_tag: str | None = None
    priority: int = 0
    id: int | None = None


def specificity(rule: RuleLike) -> int:
    """Rank how specific `rule` is: 3 tag+category, 2 tag, 1 category, 0 neither."""
    return 2 * bool(rule.source_tag) + bool(rule.category)


def matches(rule: RuleLike, category: str | None, source_tag: str | None) -> bool:
    """Tell whether `rule` applies to a report with this category and source tag."""
    if rule.category and rule.category != category:
        return False
    return not rule.source_tag or rule.source_tag == source_tag


def route(
    rules: Iterable[RuleLike],
    category: str | None,
    source_tag: str | None,
    default_department_id: int,
) -> int:
    """Return the department the most specific matching rule names, else the default."""
    candidates = [rule for rule in rules if matches(rule, category, source_tag)]
    if not candidates:
        return default_department_id
    best = min(
        candidates,
        key=lambda rule: (
            -specificity(rule),
            -rule.priority,
            rule.id is None,
            rule.id or 0,
        ),
    )
    return best.department_id
