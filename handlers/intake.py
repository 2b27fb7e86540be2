"""`/new`: staff register a report received by another channel (12345 hotline, phone, letter,
e-mail, suggestion box, undercover inspection, walk-in).

```mermaid
stateDiagram-v2
  [*] --> choosing_source: /new (staff only, private chat)
  choosing_source --> describing: a source
  describing --> choosing_category: text (required)
  choosing_category --> locating: a category
  locating --> adding_photos: address / skip
  adding_photos --> taking_contact: Done / skip
  taking_contact --> confirming: contact / skip
  confirming --> [*]: Confirm → ticket
```
A short flow on purpose: the caller is on the line. Photos are optional; the reply contact
(whom the office answers) is identity and never reaches a card. /cancel works at every step
(the global one in `handlers.common`, which also releases the draft's photos). Nothing is
stored before Confirm; `tickets.intake.register_report` files the ticket, refused whole.
"""

from __future__ import annotations

import html
import secrets
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from config.settings import Settings
from handlers.access import STAFF, AccessMiddleware
from handlers.draft_flow import discard_draft, go, stale_draft, take_photo
from handlers.errors import refusing
from handlers.photos import photo_ref
from handlers.reporter import photo_filter
from handlers.routing import Blueprint
from tickets.actors import Actor
from tickets.categories import require_offered
from tickets.intake import register_report
from tickets.ports import UpdateWorkspace
from tickets.reports import PHOTOS_MAX, validate_description
from tickets.sources import STAFF_SOURCES, clean_reply_contact, parse_staff_source
from tickets.text import one_line
from tickets.views import NewReport
from ui.categories import current_categories, offered
from ui.draft_panels import DraftNav, DraftPanels
from ui.render import category_label, registered_text, source_label

router = Blueprint(__name__)  # built per Dispatcher by handlers.get_routers()
router.message.filter(F.chat.type == "private")
router.message.middleware(AccessMiddleware())
router.callback_query.middleware(AccessMiddleware())

TOTAL_STEPS = 6
PLACE_MAX = 256


class IntakeDraft(StatesGroup):
    choosing_source = State()
    describing = State()
    choosing_category = State()
    locating = State()
    adding_photos = State()
    taking_contact = State()
    confirming = State()


class IntakeNav(DraftNav, prefix="in"):
    """A `/new` button."""


panels = DraftPanels(IntakeNav, TOTAL_STEPS)
button, panel, step = panels.button, panels.panel, panels.step


# -- prompts, one per step ----------------------------------------------------------------------


