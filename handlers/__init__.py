"""Routers in priority order."""

from __future__ import annotations

from aiogram import Router

from handlers import common, errors, fallback, reporter, status


def get_routers() -> list[Router]:
    """Feature routers first; the fallback last, since it accepts any message."""
    routers = [errors.router, common.router, status.router, reporter.router, fallback.router]
    for router in routers:
        # aiogram has no public way to detach a router. A process that builds a second
        # Dispatcher (tests, the demo's restart) must release them from the stopped one.
        router._parent_router = None
    return routers
