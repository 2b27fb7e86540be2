from __future__ import annotations

import itertools
from dataclasses import dataclass

from tickets.routing import RoutingRule, route, specificity

INTAKE = 1


def test_no_rules_routes_to_default() -> None:
    assert route([], "car", "qr-hall", INTAKE) == INTAKE


def test_category_rule_matches_its_category_only() -> None:
    rules = [RoutingRule(department_id=10, category="car")]
    assert route(rules, "car", None, INTAKE) == 10
    assert route(rules, "rude", None, INTAKE) == INTAKE
    assert route(rules, None, None, INTAKE) == INTAKE


def test_tag_rule_matches_its_tag_only() -> None:
    rules = [RoutingRule(department_id=20, source_tag="tax-hall")]
    assert route(rules, "rude", "tax-hall", INTAKE) == 20
    assert route(rules, "rude", "police", INTAKE) == INTAKE
    assert route(rules, "rude", None, INTAKE) == INTAKE


def test_most_specific_rule_wins() -> None:
    rules = [
        RoutingRule(department_id=5, priority=100, id=1),  # catch-all, even with high priority
        RoutingRule(department_id=10, category="car", priority=50, id=2),
        RoutingRule(department_id=20, source_tag="tax-hall", id=3),
        RoutingRule(department_id=30, category="car", source_tag="tax-hall", id=4),
    ]
    assert route(rules, "car", "tax-hall", INTAKE) == 30
    assert route(rules, "rude", "tax-hall", INTAKE) == 20
    assert route(rules, "car", "police", INTAKE) == 10
    assert route(rules, "rude", None, INTAKE) == 5
    assert [specificity(rule) for rule in rules] == [0, 1, 2, 3]


def test_ties_go_to_higher_priority_then_lower_id() -> None:
    low = RoutingRule(department_id=10, category="car", priority=0, id=1)
    high = RoutingRule(department_id=20, category="car", priority=5, id=9)
    older = RoutingRule(department_id=30, category="car", priority=5, id=3)
    unsaved = RoutingRule(department_id=40, category="car", priority=5)
    for rules in itertools.permutations([low, high, older, unsaved]):
        assert route(rules, "car", None, INTAKE) == 30
    for rules in itertools.permutations([low, high, unsaved]):
        assert route(rules, "car", None, INTAKE) == 20


@dataclass
class StoredRule:
    """Shaped like the storage row: plain string category, mutable attributes."""

    department_id: int
    category: str | None
    source_tag: str | None
    priority: int = 0
    id: int | None = None


def test_rows_with_string_categories_and_empty_fields_route() -> None:
    rules = [
        StoredRule(department_id=10, category="car", source_tag="", id=1),
        StoredRule(department_id=20, category="", source_tag="tax-hall", id=2),
    ]
    assert route(rules, "car", None, INTAKE) == 10
    assert route(rules, "rude", "tax-hall", INTAKE) == 20
    assert route(rules, "rude", None, INTAKE) == INTAKE
