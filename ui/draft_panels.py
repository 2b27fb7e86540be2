"""The buttons, panels and step titles of a guided draft (report, `/new`, praise).

Every guided draft's buttons carry the same three fields, `DraftNav`'s (`draft` ties a
button to one draft, so an old panel cannot act on a new one); each flow subclasses it
with its own prefix, which keeps the flows apart, and shares how its panels are drawn.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

UNITS_PER_PAGE = 8


class DraftNav(CallbackData, prefix="draft"):
    """A guided draft's button; each flow subclasses it with its own prefix."""

    draft: str
    action: str
    value: str = ""


class DraftPanels:
    """One flow's button, panel (with Cancel under it) and "Step n/N · title" helpers."""

    def __init__(self, nav: type[DraftNav], total_steps: int) -> None:
        self._nav = nav
        self.total_steps = total_steps

    def button(self, text: str, draft: str, action: str, value: str = "") -> InlineKeyboardButton:
        data = self._nav(draft=draft, action=action, value=value)
        return InlineKeyboardButton(text=text, callback_data=data.pack())

    def panel(
        self, draft: str, text: str, rows: list[list[InlineKeyboardButton]]
    ) -> tuple[str, InlineKeyboardMarkup]:
        rows = [*rows, [self.button(_("✖️ Cancel"), draft, "cancel")]]
        return text, InlineKeyboardMarkup(inline_keyboard=rows)

    def step(self, number: int, title: str) -> str:
        return _("Step {step}/{total}").format(step=number, total=self.total_steps) + " · " + title

    def unit_choices(
        self, draft: str, units: Sequence[tuple[int, str]], page: int, typed: str | None
    ) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
        """The unit step's hint lines and rows: `units` (id, name) a page at a time."""
        pages = max(1, -(-len(units) // UNITS_PER_PAGE))
        page = min(max(page, 0), pages - 1)
        shown = units[page * UNITS_PER_PAGE : (page + 1) * UNITS_PER_PAGE]
        lines = [_("Pick it below, or type part of its name to search.")]
        if typed:
            lines.append(_("Units matching “{text}”:").format(text=html.escape(typed)))
        buttons = [self.button(str(name)[:40], draft, "unit", str(id_)) for id_, name in shown]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        paging = []
        if page > 0:
            paging.append(self.button(_("◀️ Previous"), draft, "unit_page", str(page - 1)))
        if page < pages - 1:
            paging.append(self.button(_("Next ▶️"), draft, "unit_page", str(page + 1)))
        if paging:
            rows.append(paging)
        return lines, rows
