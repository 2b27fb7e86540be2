"""Fixtures of the unit tests: the in-memory ports the use cases run with."""

from __future__ import annotations

import pytest

from tests.fakes import Fakes


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()
