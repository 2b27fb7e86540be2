"""The app of these tests serves /healthz, /readyz and /metrics on a port of its own."""

from __future__ import annotations

import pytest

from config.settings import Settings
from tests.s3server import free_port


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"metrics_port": free_port()})
