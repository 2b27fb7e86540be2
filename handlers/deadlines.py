"""Administrators set the deadline policy (限时办结) in chat: `/deadline` lists, per category,
the working days a department has to accept and to resolve a report, and
`/deadline CATEGORY ACCEPT RESOLVE` changes one category.

```mermaid
flowchart LR
  list[/deadline/] --> table[days per category, changed ones marked]
  set[/deadline CATEGORY ACCEPT RESOLVE/] --> valid{valid?}
  valid -- yes --> stored[policy row] --> later[reports filed from now on]
  valid -- no --> usage[what to write]
  list --> pick[category button] --> days[day-pair buttons] --> stored
```
A change applies to reports filed afterwards (and to the fresh resolve deadline of a ticket
reopened afterwards); open tickets keep their deadlines. The `deadlines:` section of
`snapreport routes load` writes the same rows within the same limits
(`tickets.deadlines.DeadlineDays`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from handlers.access import ADMIN, AccessMiddleware
from handlers.changes import audited
from handlers.routing import Blueprint
from tickets.actors import Actor
from tickets.changes import Change
from tickets.deadlines import ACCEPT_DAYS_MAX, RESOLVE_DAYS_MAX, DeadlineDays, DeadlinePolicy
from tickets.ports import UpdateWorkspace
from ui.categories import current_categories, label
from ui.render import category_label

router = Blueprint(__name__)  # built per Dispatcher by handlers.get_routers()
router.message.middleware(AccessMiddleware())
router.callback_query.middleware(AccessMiddleware())
# The day pairs offered as buttons; any other pair can still be typed.
DAY_CHOICES = ((1, 3), (1, 5), (2, 10), (3, 15), (5, 20))


class DeadlinePick(CallbackData, prefix="ddl"):
    """`/deadline` without all its words: a category, then a day pair (0: not chosen yet)."""

    category: str
    accept: int = 0
    resolve: int = 0


def offered_slugs() -> list[str]:
    """Categories new reports may have: a retired one's deadlines no longer matter."""
    return [c.slug for c in current_categories().offered()]


def parse_category(text: str) -> str | None:
    slug = text.lower()
    return slug if slug in offered_slugs() else None


def category_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=label(c), callback_data=DeadlinePick(category=c).pack())
        for c in offered_slugs()
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    )


def days_keyboard(category: str) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=f"{accept} / {resolve}",
            callback_data=DeadlinePick(category=category, accept=accept, resolve=resolve).pack(),
        )
        for accept, resolve in DAY_CHOICES
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


def days_question(category: str) -> str:
    return _("{category}: working days to accept / to resolve?").format(
        category=category_label(category)
    )


def usage() -> str:
    return _(
        "Change a category with /deadline CATEGORY ACCEPT RESOLVE, in working days: accept "
        "1–{accept_max}, resolve ACCEPT–{resolve_max}. Example: /deadline extortion 1 3"
    ).format(accept_max=ACCEPT_DAYS_MAX, resolve_max=RESOLVE_DAYS_MAX)


def policy_text(overrides: Mapping[str, tuple[int, int]]) -> str:
    default = DeadlinePolicy()
    lines = [_("<b>Deadlines</b> in working days: accept / resolve")]
    for category in offered_slugs():
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


def parse_days(words: list[str]) -> DeadlineDays | None:
    """ACCEPT RESOLVE as whole working days within the limits, or None."""
    if len(words) != 2:
        return None
    try:
        accept, resolve = int(words[0]), int(words[1])
    except ValueError:
        return None
    return DeadlineDays.checked(accept, resolve)


@router.message(Command("deadline"), flags=ADMIN)
async def deadline(
    message: Message, command: CommandObject, ws: UpdateWorkspace, actor: Actor
) -> None:
    args = (command.args or "").split()
    if not args:
        overrides = await ws.directory.list_deadline_days()
        await message.answer(policy_text(overrides), reply_markup=category_keyboard())
        return
    category = parse_category(args[0].lower())
    if category is None:
        unknown = _("There is no category {category}; /deadline lists them.")
        await message.answer(unknown.format(category=html.escape(args[0])))
        return
    if len(args) == 1:
        await message.answer(days_question(category), reply_markup=days_keyboard(category))
        return
    days = parse_days(args[1:])
    if days is None:
        await message.answer(usage())
        return
    await message.answer(await set_days(ws, actor, category, days))


@router.callback_query(DeadlinePick.filter(), flags=ADMIN)
async def on_deadline_pick(
    query: CallbackQuery, callback_data: DeadlinePick, ws: UpdateWorkspace, actor: Actor
) -> None:
    category = parse_category(callback_data.category)
    days = parse_days([str(callback_data.accept), str(callback_data.resolve)])
    if category is None or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer active."), show_alert=True)
        return
    await query.answer()
    if days is None:  # only the category so far
        await query.message.answer(days_question(category), reply_markup=days_keyboard(category))
        return
    await query.message.answer(await set_days(ws, actor, category, days))


async def set_days(ws: UpdateWorkspace, actor: Actor, category: str, days: DeadlineDays) -> str:
    """Store a category's deadline days, typed or pressed, and say what changed.

    Stored before it is reported stored: the update's writes commit before the answer goes.
    """
    await ws.directory.set_deadline_days(
        category=category, accept_days=days.accept_days, resolve_days=days.resolve_days
    )
    detail = f"{category} {days.accept_days}/{days.resolve_days}"
    await audited(ws, actor, Change.DEADLINE, detail)
    return _(
        "⏱ {category}: accept within {accept} and resolve within {resolve} working days, "
        "for reports filed from now on."
    ).format(category=category_label(category), accept=days.accept_days, resolve=days.resolve_days)


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
