"""`/praise` (表扬): a citizen praises a unit's good service. Counted, never handled.

```mermaid
stateDiagram-v2
  [*] --> choosing_unit: /praise / 🌸 Praise button under /start
  choosing_unit --> choosing_unit: typed text filters the units
  choosing_unit --> describing: a unit
  describing --> adding_photos: text (5–2000 characters)
  adding_photos --> confirming: Done / No photos
  confirming --> [*]: Confirm → praise, thank-you
```
The same steps as a report, minus the accusation: no category, no place, always anonymous
(the unit never learns who praised it), photos optional. Nothing is stored before Confirm;
`tickets.praise.submit_praise` stores the praise and queues the unit's notice together, and
the citizen gets a thank-you, not a tracking code: there is nothing to follow. /cancel (the
global one in `handlers.common`) drops the draft and its photos; so does the Cancel button.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Sequence
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from config.settings import Settings
from handlers.draft_flow import (
    Unit,
    active_units,
    discard_draft,
    go,
    matching_units,
    stale_draft,
    take_photo,
)
from handlers.errors import refusing
from handlers.photos import photo_ref
from handlers.reporter import photo_filter
from handlers.routing import Blueprint
from tickets.ports import UpdateWorkspace
from tickets.praise import submit_praise
from tickets.reports import PHOTOS_MAX, validate_description
from tickets.text import one_line
from tickets.views import NewPraise
from ui.draft_panels import DraftNav, DraftPanels
from ui.keyboards import PraiseStart
from ui.render import praise_thanks_text

router = Blueprint(__name__)  # built per Dispatcher by handlers.get_routers()
router.message.filter(F.chat.type == "private")

TOTAL_STEPS = 3


class PraiseDraft(StatesGroup):
    choosing_unit = State()
    describing = State()
    adding_photos = State()
    confirming = State()


class PraiseNav(DraftNav, prefix="pr"):
    """A praise draft's button."""


panels = DraftPanels(PraiseNav, TOTAL_STEPS)
button, panel, step = panels.button, panels.panel, panels.step


# -- prompts, one per step ----------------------------------------------------------------------


def unit_prompt(data: dict[str, Any], units: Sequence[Unit]) -> tuple[str, Any]:
    draft = data["draft_id"]
    page = int(data.get("unit_page") or 0)
    typed = data.get("unit_filter")
    hint, rows = panels.unit_choices(draft, matching_units(units, typed), page, typed)
    lines = [
        _("<b>🌸 Praise good service</b>"),
        step(1, _("Which unit do you want to praise?")),
        *hint,
    ]
    return panel(draft, "\n".join(lines), rows)


def describe_prompt(data: dict[str, Any]) -> tuple[str, Any]:
    text = "\n".join(
        [
            step(2, _("What was good?")),
            _("Praise for {unit}: describe what was done well (5–2000 characters).").format(
                unit=html.escape(data.get("unit_name") or "")
            ),
        ]
    )
    return panel(data["draft_id"], text, [])


def photos_prompt(data: dict[str, Any]) -> tuple[str, Any]:
    count = len(data.get("photos", []))
    lines = [
        step(3, _("Photos (optional)")),
        _("Send up to {maximum} photos if you like, then press Done.").format(maximum=PHOTOS_MAX),
    ]
    if count:
        lines.append(_("Received: {count} photo(s).").format(count=count))
    label = _("Done ✅") if count else _("No photos ⏭")
    return panel(data["draft_id"], "\n".join(lines), [[button(label, data["draft_id"], "photos")]])


def preview_prompt(data: dict[str, Any]) -> tuple[str, Any]:
    lines = [
        _("<b>Please check your praise</b>"),
        _("Unit praised: {unit}").format(unit=html.escape(data.get("unit_name") or "")),
        _("Photos: {count}").format(count=len(data.get("photos", []))),
        _("The unit is not told who you are."),
        "",
        html.escape(data.get("description") or ""),
    ]
    draft = data["draft_id"]
    return panel(draft, "\n".join(lines), [[button(_("✅ Confirm"), draft, "confirm")]])


# -- entry points ---------------------------------------------------------------------------


async def begin(target: Message | CallbackQuery, state: FSMContext, ws: UpdateWorkspace) -> None:
    """A fresh praise draft; a report draft in progress is kept, and said so."""
    current = await state.get_state()
    if current is not None and not current.startswith(PraiseDraft.__full_group_name__):
        text = _("You have a report in progress: finish it, or /cancel it first.")
        message = target if isinstance(target, Message) else target.message
        if isinstance(message, Message):
            await message.answer(text)
        return
    await ws.drafts.release_photos(await state.get_data())  # an unfinished praise's photos
    data = {"draft_id": secrets.token_urlsafe(8), "photos": []}
    await state.set_data(data)
    await go(target, state, PraiseDraft.choosing_unit, unit_prompt(data, await active_units(ws)))


