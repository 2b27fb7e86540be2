"""Routers in priority order, built fresh for each Dispatcher (see `handlers.routing`)."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    admin,
    categories,
    common,
    console_link,
    deadlines,
    disclosure,
    errors,
    fallback,
    intake,
    moderation,
    praise,
    privacy,
    relay,
    reporter,
    stats,
    status,
    supervisor,
    templates,
)


def get_routers() -> list[Router]:
    """Feature routers first; the fallback last, since it accepts any message.

    `admin` comes before `reporter` so `/start inv_…` joins a department instead of opening
    a draft; `supervisor` and `relay` come before it so their steps (a reply being typed, a
    result photo, an answer to a question) win over "a photo starts a new report"; so does
    `stats`, whose custom period is typed as text, and `moderation`, whose passage and
    reason are. `disclosure` comes before `supervisor` and `stats` so a ticket command typed
    in a group is answered with its note. `intake` (staff's `/new`) comes before
    `supervisor`, `relay` and `reporter` so its typed steps and photos stay in its draft.
    `praise` comes before `reporter` for the same reason: a photo sent in a praise draft
    belongs to the praise.
    """
    return [
        errors.create_router(),
        common.create_router(),
        privacy.create_router(),
        console_link.create_router(),
        disclosure.create_router(),
        status.create_router(),
        admin.create_router(),
        deadlines.create_router(),
        categories.create_router(),
        templates.create_router(),
        intake.create_router(),
        supervisor.create_router(),
        relay.create_router(),
        stats.create_router(),
        moderation.create_router(),
        praise.create_router(),
        reporter.create_router(),
        fallback.create_router(),
    ]
