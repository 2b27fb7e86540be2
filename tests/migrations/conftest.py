"""The migrations' own tests start from a database with no tables."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/migrations/" in item.nodeid:
            item.add_marker(pytest.mark.empty_database)
