"""Routers in priority order."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    admin,
    common,
    deadlines,
    errors,
    fallback,
    relay,
    reporter,
    stats,
    status,
    supervisor,
)


def get_routers() -> list[Router]:
    """Feature routers first; the fallback last, since it accepts any message.

    `admin` comes before `reporter` so `/start inv_…` joins a department instead of opening
    a draft; `supervisor` and `relay` come before it so their steps (a reply being typed, a
    result photo, an answer to a question) win over "a photo starts a new report"; so does
    `stats`, whose custom period is typed as text.
    """
    routers = [
        errors.router,
        common.router,
        status.router,
        admin.router,
        deadlines.router,
        supervisor.router,
        relay.router,
        stats.router,
        reporter.router,
        fallback.router,
    ]
    for router in routers:
        # aiogram has no public way to detach a router. A process that builds a second
        # Dispatcher (tests, the demo's restart) must release them from the stopped one.
        router._parent_router = None
    return routers
