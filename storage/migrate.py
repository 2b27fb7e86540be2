"""Run Alembic migrations from code, so `snapreport db upgrade` and the tests share one path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from storage.db import ensure_sqlite_dir
from storage.identity import IdentityKeys

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, keys: IdentityKeys | None = None) -> Config:
    config = Config()
    # Data migrations that encrypt or decrypt identities read the ring from here; without
    # it they fall back to IDENTITY_KEY in the environment.
    config.attributes["identity_keys"] = keys
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head", keys: IdentityKeys | None = None) -> None:
    """Bring the schema to `revision` (blocking: call it in a thread from async code)."""
    ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(database_url, keys), revision)


def downgrade(database_url: str, revision: str, keys: IdentityKeys | None = None) -> None:
    """Take the schema back to `revision` (blocking)."""
    command.downgrade(alembic_config(database_url, keys), revision)