def source_prompt(draft: str) -> tuple[str, Any]:
    buttons = [button(source_label(s), draft, "source", s.value) for s in STAFF_SOURCES]
    text = "\n".join(
        [
            _("<b>Register a report received elsewhere</b>"),
            step(1, _("Where did it come from?")),
        ]
    )
    return panel(draft, text, [buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def describe_prompt(draft: str) -> tuple[str, Any]:
    text = (
        step(2, _("What was reported?"))
        + "\n"
        + _("Type the account as received: who, what, when (5–2000 characters).")
    )
    return panel(draft, text, [])


def category_prompt(draft: str) -> tuple[str, Any]:
    buttons = [button(name, draft, "category", slug) for slug, name in offered()]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return panel(draft, step(3, _("Which kind of misconduct is it?")), rows)


def place_prompt(draft: str) -> tuple[str, Any]:
    text = step(4, _("Where did it happen?")) + "\n" + _("Type the place, or skip.")
    return panel(draft, text, [[button(_("Skip ⏭"), draft, "place_skip")]])


def photos_prompt(data: dict[str, Any]) -> tuple[str, Any]:
    count = len(data.get("photos", []))
    lines = [
        step(5, _("Photos (optional)")),
        _("Send up to {maximum} photos received with the report, then press Done.").format(
            maximum=PHOTOS_MAX
        ),
    ]
    if count:
        lines.append(_("Received: {count} photo(s).").format(count=count))
    label = _("Done ✅") if count else _("No photos ⏭")
    return panel(data["draft_id"], "\n".join(lines), [[button(label, data["draft_id"], "photos")]])


def contact_prompt(draft: str) -> tuple[str, Any]:
    text = (
        step(6, _("Whom should the office answer?"))
        + "\n"
        + _(
            "Type a contact for the reply (a name and phone, an address or an e-mail), or skip. "
            "It is kept like a reporter's identity and never shown on the card."
        )
    )
    return panel(draft, text, [[button(_("Skip ⏭"), draft, "contact_skip")]])


def preview_prompt(data: dict[str, Any]) -> tuple[str, Any]:
    lines = [
        _("<b>Please check the report</b>"),
        _("Source: {source}").format(source=source_label(data["source"])),
        _("Category: {category}").format(category=category_label(data["category"])),
        _("Place: {place}").format(place=html.escape(data.get("place_text") or _("not given"))),
        _("Photos: {count}").format(count=len(data.get("photos", []))),
        _("Reply contact: {contact}").format(
            contact=html.escape(data.get("contact") or _("none"))
        ),
        "",
        html.escape(data["description"]),
    ]
    draft = data["draft_id"]
    return panel(draft, "\n".join(lines), [[button(_("✅ Confirm"), draft, "confirm")]])


# -- typed steps --------------------------------------------------------------------------------


@router.message(Command("new"), flags=STAFF)
async def start_intake(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    """A fresh draft; one left open (and its photos) is dropped, as /cancel would."""
    await ws.drafts.release_photos(await state.get_data())
    draft = secrets.token_urlsafe(8)
    await state.set_data({"draft_id": draft, "photos": []})
    await go(message, state, IntakeDraft.choosing_source, source_prompt(draft))


@router.message(IntakeDraft.describing, F.text, ~F.text.startswith("/"))
async def take_description(message: Message, state: FSMContext) -> None:
    with refusing(logged=()):  # empty, too short or too long: say so; the step stays
        description = validate_description(message.text or "")
    await state.update_data(description=description)
    draft = (await state.get_data())["draft_id"]
    await go(message, state, IntakeDraft.choosing_category, category_prompt(draft))


@router.message(IntakeDraft.describing)
async def description_not_text(message: Message) -> None:
    await message.answer(_("A report needs a description: please type it (5–2000 characters)."))


@router.message(IntakeDraft.locating, F.text, ~F.text.startswith("/"))
async def take_place(message: Message, state: FSMContext) -> None:
    await state.update_data(place_text=one_line(message.text)[:PLACE_MAX] or None)
    await go(message, state, IntakeDraft.adding_photos, photos_prompt(await state.get_data()))


@router.message(IntakeDraft.adding_photos, photo_filter)
async def add_photo(message: Message, state: FSMContext, bot: Bot, ws: UpdateWorkspace) -> None:
    if not await take_photo(message, state, bot, ws, _("At most {maximum} photos per report.")):
        return
    await go(message, state, IntakeDraft.adding_photos, photos_prompt(await state.get_data()))


@router.message(IntakeDraft.taking_contact, F.text, ~F.text.startswith("/"))
async def take_contact(message: Message, state: FSMContext) -> None:
    with refusing(logged=()):
        contact = clean_reply_contact(message.text)
    await state.update_data(contact=contact)
    await go(message, state, IntakeDraft.confirming, preview_prompt(await state.get_data()))


@router.message(
    IntakeDraft.choosing_source,
    IntakeDraft.choosing_category,
    IntakeDraft.locating,
    IntakeDraft.adding_photos,
    IntakeDraft.taking_contact,
    IntakeDraft.confirming,
    ~F.text.startswith("/"),
)
async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or /cancel."))


# -- buttons ------------------------------------------------------------------------------------


@router.callback_query(IntakeNav.filter(), stale_draft)
async def on_stale(query: CallbackQuery) -> None:
    await query.answer(_("This draft is no longer active."), show_alert=True)


@router.callback_query(IntakeNav.filter(F.action == "cancel"), flags=STAFF)
async def on_cancel(query: CallbackQuery, state: FSMContext, ws: UpdateWorkspace) -> None:
    await discard_draft(state, ws)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("Cancelled. Nothing was registered."))


@router.callback_query(
    IntakeNav.filter(F.action == "source"), IntakeDraft.choosing_source, flags=STAFF
)
async def on_source(query: CallbackQuery, callback_data: IntakeNav, state: FSMContext) -> None:
    source = parse_staff_source(callback_data.value)
    if source is None:
        await query.answer(_("This button is no longer active."))
        return
    await query.answer()
    await state.update_data(source=source.value)
    await go(query, state, IntakeDraft.describing, describe_prompt(callback_data.draft))


@router.callback_query(
    IntakeNav.filter(F.action == "category"), IntakeDraft.choosing_category, flags=STAFF
)
async def on_category(query: CallbackQuery, callback_data: IntakeNav, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(
        category=require_offered(current_categories(), callback_data.value).slug
    )
    await go(query, state, IntakeDraft.locating, place_prompt(callback_data.draft))


@router.callback_query(
    IntakeNav.filter(F.action == "place_skip"), IntakeDraft.locating, flags=STAFF
)
async def on_place_skip(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(place_text=None)
    await go(query, state, IntakeDraft.adding_photos, photos_prompt(await state.get_data()))


@router.callback_query(
    IntakeNav.filter(F.action == "photos"), IntakeDraft.adding_photos, flags=STAFF
)
async def on_photos_done(
    query: CallbackQuery, callback_data: IntakeNav, state: FSMContext
) -> None:
    await query.answer()
    await go(query, state, IntakeDraft.taking_contact, contact_prompt(callback_data.draft))


@router.callback_query(
    IntakeNav.filter(F.action == "contact_skip"), IntakeDraft.taking_contact, flags=STAFF
)
async def on_contact_skip(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(contact=None)
    await go(query, state, IntakeDraft.confirming, preview_prompt(await state.get_data()))


@router.callback_query(
    IntakeNav.filter(F.action == "confirm"), IntakeDraft.confirming, flags=STAFF
)
async def on_confirm(
    query: CallbackQuery,
    state: FSMContext,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    """File it; the ticket and the end of the draft commit together, or neither."""
    data = await state.get_data()
    with refusing(logged=()):
        submission = await register_report(ws, actor, draft_value(data, actor.user_id))
    await state.clear()
    await query.answer(_("Registered."))
    if isinstance(query.message, Message):
        await query.message.edit_text(registered_text(submission.ticket, settings.tz))


@router.callback_query(IntakeNav.filter())
async def on_dead_button(query: CallbackQuery) -> None:
    """A button of a step already answered (a double tap, an old panel): ignore it."""
    await query.answer(_("This button is no longer active."))


def draft_value(data: dict[str, Any], user_id: int) -> NewReport:
    photos = tuple(photo_ref(p) for p in data.get("photos", []))
    return NewReport(
        submit_key=f"{user_id}:new:{data['draft_id']}",
        reporter_user_id=user_id,
        category=data.get("category") or "",
        description=data.get("description") or "",
        photos=photos,
        place_text=data.get("place_text"),
        intake_source=data.get("source"),
        reply_contact=data.get("contact"),
    )


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
