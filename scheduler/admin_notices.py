"""A notice queued once for every administrator, each in their own language."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.utils.i18n import I18n

from config.settings import Settings
from outbox.notifier import OnceNotifier
from storage.db import SessionFactory
from tickets.clock import Clock


async def notify_admins_once(
    session_factory: SessionFactory,
    *,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
    render: Callable[[], str],
    key: str,
    purpose: str,
) -> int:
    """Queue `render()` (an HTML text, made in each administrator's language) for every
    administrator, at most once per `key`; return how many rows were written."""
    written = 0
    with i18n.context():
        async with session_factory() as session, session.begin():
            outbox = OnceNotifier(session, i18n, settings, clock=clock)
            for admin_id in sorted(settings.admin_ids):
                with i18n.use_locale(await outbox.language_of(admin_id)):
                    text = render()
                written += await outbox.once(
                    admin_id,
                    "sendMessage",
                    {"text": text, "parse_mode": "HTML"},
                    key=f"{key}:{admin_id}",
                    purpose=purpose,
                )
    return written