@router.message(Command("praise"))
async def start_praise(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    await begin(message, state, ws)


@router.callback_query(PraiseStart.filter())
async def start_praise_button(
    query: CallbackQuery, state: FSMContext, ws: UpdateWorkspace
) -> None:
    await query.answer()
    await begin(query, state, ws)


# -- typed steps --------------------------------------------------------------------------------


@router.message(PraiseDraft.choosing_unit, F.text, ~F.text.startswith("/"))
async def search_units(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    """Typing narrows the list to the units whose name holds the text."""
    typed = one_line(message.text)[:40]
    units = await active_units(ws)
    if not matching_units(units, typed):
        await message.answer(
            _("No unit matches “{text}”. Pick one below.").format(text=html.escape(typed))
        )
        typed = ""
    await state.update_data(unit_filter=typed or None, unit_page=0)
    prompt = unit_prompt(await state.get_data(), units)
    await go(message, state, PraiseDraft.choosing_unit, prompt)


@router.message(PraiseDraft.describing, F.text, ~F.text.startswith("/"))
async def take_description(message: Message, state: FSMContext) -> None:
    with refusing(logged=()):  # empty, too short or too long: say so; the step stays
        description = validate_description(message.text or "")
    await state.update_data(description=description)
    await go(message, state, PraiseDraft.adding_photos, photos_prompt(await state.get_data()))


@router.message(PraiseDraft.describing, ~F.text.startswith("/"))
async def description_not_text(message: Message) -> None:
    await message.answer(_("Please describe what was good in text (5–2000 characters)."))


@router.message(PraiseDraft.adding_photos, photo_filter)
async def add_photo(message: Message, state: FSMContext, bot: Bot, ws: UpdateWorkspace) -> None:
    if not await take_photo(message, state, bot, ws, _("At most {maximum} photos per praise.")):
        return
    await go(message, state, PraiseDraft.adding_photos, photos_prompt(await state.get_data()))


@router.message(
    StateFilter(PraiseDraft.choosing_unit, PraiseDraft.adding_photos, PraiseDraft.confirming),
    ~F.text.startswith("/"),
)
async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or /cancel."))


# -- buttons ------------------------------------------------------------------------------------


@router.callback_query(PraiseNav.filter(), stale_draft)
async def on_stale(query: CallbackQuery) -> None:
    await query.answer(_("This draft is no longer active."), show_alert=True)


@router.callback_query(PraiseNav.filter(F.action == "cancel"))
async def on_cancel(query: CallbackQuery, state: FSMContext, ws: UpdateWorkspace) -> None:
    await discard_draft(state, ws)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("Praise cancelled. Nothing was sent."))


@router.callback_query(PraiseNav.filter(F.action == "unit"), PraiseDraft.choosing_unit)
async def on_unit(
    query: CallbackQuery, callback_data: PraiseNav, state: FSMContext, ws: UpdateWorkspace
) -> None:
    units = await active_units(ws)
    chosen = next((u for u in units if str(u[0]) == callback_data.value), None)
    if chosen is None:
        await query.answer(_("This button is no longer active."))
        return
    await query.answer()
    await state.update_data(unit_id=chosen[0], unit_name=chosen[1], unit_filter=None)
    await go(query, state, PraiseDraft.describing, describe_prompt(await state.get_data()))


@router.callback_query(PraiseNav.filter(F.action == "unit_page"), PraiseDraft.choosing_unit)
async def on_unit_page(
    query: CallbackQuery, callback_data: PraiseNav, state: FSMContext, ws: UpdateWorkspace
) -> None:
    await query.answer()
    if callback_data.value.isdigit():
        await state.update_data(unit_page=int(callback_data.value))
        prompt = unit_prompt(await state.get_data(), await active_units(ws))
        await go(query, state, PraiseDraft.choosing_unit, prompt)


@router.callback_query(PraiseNav.filter(F.action == "photos"), PraiseDraft.adding_photos)
async def on_photos_done(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await go(query, state, PraiseDraft.confirming, preview_prompt(await state.get_data()))


@router.callback_query(PraiseNav.filter(F.action == "confirm"), PraiseDraft.confirming)
async def on_confirm(
    query: CallbackQuery,
    state: FSMContext,
    ws: UpdateWorkspace,
    settings: Settings,
    i18n: I18n,
) -> None:
    """Store it; the praise, its notice and the end of the draft commit together, or none."""
    data = await state.get_data()
    with refusing(logged=()):  # the unit gone meanwhile, a limit: an alert; the draft stays
        submission = await submit_praise(
            ws,
            draft_value(data, query.from_user.id, i18n.current_locale),
            per_hour=settings.reports_per_hour,
        )
    await state.clear()
    await query.answer(_("Thank you!"))
    if isinstance(query.message, Message):
        await query.message.edit_text(praise_thanks_text(submission.praise))


@router.callback_query(PraiseNav.filter())
async def on_dead_button(query: CallbackQuery) -> None:
    """A button of a step already answered (a double tap, an old panel): ignore it."""
    await query.answer(_("This button is no longer active."))


def draft_value(data: dict[str, Any], user_id: int, language: str | None) -> NewPraise:
    photos = tuple(photo_ref(p) for p in data.get("photos", []))
    return NewPraise(
        submit_key=f"{user_id}:praise:{data['draft_id']}",
        reporter_user_id=user_id,
        department_id=data.get("unit_id"),
        description=data.get("description") or "",
        photos=photos,
        language=language,
    )


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
