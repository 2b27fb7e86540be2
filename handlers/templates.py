"""Administrators edit the reply templates in chat: `/templates` lists them with buttons to
add one (its step, category and finding by buttons, then its title and text typed), edit
one (title and text) and retire or restore one.

```mermaid
stateDiagram-v2
  [*] --> list: /templates
  list --> choosing_purpose: ➕ Add
  choosing_purpose --> choosing_category: reply / reason / question
  choosing_category --> choosing_finding: a category (official reply)
  choosing_category --> typing_title: a category (reason, question)
  choosing_finding --> typing_title: a finding, or any
  list --> typing_title: ✏️ Edit
  typing_title --> typing_body: a title
  typing_body --> list: a text whose placeholders are all known (added or edited)
  list --> list: 🗄 Retire / ♻️ Restore
```
Nothing is stored before the last step, and a text with an unknown placeholder or a lone
brace is refused there (the step stays). Every change is audited as a configuration change
(`handlers.changes.audited`), like the other settings. Supervisors meet the templates in
`handlers.supervisor`, as buttons under the prompt for a reply, a reason or a question.
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from handlers.access import ADMIN, AccessMiddleware, in_private
from handlers.changes import audited
from handlers.errors import refusing
from handlers.routing import Blueprint
from tickets.actors import Actor
from tickets.changes import Change
from tickets.findings import Finding
from tickets.ports import UpdateWorkspace
from tickets.reply_templates import Purpose, ReplyTemplate, clean_title, parse_purpose
from tickets.template_admin import add_template, edit_template, known, set_active
from ui.categories import current_categories, current_locale
from ui.render import finding_label
from ui.reply_templates import list_text, placeholder_help, purpose_label

router = Blueprint(__name__)  # built per Dispatcher by handlers.get_routers()
router.message.middleware(AccessMiddleware())
router.callback_query.middleware(AccessMiddleware())


class TemplateEdit(CallbackData, prefix="tpl"):
    """A button of `/templates`: add, edit, retire, restore, or a choice while adding."""

    action: str
    template_id: int = 0
    value: str = ""


class TemplateForm(StatesGroup):
    choosing_purpose = State()
    choosing_category = State()
    choosing_finding = State()
    typing_title = State()
    typing_body = State()


def button(text: str, action: str, template_id: int = 0, value: str = "") -> InlineKeyboardButton:
    data = TemplateEdit(action=action, template_id=template_id, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def list_keyboard(templates: list[ReplyTemplate]) -> InlineKeyboardMarkup:
    rows = [
        [
            button(_("✏️ Edit #{id}").format(id=t.id), "edit", t.id),
            button(
                (_("🗄 Retire #{id}") if t.active else _("♻️ Restore #{id}")).format(id=t.id),
                "retire" if t.active else "restore",
                t.id,
            ),
        ]
        for t in templates
    ]
    rows.append([button(_("➕ Add a template"), "add")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def show_list(message: Message, ws: UpdateWorkspace, note: str = "") -> None:
    """The templates as they now stand (re-read: this update may just have changed them)."""
    templates = await ws.templates.list_templates()
    text = (note + "\n\n" if note else "") + list_text(templates)
    await message.answer(text, reply_markup=list_keyboard(templates))


@router.message(Command("templates"), in_private, flags=ADMIN)
async def templates(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    await state.clear()
    await show_list(message, ws)


async def in_step(query: CallbackQuery, state: FSMContext, step: State) -> bool:
    """Whether the press belongs to the step the admin is in; else it is answered as spent."""
    if await state.get_state() != step.state or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer active."), show_alert=True)
        return False
    await query.answer()
    return True


@router.callback_query(TemplateEdit.filter(F.action == "add"), flags=ADMIN)
async def on_add(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.set_state(TemplateForm.choosing_purpose)
    await state.set_data({})
    rows = [[button(purpose_label(p), "purpose", value=p)] for p in Purpose]
    if isinstance(query.message, Message):
        await query.message.answer(
            _("New template: where is it offered?"),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        )


@router.callback_query(TemplateEdit.filter(F.action == "purpose"), flags=ADMIN)
async def on_purpose(query: CallbackQuery, callback_data: TemplateEdit, state: FSMContext) -> None:
    if not await in_step(query, state, TemplateForm.choosing_purpose):
        return
    purpose = parse_purpose(callback_data.value)
    await state.update_data(purpose=str(purpose))
    await state.set_state(TemplateForm.choosing_category)
    locale = current_locale()
    choices = [button(_("Any category"), "category")] + [
        button(c.label(locale), "category", value=c.slug) for c in current_categories().offered()
    ]
    rows = [choices[i : i + 2] for i in range(0, len(choices), 2)]
    assert isinstance(query.message, Message)
    await query.message.edit_text(
        _("{purpose}: for reports of which category?").format(purpose=purpose_label(purpose)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


@router.callback_query(TemplateEdit.filter(F.action == "category"), flags=ADMIN)
async def on_category(
    query: CallbackQuery, callback_data: TemplateEdit, state: FSMContext
) -> None:
    if not await in_step(query, state, TemplateForm.choosing_category):
        return
    data = await state.update_data(category=callback_data.value)
    assert isinstance(query.message, Message)
    if data["purpose"] != Purpose.RESOLVE:
        await ask_title(query.message, state, None)
        return
    await state.set_state(TemplateForm.choosing_finding)
    rows = [[button(_("Any finding"), "finding")]] + [
        [button(finding_label(f), "finding", value=f)] for f in Finding
    ]
    await query.message.edit_text(
        _("For which finding?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


@router.callback_query(TemplateEdit.filter(F.action == "finding"), flags=ADMIN)
async def on_finding(query: CallbackQuery, callback_data: TemplateEdit, state: FSMContext) -> None:
    if not await in_step(query, state, TemplateForm.choosing_finding):
        return
    await state.update_data(finding=callback_data.value)
    assert isinstance(query.message, Message)
    await ask_title(query.message, state, None)


@router.callback_query(TemplateEdit.filter(F.action == "edit"), flags=ADMIN)
async def on_edit(
    query: CallbackQuery, callback_data: TemplateEdit, state: FSMContext, ws: UpdateWorkspace
) -> None:
    template = await known(ws.templates, callback_data.template_id)
    await query.answer()
    await state.set_data({"template_id": template.id})
    if isinstance(query.message, Message):
        await ask_title(query.message, state, template)


async def ask_title(message: Message, state: FSMContext, template: ReplyTemplate | None) -> None:
    await state.set_state(TemplateForm.typing_title)
    if template is None:
        text = _("Its title, as the button shows it (at most 32 characters):")
    else:
        text = _("New title for #{id} (now: {title}):").format(
            id=template.id, title=html.escape(template.title)
        )
    await message.answer(text)


@router.callback_query(TemplateEdit.filter(F.action.in_({"retire", "restore"})), flags=ADMIN)
async def on_retire(
    query: CallbackQuery, callback_data: TemplateEdit, ws: UpdateWorkspace, actor: Actor
) -> None:
    active = callback_data.action == "restore"
    template = await set_active(
        ws.templates, actor, template_id=callback_data.template_id, active=active
    )
    change = Change.TEMPLATE_RESTORE if active else Change.TEMPLATE_RETIRE
    await audited(ws, actor, change, f"#{template.id} {template.title}")
    await query.answer()
    if isinstance(query.message, Message):
        done = _("♻️ Restored: {title}") if active else _("🗄 Retired: {title}")
        await show_list(query.message, ws, done.format(title=html.escape(template.title)))


@router.message(TemplateForm.typing_title, F.text, ~F.text.startswith("/"), flags=ADMIN)
async def take_title(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    with refusing(logged=()):  # the step stays: the admin types another
        title = clean_title(message.text or "")
    data = await state.update_data(title=title)
    await state.set_state(TemplateForm.typing_body)
    if "template_id" in data:
        template = await known(ws.templates, int(data["template_id"]))
        prompt = _("New text for #{id}. Now:").format(id=template.id)
        prompt += "\n" + html.escape(template.body)
    else:
        prompt = _("And its text, as the reporter will read it:")
    await message.answer(prompt + "\n\n" + placeholder_help())


@router.message(TemplateForm.typing_body, F.text, ~F.text.startswith("/"), flags=ADMIN)
async def take_body(
    message: Message, state: FSMContext, ws: UpdateWorkspace, actor: Actor
) -> None:
    data = await state.get_data()
    body = message.text or ""
    with refusing(retry_hint="\n" + _("Type the text again, or /cancel.")):
        if "template_id" in data:
            template = await edit_template(
                ws.templates,
                actor,
                template_id=int(data["template_id"]),
                title=data["title"],
                body=body,
            )
            change = Change.TEMPLATE_EDIT
        else:
            template = await add_template(
                ws.templates,
                actor,
                title=data["title"],
                body=body,
                purpose=data["purpose"],
                category=data.get("category") or None,
                finding=data.get("finding") or None,
                categories=current_categories(),
            )
            change = Change.TEMPLATE_ADD
    await audited(ws, actor, change, f"#{template.id} {template.title}")
    await state.clear()
    note = _("✅ Saved: {title}").format(title=html.escape(template.title))
    await show_list(message, ws, note)


@router.message(
    StateFilter(
        TemplateForm.choosing_purpose,
        TemplateForm.choosing_category,
        TemplateForm.choosing_finding,
    ),
    flags=ADMIN,
)
async def buttons_expected(message: Message) -> None:
    await message.answer(_("Please choose with the buttons, or /cancel."))


@router.message(StateFilter(TemplateForm), flags=ADMIN)
async def not_text(message: Message) -> None:
    await message.answer(_("Please type it as text, or /cancel."))


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
