"""Administrators edit the misconduct categories in chat: `/categories` lists them with
buttons to add one (slug, then Chinese label, then English label), rename one (both labels)
and retire or restore one.

```mermaid
stateDiagram-v2
  [*] --> list: /categories
  list --> typing_slug: ➕ Add
  typing_slug --> typing_zh: a free slug
  list --> typing_zh: ✏️ Rename
  typing_zh --> typing_en: a label
  typing_en --> list: a label (added or renamed)
  list --> list: 🗄 Retire / ♻️ Restore
```
A retired category is no longer offered to new reports; its old tickets keep their label
and statistics still count them. Every change is audited as a configuration change
(`handlers.changes.audited`), like the other settings.
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
from tickets.categories import Categories, Category, clean_label, clean_slug
from tickets.category_admin import add_category, rename_category, set_retired
from tickets.changes import Change
from tickets.errors import ValidationError
from tickets.ports import UpdateWorkspace
from ui.categories import current_categories, current_locale, remember

router = Blueprint(__name__)  # built per Dispatcher by handlers.get_routers()
router.message.middleware(AccessMiddleware())
router.callback_query.middleware(AccessMiddleware())


class CategoryEdit(CallbackData, prefix="cat"):
    """A button of the `/categories` list: add, rename, retire or restore."""

    action: str
    slug: str = ""


class CategoryForm(StatesGroup):
    typing_slug = State()
    typing_zh = State()
    typing_en = State()


def list_text(categories: Categories) -> str:
    lines = [_("<b>Categories</b> (slug · 中文 · English)")]
    for c in categories:
        retired = " · " + _("retired") if c.retired else ""
        lines.append(f"<code>{c.slug}</code> · {html.escape(c.zh)} · {html.escape(c.en)}{retired}")
    lines.append(_("A retired category is not offered to new reports; old tickets keep it."))
    return "\n".join(lines)


def list_keyboard(categories: Categories) -> InlineKeyboardMarkup:
    locale = current_locale()
    rows = [
        [
            InlineKeyboardButton(
                text="✏️ " + c.label(locale),
                callback_data=CategoryEdit(action="rename", slug=c.slug).pack(),
            ),
            InlineKeyboardButton(
                text=(_("♻️ Restore {slug}") if c.retired else _("🗄 Retire {slug}")).format(
                    slug=c.slug
                ),
                callback_data=CategoryEdit(
                    action="restore" if c.retired else "retire", slug=c.slug
                ).pack(),
            ),
        ]
        for c in categories
    ]
    add = CategoryEdit(action="add").pack()
    rows.append([InlineKeyboardButton(text=_("➕ Add a category"), callback_data=add)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def show_list(message: Message, ws: UpdateWorkspace, note: str = "") -> None:
    """The table as it now stands (re-read: this update may just have changed it)."""
    categories = await ws.categories.list_categories()
    remember(categories)
    text = (note + "\n\n" if note else "") + list_text(categories)
    await message.answer(text, reply_markup=list_keyboard(categories))


@router.message(Command("categories"), in_private, flags=ADMIN)
async def categories(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    await state.clear()
    await show_list(message, ws)


@router.callback_query(CategoryEdit.filter(F.action == "add"), flags=ADMIN)
async def on_add(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.set_state(CategoryForm.typing_slug)
    await state.set_data({})
    if isinstance(query.message, Message):
        await query.message.answer(
            _("New category: its slug, as stored (Latin letters, digits, _), e.g. permits")
        )


@router.callback_query(CategoryEdit.filter(F.action == "rename"), flags=ADMIN)
async def on_rename(query: CallbackQuery, callback_data: CategoryEdit, state: FSMContext) -> None:
    category = current_categories().get(callback_data.slug)
    if category is None or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer active."), show_alert=True)
        return
    await query.answer()
    await state.set_state(CategoryForm.typing_zh)
    await state.set_data({"slug": category.slug, "renaming": True})
    await query.message.answer(zh_prompt(category))


@router.callback_query(CategoryEdit.filter(F.action.in_({"retire", "restore"})), flags=ADMIN)
async def on_retire(
    query: CallbackQuery,
    callback_data: CategoryEdit,
    ws: UpdateWorkspace,
    actor: Actor,
) -> None:
    retired = callback_data.action == "retire"
    category = await set_retired(ws.categories, actor, slug=callback_data.slug, retired=retired)
    change = Change.CATEGORY_RETIRE if retired else Change.CATEGORY_RESTORE
    await audited(ws, actor, change, category.slug)
    await query.answer()
    if isinstance(query.message, Message):
        done = _("🗄 Retired: {label}") if retired else _("♻️ Restored: {label}")
        note = done.format(label=html.escape(category.label(current_locale())))
        await show_list(query.message, ws, note)


def zh_prompt(category: Category | None) -> str:
    if category is None:
        return _("Its label in Chinese, as citizens will see it:")
    text = _("New Chinese label for {slug} (now: {label}):")
    return text.format(slug=category.slug, label=html.escape(category.zh))


@router.message(CategoryForm.typing_slug, F.text, ~F.text.startswith("/"), flags=ADMIN)
async def take_slug(message: Message, state: FSMContext) -> None:
    with refusing(logged=()):  # the step stays: the admin types another
        slug = clean_slug(message.text or "")
        if current_categories().get(slug) is not None:
            raise ValidationError("category_exists", slug=slug)
    await state.update_data(slug=slug)
    await state.set_state(CategoryForm.typing_zh)
    await message.answer(zh_prompt(None))


@router.message(CategoryForm.typing_zh, F.text, ~F.text.startswith("/"), flags=ADMIN)
async def take_zh(message: Message, state: FSMContext) -> None:
    with refusing(logged=()):
        zh = clean_label(message.text or "")
    await state.update_data(zh=zh)
    await state.set_state(CategoryForm.typing_en)
    await message.answer(_("And its label in English:"))


@router.message(CategoryForm.typing_en, F.text, ~F.text.startswith("/"), flags=ADMIN)
async def take_en(message: Message, state: FSMContext, ws: UpdateWorkspace, actor: Actor) -> None:
    data = await state.get_data()
    with refusing(logged=()):
        en = clean_label(message.text or "")
    change = rename_category if data.get("renaming") else add_category
    category = await change(ws.categories, actor, slug=data["slug"], zh=data["zh"], en=en)
    renamed = Change.CATEGORY_RENAME if data.get("renaming") else Change.CATEGORY_ADD
    await audited(ws, actor, renamed, category.slug)
    await state.clear()
    note = _("✅ Saved: {label}").format(label=html.escape(category.label(current_locale())))
    await show_list(message, ws, note)


@router.message(StateFilter(CategoryForm), flags=ADMIN)
async def not_text(message: Message) -> None:
    await message.answer(_("Please type it as text, or /cancel."))


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
