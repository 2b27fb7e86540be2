"""The citizen's report draft: photos → description → category and unit → place → identity →
preview.

```mermaid
stateDiagram-v2
  [*] --> adding_photos: photo / /report / QR link
  adding_photos --> describing: Next (caption skips ahead)
  describing --> choosing_category
  choosing_category --> choosing_unit
  choosing_unit --> choosing_unit: typed text filters the units
  choosing_unit --> locating: a unit / 不清楚
  locating --> choosing_identity: location / address / skip
  choosing_identity --> confirming: anonymous
  choosing_identity --> sharing_contact: real name
  sharing_contact --> confirming: contact shared
  confirming --> matching: Confirm, and open tickets look alike
  matching --> [*]: 🙋 Me too → supporter of that ticket, no new ticket
  matching --> [*]: No, file mine → ticket
  confirming --> [*]: Confirm → ticket
  confirming --> adding_photos: Edit (any step, then back to preview)
```
Every step has Back, and /cancel works everywhere. Buttons edit the step's panel in place;
typed answers get a fresh panel and the old one is deleted so the chat does not pile up.
A step left by a button takes its location or contact keyboard away with a one-line note
(inline buttons cannot). Buttons only act in their own step, so a double tap or an old
panel does nothing. Cancelling deletes the draft's photos unless a ticket or another draft
holds the same file; /report or a QR link mid-draft brings the draft back, never drops it.
The unit the report is about (被反映单位) is the second half of step 3: the directory's
units, a page at a time, narrowed by typing part of a name, or 不清楚 (not sure).
"""

from __future__ import annotations

import contextlib
import html
import secrets
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import structlog
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from config.settings import Settings
from handlers.album_panels import AlbumPanels
from handlers.common import greeting_text
from handlers.draft_flow import (
    Unit,
    active_units,
    discard_draft,
    matching_units,
    receive_photo,
    replace_panel,
    show_panel,
    stale_draft,
)
from handlers.errors import refusing
from handlers.photos import (
    ACCEPTED_DOCUMENT_TYPES,
    photo_ref,
)
from handlers.routing import Blueprint
from tickets.actors import Actor
from tickets.categories import require_offered
from tickets.errors import ValidationError
from tickets.ports import UpdateWorkspace
from tickets.reports import PHOTOS_MAX, submit_report, validate_description
from tickets.routing import SOURCE_TAG_RE
from tickets.supporters import Match, find_matches, join
from tickets.text import one_line
from tickets.views import NewReport
from ui.categories import current_categories, offered
from ui.draft_panels import DraftNav, DraftPanels
from ui.render import category_label, state_label, submitted_text

log = structlog.get_logger(__name__)
router = Blueprint(__name__)  # built per Dispatcher by handlers.get_routers()
router.message.filter(F.chat.type == "private")

TOTAL_STEPS = 5


class ReportDraft(StatesGroup):
    adding_photos = State()
    describing = State()
    choosing_category = State()
    choosing_unit = State()
    locating = State()
    choosing_identity = State()
    sharing_contact = State()
    confirming = State()


class Nav(DraftNav, prefix="rd"):
    """A report draft's button."""


is_image_document = F.document.mime_type.in_(
    ACCEPTED_DOCUMENT_TYPES
) | F.document.file_name.regexp(r"(?i)\.(jpe?g|png|webp)$")
photo_filter = F.photo | is_image_document


# -- panel helpers ------------------------------------------------------------------------


panels = DraftPanels(Nav, TOTAL_STEPS)
nav_button, step = panels.button, panels.step


def back_cancel_row(draft: str, back_to: str | None) -> list[InlineKeyboardButton]:
    row = []
    if back_to:
        row.append(nav_button(_("⬅️ Back"), draft, "goto", back_to))
    row.append(nav_button(_("✖️ Cancel"), draft, "cancel"))
    return row


# -- the steps ------------------------------------------------------------------------------


async def begin_draft(
    state: FSMContext, *, source_tag: str | None = None, place_text: str | None = None
) -> str:
    draft_id = secrets.token_urlsafe(8)
    await state.set_state(ReportDraft.adding_photos)
    # Defaults are left out (anonymous, no photo metadata, no place): the readers supply them.
    data: dict[str, Any] = {"draft_id": draft_id, "photos": []}
    if source_tag is not None:
        data |= {"source_tag": source_tag, "place_text": place_text}
    await state.set_data(data)
    return draft_id


