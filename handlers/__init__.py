"""Routers in priority order."""

from __future__ import annotations

from aiogram import Router

from handlers import common, errors, fallback


def get_routers() -> list[Router]:
    """Feature routers first; the fallback last, since it accepts any message."""
    return [errors.router, common.router, fallback.router]
