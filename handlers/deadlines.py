"""Administrators set the deadline policy (限时办结) in chat: `/deadline` lists, per category,
the working days a department has to accept and to resolve a report, and
`/deadline CATEGORY ACCEPT RESOLVE` changes one category.

```mermaid
flowchart LR
  list[/deadline/] --> table[days per category, changed ones marked]
  set[/deadline CATEGORY ACCEPT RESOLVE/] --> valid{valid?}
  valid -- yes --> stored[policy row] --> later[reports filed from now on]
  valid -- no --> usage[what to write]
```
A change applies to reports filed afterwards (and to the fresh resolve deadline of a ticket
reopened afterwards); open tickets keep their deadlines. The `deadlines:` section of
`snapreport routes load` writes the same rows within the same limits (`DaysSpec`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.access import ADMIN, AccessMiddleware
from handlers.routing import Blueprint
from storage.directory import SqlDirectory
from storage.routes_file import ACCEPT_DAYS_MAX, RESOLVE_DAYS_MAX, DaysSpec
from tickets.categories import Category, parse_category
from tickets.deadlines import DeadlinePolicy
from ui.render import category_label

router = Blueprint(__name__)  # built per Dispatcher by handlers.get_routers()
router.message.middleware(AccessMiddleware())


def usage() -> str:
    return _(
        "Change a category with /deadline CATEGORY ACCEPT RESOLVE, in working days: accept "
        "1–{accept_max}, resolve ACCEPT–{resolve_max}. Example: /deadline extortion 1 3"
    ).format(accept_max=ACCEPT_DAYS_MAX, resolve_max=RESOLVE_DAYS_MAX)


def policy_text(overrides: Mapping[str, tuple[int, int]]) -> str:
    default = DeadlinePolicy()
    lines = [_("<b>Deadlines</b> in working days: accept / resolve")]
    for category in Category:
        accept, resolve = overrides.get(category, (default.accept_days, default.resolve_days))
        changed = " ✏️" if category in overrides else ""
        lines.append(
            f"<code>{category}</code> {category_label(category)}: {accept} / {resolve}{changed}"
        )
    lines += [
        "",
        _("✏️ changed from the default, {accept} / {resolve}.").format(
            accept=default.accept_days, resolve=default.resolve_days
        ),
        _("A red card follows {grace} working days after a missed deadline.").format(
            grace=default.grace_days
        ),
        usage(),
    ]
    return "\n".join(lines)


def parse_days(words: list[str]) -> DaysSpec | None:
    """ACCEPT RESOLVE as whole working days within the limits, or None."""
    if len(words) != 2:
        return None
    try:
        return DaysSpec(accept_days=int(words[0]), resolve_days=int(words[1]))
    except (ValueError, ValidationError):
        return None


@router.message(Command("deadline"), flags=ADMIN)
async def deadline(message: Message, command: CommandObject, session: AsyncSession) -> None:
    directory = SqlDirectory(session)
    args = (command.args or "").split()
    if not args:
        await message.answer(policy_text(await directory.list_deadline_days()))
        return
    category = parse_category(args[0].lower())
    days = parse_days(args[1:])
    if category is None:
        unknown = _("There is no category {category}; /deadline lists them.")
        await message.answer(unknown.format(category=html.escape(args[0])))
        return
    if days is None:
        await message.answer(usage())
        return
    await directory.set_deadline_days(
        category=category, accept_days=days.accept_days, resolve_days=days.resolve_days
    )
    await session.commit()  # stored before it is reported stored
    await message.answer(
        _(
            "⏱ {category}: accept within {accept} and resolve within {resolve} working days, "
            "for reports filed from now on."
        ).format(
            category=category_label(category), accept=days.accept_days, resolve=days.resolve_days
        )
    )