def photos_prompt(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    count = len(data.get("photos", []))
    lines = [
        step(1, _("Photos")),
        _("Send 1–{maximum} photos of what you saw (an album is fine).").format(
            maximum=PHOTOS_MAX
        ),
    ]
    if count:
        lines.append(_("Received: {count} photo(s).").format(count=count))
    if data.get("place_text"):
        lines.append(_("Place: {place}").format(place=html.escape(data["place_text"])))
    draft = data["draft_id"]
    rows = [[nav_button(_("Next ➡️"), draft, "next")]] if count else []
    rows.append(back_cancel_row(draft, None))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def describe_prompt(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join(
        [
            step(2, _("What happened?")),
            _("Describe it in a few sentences: who, what, when (5–2000 characters)."),
        ]
    )
    return text, InlineKeyboardMarkup(
        inline_keyboard=[back_cancel_row(data["draft_id"], "photos")]
    )


def category_prompt(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    draft = data["draft_id"]
    buttons = [nav_button(name, draft, "category", slug) for slug, name in offered()]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(back_cancel_row(draft, "describe"))
    text = step(3, _("Which kind of misconduct is it?"))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def unit_prompt(data: dict[str, Any], units: Sequence[Unit]) -> tuple[str, InlineKeyboardMarkup]:
    draft = data["draft_id"]
    page = int(data.get("unit_page") or 0)
    typed = data.get("unit_filter")
    hint, rows = panels.unit_choices(draft, matching_units(units, typed), page, typed)
    lines = [step(3, _("Which unit is the report about?")), *hint]
    rows.append([nav_button(_("🤷 Not sure"), draft, "unit", "none")])
    rows.append(back_cancel_row(draft, "category"))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def place_prompt(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    draft = data["draft_id"]
    lines = [
        step(4, _("Where did it happen?")),
        _("Share your location with the button below, type an address, or skip."),
    ]
    rows = []
    if data.get("place_text"):
        label = _("Use: {place}").format(place=data["place_text"][:40])
        rows.append([nav_button(label, draft, "place_keep")])
    rows.append([nav_button(_("Skip ⏭"), draft, "place_skip")])
    rows.append(back_cancel_row(draft, "unit"))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def identity_prompt(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    draft = data["draft_id"]
    text = "\n".join(
        [
            step(5, _("Anonymous or real name?")),
            _(
                "Anonymous is the default: the department never sees who you are. With your real "
                "name, only the handling department sees your name and phone."
            ),
        ]
    )
    rows = [
        [
            nav_button(_("🕶 Anonymous"), draft, "anonymous"),
            nav_button(_("🪪 Real name"), draft, "real_name"),
        ],
        back_cancel_row(draft, "place"),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def preview_prompt(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    draft = data["draft_id"]
    place = data.get("place_text") or (
        _("shared location") if data.get("latitude") is not None else _("not given")
    )
    identity = (
        _("anonymous")
        if data.get("anonymous", True)
        else f"{html.escape(data.get('real_name') or '')} {html.escape(data.get('phone') or '')}"
    )
    lines = [
        _("<b>Please check your report</b>"),
        _("Photos: {count}").format(count=len(data.get("photos", []))),
        _("Category: {category}").format(category=category_label(data.get("category") or "")),
        _("Unit reported: {name}").format(
            name=html.escape(data.get("accused_name") or _("not sure"))
        ),
        _("Place: {place}").format(place=html.escape(place)),
        _("Identity: {identity}").format(identity=identity),
        "",
        html.escape(data.get("description") or ""),
    ]
    meta_label = (
        _("📎 Photo time/GPS: included")
        if data.get("keep_meta")
        else _("📎 Photo time/GPS: not included")
    )
    rows = [
        [nav_button(_("✅ Confirm"), draft, "confirm")],
        [nav_button(_("✏️ Edit"), draft, "edit"), nav_button(_("✖️ Cancel"), draft, "cancel")],
    ]
    if any(p.get("captured_at") or p.get("gps_lat") is not None for p in data.get("photos", [])):
        rows.insert(1, [nav_button(meta_label, draft, "toggle_meta")])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def edit_prompt(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    draft = data["draft_id"]
    fields = (
        ("photos", _("Photos")),
        ("describe", _("Description")),
        ("category", _("Category")),
        ("unit", _("Unit reported")),
        ("place", _("Place")),
        ("identity", _("Identity")),
    )
    rows = [[nav_button(label, draft, "edit_field", key)] for key, label in fields]
    rows.append([nav_button(_("⬅️ Back to preview"), draft, "goto", "preview")])
    return _("What would you like to change?"), InlineKeyboardMarkup(inline_keyboard=rows)


STEP_STATES = {
    "photos": ReportDraft.adding_photos,
    "describe": ReportDraft.describing,
    "category": ReportDraft.choosing_category,
    "unit": ReportDraft.choosing_unit,
    "place": ReportDraft.locating,
    "identity": ReportDraft.choosing_identity,
    "preview": ReportDraft.confirming,
}


async def go_to(
    step: str,
    target: Message | CallbackQuery,
    state: FSMContext,
    ws: UpdateWorkspace,
    *,
    note: str | None = None,
) -> None:
    """Show `step`'s panel; `note` says what was decided if a reply keyboard must go."""
    await state.set_state(STEP_STATES[step])
    message = target if isinstance(target, Message) else target.message
    if step != "place" and isinstance(message, Message):
        removed = await drop_reply_keyboard(message, state, note or _("OK."))
        if removed:
            target = message  # the note now sits under the panel: show a fresh one below it
    data = await state.get_data()
    prompts = {
        "photos": photos_prompt,
        "describe": describe_prompt,
        "category": category_prompt,
        "place": place_prompt,
        "identity": identity_prompt,
    }
    if step == "preview":
        text, markup = preview_prompt(data)
    elif step == "unit":
        text, markup = unit_prompt(data, await active_units(ws))
    else:
        text, markup = prompts[step](data)
    await show_panel(target, state, text, markup)
    if step == "place" and isinstance(message, Message):
        # A reply keyboard cannot share a message with inline buttons.
        await offer_reply_keyboard(message, state, _("Or use the button:"), location_keyboard())


async def offer_reply_keyboard(
    message: Message, state: FSMContext, text: str, keyboard: ReplyKeyboardMarkup
) -> None:
    """Send the message carrying a reply keyboard, replacing the previous one."""
    old = (await state.get_data()).get("keyboard_id")
    sent = await message.answer(text, reply_markup=keyboard)
    await state.update_data(keyboard_id=sent.message_id)
    if old:
        with contextlib.suppress(TelegramBadRequest):
            await message.chat.delete_message(old)


async def drop_reply_keyboard(message: Message, state: FSMContext, note: str) -> bool:
    """Hide a location/contact keyboard the step left open; tell whether a note was sent.

    A reply keyboard stays on the phone until a message removes it: pressing an inline
    button (Skip, Anonymous, Back, Cancel) does not, and the citizen would be left with a
    "share location" button in a step that ignores locations.
    """
    keyboard_id = (await state.get_data()).get("keyboard_id")
    if not keyboard_id:
        return False
    await message.answer(note, reply_markup=ReplyKeyboardRemove())
    await state.update_data(keyboard_id=None)
    with contextlib.suppress(TelegramBadRequest):
        await message.chat.delete_message(keyboard_id)
    return True


async def advance(
    after: str,
    target: Message | CallbackQuery,
    state: FSMContext,
    ws: UpdateWorkspace,
    *,
    note: str | None = None,
) -> None:
    """Go to the step after `after`, or back to the preview when editing one field."""
    data = await state.get_data()
    order = ["photos", "describe", "category", "unit", "place", "identity", "preview"]
    following = order[order.index(after) + 1]
    if data.get("editing"):
        following = "preview"
    if following == "describe" and data.get("description"):
        following = "category"  # the photo caption already said what happened
    await go_to(following, target, state, ws, note=note)


# -- entry points -----------------------------------------------------------------------------


@router.message(CommandStart(deep_link=True))
async def start_from_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    ws: UpdateWorkspace,
    actor: Actor,
) -> None:
    """QR/deep link: a known place tag pre-fills the place; anything else is a plain hello."""
    payload = command.args or ""
    tag = await ws.directory.get_tag(tag=payload) if SOURCE_TAG_RE.match(payload) else None
    if tag is None:
        await message.answer(greeting_text(actor))
        return
    if await resume_draft(message, state, ws, source_tag=tag.tag, place_text=tag.place_text):
        return
    await begin_draft(state, source_tag=tag.tag, place_text=tag.place_text)
    await message.answer(
        greeting_text(None)
        + "\n\n"
        + _("You are reporting about: {place}").format(place=html.escape(tag.place_text))
    )
    text, markup = photos_prompt(await state.get_data())
    await show_panel(message, state, text, markup)


@router.message(Command("report"))
async def start_report(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    if await resume_draft(message, state, ws):
        return
    await begin_draft(state)
    text, markup = photos_prompt(await state.get_data())
    await show_panel(message, state, text, markup)


async def resume_draft(
    message: Message, state: FSMContext, ws: UpdateWorkspace, **changes: Any
) -> bool:
    """Carry on with a draft in progress rather than silently throwing its photos away."""
    step = STATE_STEPS.get(await state.get_state() or "")
    if step is None:
        return False
    if changes:
        await state.update_data(changes)
    await message.answer(_("You have a report in progress: here it is again. /cancel drops it."))
    await go_to(step, message, state, ws)
    return True


# -- step 1: photos ---------------------------------------------------------------------------

# FSM data key: an album's panel is owed, in this locale. It outlives a restart inside the
# settle window, when the refresh task is gone but the photos are kept.
PANEL_OWED = "album_panel_locale"
PANEL_SHOWN = "album_panel_shown"  # [panel message id, its text] of the last album refresh


@router.message(StateFilter(None, ReportDraft.adding_photos), photo_filter)
async def add_photo(
    message: Message,
    state: FSMContext,
    bot: Bot,
    ws: UpdateWorkspace,
    album_panels: AlbumPanels,
    i18n: I18n,
) -> None:
    held = len((await state.get_data()).get("photos", []))
    too_many = _("At most {maximum} photos per report.")
    entry = await receive_photo(message, bot, ws, held=held, too_many=too_many)
    if entry is None:
        return
    if await state.get_state() is None:
        await begin_draft(state)  # only now: a refused file must not leave an empty draft
    data = await state.get_data()
    if any(p["sha256"] == entry["sha256"] for p in data["photos"]):
        await message.answer(_("You have already added this photo."))
        return
    changes: dict[str, Any] = {"photos": [*data["photos"], entry]}
    if message.caption and not data.get("description"):
        # A short caption ("看!") is not a description: step 2 will ask for one.
        with contextlib.suppress(ValidationError):
            changes["description"] = validate_description(message.caption)
    if message.media_group_id:
        changes[PANEL_OWED] = i18n.current_locale
    await state.update_data(changes)
    refresh = partial(refresh_photo_panel, bot, message.chat.id, state)
    if message.media_group_id or album_panels.pending(message.chat.id):
        # One panel per album, not one per photo: refresh when the album has settled.
        album_panels.schedule(message.chat.id, refresh)
    else:
        await album_panels.run(message.chat.id, refresh)


async def refresh_photo_panel(bot: Bot, chat_id: int, state: FSMContext) -> None:
    """Show the photo step's panel with the photos received so far; the debt is paid."""
    if await state.get_state() == ReportDraft.adding_photos.state:
        data = await state.get_data()
        text, markup = photos_prompt(data)
        # An earlier refresh may already show every photo: replacing it would only churn.
        if data.get(PANEL_SHOWN) != [data.get("panel_id"), text]:
            await replace_panel(bot, chat_id, state, text, markup)
            panel_id = (await state.get_data()).get("panel_id")
            await state.update_data({PANEL_SHOWN: [panel_id, text]})
    await state.update_data({PANEL_OWED: None})


def resume_album_panel(
    bot: Bot,
    state: FSMContext,
    *,
    chat_id: int,
    locale: str,
    album_panels: AlbumPanels,
    i18n: I18n,
) -> None:
    """Send the panel owed for an album that arrived just before the bot stopped.

    The composition root finds the drafts in `ReportDraft.adding_photos` whose data holds
    `PANEL_OWED` (the locale) at start-up and calls this for each.
    """
    refresh = partial(refresh_photo_panel, bot, chat_id, state)
    # The task copies this context: the panel speaks the language the album came in.
    with i18n.context(), i18n.use_locale(locale):
        album_panels.schedule(chat_id, refresh, delay=0)  # the album settled long ago


@router.message(ReportDraft.adding_photos, F.text, ~F.text.startswith("/"))
async def text_while_adding_photos(
    message: Message, state: FSMContext, ws: UpdateWorkspace
) -> None:
    """Typing after the photos is the description: take it and move on."""
    data = await state.get_data()
    if not data["photos"]:
        await message.answer(_("Please send a photo first (at least one)."))
        return
    await take_description(message, state, ws)


@router.message(ReportDraft.adding_photos)
async def not_a_photo(message: Message) -> None:
    await message.answer(_("Please send a photo (JPEG, PNG or WebP), or press Next."))


# -- step 2: description ----------------------------------------------------------------------


@router.message(ReportDraft.describing, F.text, ~F.text.startswith("/"))
async def take_description(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    with refusing(logged=()):  # too short or too long: say so; the step stays
        description = validate_description(message.text or "")
    await state.update_data(description=description)
    await advance("describe", message, state, ws)


@router.message(ReportDraft.describing)
async def description_not_text(message: Message) -> None:
    await message.answer(_("Please describe what happened in text (5–2000 characters)."))


# -- step 3, second half: the unit reported ---------------------------------------------------


async def open_unit_step(state: FSMContext) -> None:
    """Show the whole list from its first page; the units are read when the panel is drawn.

    `units` is the directory a draft stored by an earlier version still holds.
    """
    data = await state.get_data()
    dropped = ("units", "unit_filter", "unit_page")
    await state.set_data({key: value for key, value in data.items() if key not in dropped})


@router.message(ReportDraft.choosing_unit, F.text, ~F.text.startswith("/"))
async def search_units(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    """Typing narrows the list to the units whose name holds the text."""
    typed = one_line(message.text)[:40]
    if not matching_units(await active_units(ws), typed):
        await message.answer(
            _("No unit matches “{text}”. Pick one below, or 🤷 Not sure.").format(
                text=html.escape(typed)
            )
        )
        typed = ""
    await state.update_data(unit_filter=typed or None, unit_page=0)
    await go_to("unit", message, state, ws)


@router.message(ReportDraft.choosing_unit)
async def unit_not_text(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    await message.answer(_("Type part of the unit's name, or use the buttons."))
    await go_to("unit", message, state, ws)


# -- step 4: place ----------------------------------------------------------------------------


@router.message(ReportDraft.locating, F.location)
async def take_location(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    location = message.location
    assert location is not None
    await state.update_data(latitude=location.latitude, longitude=location.longitude)
    await advance("place", message, state, ws, note=_("📍 Location received."))


@router.message(ReportDraft.locating, F.text, ~F.text.startswith("/"))
async def take_address(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    # Cleaned as the ticket will store it: what is checked and previewed is what is filed.
    address = one_line(message.text)
    if not 2 <= len(address) <= 256:
        await message.answer(_("Please type an address of 2–256 characters, or skip."))
        return
    await state.update_data(place_text=address)
    await advance("place", message, state, ws, note=_("Address noted."))


@router.message(ReportDraft.locating)
async def place_not_understood(message: Message) -> None:
    await message.answer(_("Share a location, type an address, or press Skip."))


def location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_("📍 Share my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


# -- step 5: identity -------------------------------------------------------------------------


@router.message(ReportDraft.sharing_contact, F.contact)
async def take_contact(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    contact = message.contact
    assert contact is not None and message.from_user is not None
    if contact.user_id != message.from_user.id:
        await message.answer(_("Please share your own number with the button."))
        return
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    await state.update_data(anonymous=False, real_name=name[:128], phone=contact.phone_number[:32])
    note = _("Thank you, {name}.").format(name=html.escape(name))
    await go_to("preview", message, state, ws, note=note)


@router.message(ReportDraft.sharing_contact)
async def contact_expected(message: Message) -> None:
    await message.answer(_("Please press “Share my phone number”, or /cancel."))


def contact_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


# -- steps answered with buttons only ---------------------------------------------------------

STATE_STEPS = {state.state: step for step, state in STEP_STATES.items()} | {
    ReportDraft.sharing_contact.state: "identity"
}


@router.message(
    StateFilter(
        ReportDraft.choosing_category, ReportDraft.choosing_identity, ReportDraft.confirming
    )
)
async def use_the_buttons(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    """Anything typed or sent where a button is expected: say so, and bring the panel back."""
    await message.answer(_("Please use the buttons below, or /cancel."))
    step = STATE_STEPS.get(await state.get_state() or "", "preview")
    await go_to(step, message, state, ws)


# -- buttons ----------------------------------------------------------------------------------


@router.callback_query(Nav.filter(F.action == "confirm"))
async def on_confirm(
    query: CallbackQuery,
    callback_data: Nav,
    state: FSMContext,
    ws: UpdateWorkspace,
    settings: Settings,
    i18n: I18n,
) -> None:
    await confirm(query, callback_data, state, ws, settings, i18n)


@router.callback_query(Nav.filter(), stale_draft)
async def on_stale_draft(query: CallbackQuery) -> None:
    await query.answer(_("This draft is no longer active."), show_alert=True)


@router.callback_query(Nav.filter(F.action == "cancel"))
async def on_cancel(query: CallbackQuery, state: FSMContext, ws: UpdateWorkspace) -> None:
    await query.answer()
    await cancel_draft(query, state, ws)


@router.callback_query(Nav.filter(F.action == "join"), ReportDraft.confirming)
async def on_join(
    query: CallbackQuery,
    callback_data: Nav,
    state: FSMContext,
    ws: UpdateWorkspace,
    i18n: I18n,
) -> None:
    """Me too: become a supporter of the matched ticket; the draft ends, nothing is filed."""
    data = await state.get_data()
    ticket_id = int(callback_data.value) if callback_data.value.isdigit() else 0
    with refusing(detail=f"join {ticket_id}"):
        match = await join(
            ws,
            ticket_id=ticket_id,
            reporter_user_id=query.from_user.id,
            language=i18n.current_locale,
            **match_keys(data),
        )
    await discard_draft(state, ws)  # the supporter row and the draft's end commit together
    await query.answer(_("Thank you."))
    await show_outcome(
        query,
        _(
            "🙋 Thank you: you joined the report already being handled ({category}). "
            "No new report was filed. You will be told here how it is handled, and asked "
            "how it went."
        ).format(category=category_label(match.category)),
    )


IDENTITY_STEPS = (ReportDraft.choosing_identity, ReportDraft.sharing_contact)
NavStep = Callable[[CallbackQuery, Nav, FSMContext, UpdateWorkspace], Awaitable[None]]


def nav_step(action: str, *states: State) -> Callable[[NavStep], NavStep]:
    """Route a draft button by its action, in the states where it still means something.

    Back and Cancel work anywhere; any other press falls through to `on_dead_button`.
    """

    def register(handler: NavStep) -> NavStep:
        async def pressed(
            query: CallbackQuery, callback_data: Nav, state: FSMContext, ws: UpdateWorkspace
        ) -> None:
            await query.answer()
            await handler(query, callback_data, state, ws)

        pressed.__qualname__ = handler.__qualname__
        in_states = (StateFilter(*states),) if states else ()
        router.callback_query(Nav.filter(F.action == action), *in_states)(pressed)
        return handler

    return register


@nav_step("next", ReportDraft.adding_photos)
async def nav_next(query: CallbackQuery, _cb: Nav, state: FSMContext, ws: UpdateWorkspace) -> None:
    if not (await state.get_data())["photos"]:
        return  # the panel shows Next only once there is a photo
    await advance("photos", query, state, ws)


@nav_step("goto")
async def nav_goto(query: CallbackQuery, cb: Nav, state: FSMContext, ws: UpdateWorkspace) -> None:
    if cb.value in STEP_STATES:
        await go_to(cb.value, query, state, ws)


@router.callback_query(Nav.filter(F.action == "category"), ReportDraft.choosing_category)
async def nav_category(
    query: CallbackQuery,
    callback_data: Nav,
    state: FSMContext,
    ws: UpdateWorkspace,
) -> None:
    # A keyboard sent before the category was retired: refused, the errors router answers.
    require_offered(current_categories(), callback_data.value)
    await query.answer()
    await state.update_data(category=callback_data.value)
    if not (await state.get_data()).get("editing"):
        await open_unit_step(state)
    await advance("category", query, state, ws)


@nav_step("unit", ReportDraft.choosing_unit)
async def nav_unit(query: CallbackQuery, cb: Nav, state: FSMContext, ws: UpdateWorkspace) -> None:
    chosen = next((u for u in await active_units(ws) if str(u[0]) == cb.value), None)
    if chosen is None and cb.value != "none":
        return
    await state.update_data(
        accused_id=chosen[0] if chosen else None,
        accused_name=chosen[1] if chosen else None,
        unit_filter=None,
    )
    await advance("unit", query, state, ws)


@nav_step("unit_page", ReportDraft.choosing_unit)
async def nav_unit_page(
    query: CallbackQuery, cb: Nav, state: FSMContext, ws: UpdateWorkspace
) -> None:
    if cb.value.isdigit():
        await state.update_data(unit_page=int(cb.value))
        await go_to("unit", query, state, ws)


@nav_step("place_keep", ReportDraft.locating)
async def nav_place_keep(
    query: CallbackQuery, _cb: Nav, state: FSMContext, ws: UpdateWorkspace
) -> None:
    place = (await state.get_data()).get("place_text") or ""
    note = _("📍 Place: {place}").format(place=html.escape(place))
    await advance("place", query, state, ws, note=note)


@nav_step("place_skip", ReportDraft.locating)
async def nav_place_skip(
    query: CallbackQuery, _cb: Nav, state: FSMContext, ws: UpdateWorkspace
) -> None:
    await state.update_data(place_text=None, latitude=None, longitude=None)
    await advance("place", query, state, ws, note=_("⏭ No place given."))


@nav_step("anonymous", *IDENTITY_STEPS)
async def nav_anonymous(
    query: CallbackQuery, _cb: Nav, state: FSMContext, ws: UpdateWorkspace
) -> None:
    await state.update_data(anonymous=True, real_name=None, phone=None)
    await go_to("preview", query, state, ws, note=_("🕶 You stay anonymous."))


@nav_step("real_name", *IDENTITY_STEPS)
async def nav_real_name(
    query: CallbackQuery, _cb: Nav, state: FSMContext, ws: UpdateWorkspace
) -> None:
    await state.set_state(ReportDraft.sharing_contact)
    if isinstance(query.message, Message):
        text = _("Please share your phone number with the button below.")
        await offer_reply_keyboard(query.message, state, text, contact_keyboard())


@nav_step("edit", ReportDraft.confirming)
async def nav_edit(query: CallbackQuery, _cb: Nav, state: FSMContext, ws: UpdateWorkspace) -> None:
    text, markup = edit_prompt(await state.get_data())
    await show_panel(query, state, text, markup)


@router.callback_query(Nav.filter(F.action == "edit_field"), ReportDraft.confirming)
async def nav_edit_field(
    query: CallbackQuery,
    callback_data: Nav,
    state: FSMContext,
    ws: UpdateWorkspace,
) -> None:
    await query.answer()
    if callback_data.value not in STEP_STATES:
        return
    await state.update_data(editing=True)
    if callback_data.value == "unit":
        await open_unit_step(state)
    await go_to(callback_data.value, query, state, ws)


@nav_step("toggle_meta", ReportDraft.confirming)
async def nav_toggle_meta(
    query: CallbackQuery, _cb: Nav, state: FSMContext, ws: UpdateWorkspace
) -> None:
    data = await state.get_data()
    await state.update_data(keep_meta=not data.get("keep_meta", False))
    await go_to("preview", query, state, ws)


async def cancel_draft(query: CallbackQuery, state: FSMContext, ws: UpdateWorkspace) -> None:
    keyboard_id = (await state.get_data()).get("keyboard_id")
    await discard_draft(state, ws)
    message = query.message
    if not isinstance(message, Message):
        return
    text = _("Report cancelled. Nothing was sent.")
    if not keyboard_id:
        await message.edit_text(text)
        return
    # Only a new message can take the location/contact keyboard away.
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
    for stale in (keyboard_id, message.message_id):
        with contextlib.suppress(TelegramBadRequest):
            await message.chat.delete_message(stale)


@router.callback_query(Nav.filter())
async def on_dead_button(query: CallbackQuery) -> None:
    """A button of a step already answered (a double tap, an old panel): ignore it."""
    await query.answer(_("This button is no longer active."))


# -- submission -------------------------------------------------------------------------------


def draft_value(data: dict[str, Any], user_id: int, language: str | None) -> NewReport:
    keep_meta = bool(data.get("keep_meta"))
    photos = tuple(photo_ref(p, keep_meta=keep_meta) for p in data.get("photos", []))
    return NewReport(
        submit_key=f"{user_id}:{data['draft_id']}",
        reporter_user_id=user_id,
        category=data.get("category") or "",
        description=data.get("description") or "",
        photos=photos,
        place_text=data.get("place_text"),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        source_tag=data.get("source_tag"),
        anonymous=bool(data.get("anonymous", True)),
        real_name=data.get("real_name"),
        phone=data.get("phone"),
        language=language,
        accused_department_id=data.get("accused_id"),
    )


async def confirm(
    query: CallbackQuery,
    cb: Nav,
    state: FSMContext,
    ws: UpdateWorkspace,
    settings: Settings,
    i18n: I18n,
) -> None:
    """File the ticket; a second press (or a redelivered update) finds the same ticket."""
    data = await state.get_data()
    if data.get("draft_id") != cb.draft:
        existing = await ws.tickets.get_by_submit_key(
            submit_key=f"{query.from_user.id}:{cb.draft}"
        )
        if existing is None:
            await query.answer(_("This draft is no longer active."), show_alert=True)
            return
        await query.answer(_("Already filed as {code}.").format(code=existing.code))
        # A press replayed after a crash that came between filing and showing the code:
        # the citizen must still end up seeing it.
        await show_outcome(query, submitted_text(existing, settings.tz))
        return
    if not data.get("photos"):
        # The domain files photo-less tickets for staff; a citizen's report needs a photo.
        await query.answer(_("Send at least one photo first."), show_alert=True)
        return
    if cb.value != "file" and await is_confirming(state):
        matches = await find_matches(ws, reporter_user_id=query.from_user.id, **match_keys(data))
        if matches:
            await query.answer()
            text, markup = matches_prompt(data, matches)
            await show_panel(query, state, text, markup)
            return
    # Refused (a limit, a bad draft): an alert, not a security event; the draft stays.
    with refusing(logged=()):
        submission = await submit_report(
            ws,
            draft_value(data, query.from_user.id, i18n.current_locale),
            per_hour=settings.reports_per_hour,
        )
    await state.clear()  # the ticket and the draft's end commit together
    await query.answer(_("Filed."))
    await show_outcome(query, submitted_text(submission.ticket, settings.tz))


async def is_confirming(state: FSMContext) -> bool:
    return await state.get_state() == ReportDraft.confirming.state


def match_keys(data: dict[str, Any]) -> dict[str, Any]:
    """What 'me too' compares of a draft: its photos' hashes, category and place tag."""
    return {
        "phashes": [p["phash"] for p in data.get("photos", []) if p.get("phash")],
        "category": data.get("category") or "",
        "source_tag": data.get("source_tag"),
    }


def matches_prompt(data: dict[str, Any], matches: list[Match]) -> tuple[str, InlineKeyboardMarkup]:
    """The open tickets like the draft: category, registered place, state; nothing else."""
    draft = data["draft_id"]
    lines = [_("<b>A similar report is already being handled:</b>")]
    rows = []
    for number, match in enumerate(matches, start=1):
        facts = [category_label(match.category)]
        if match.place:
            facts.append(html.escape(match.place))
        facts.append(state_label(match.state))
        lines.append(f"{number}. " + " · ".join(facts))
        label = _("🙋 Me too") if len(matches) == 1 else _("🙋 Me too: {number}")
        rows.append([nav_button(label.format(number=number), draft, "join", str(match.ticket_id))])
    lines += [
        "",
        _(
            "If it is the same problem, press Me too: no new report is filed, and you will be "
            "told here how it is handled. Otherwise file yours."
        ),
    ]
    rows.append([nav_button(_("📝 No, file mine"), draft, "confirm", "file")])
    rows.append(back_cancel_row(draft, "preview"))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def show_outcome(query: CallbackQuery, text: str) -> None:
    """Put `text` on the pressed panel, or in a new message if that panel is gone.

    A press can outlive its panel: pressed while the bot was down, it is handled after a
    /report that already replaced the panel with a fresh one.
    """
    message = query.message
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text)
    except TelegramBadRequest as error:
        if "not modified" in error.message:
            return  # already showing it
        await message.answer(text)


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
