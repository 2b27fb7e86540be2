"""The buttons, panels and step titles of a guided draft (`/new`, praise).

Every guided draft's buttons carry the same three fields (`draft` ties a button to one
draft, so an old panel cannot act on a new one); each flow has its own `CallbackData`
class, so their prefixes keep the flows apart, and shares how its panels are drawn.
"""

from __future__ import annotations

from typing import Protocol

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _


class DraftNavData(Protocol):
    """A flow's `CallbackData` class: built from the three fields, packed for a button."""

    def __call__(self, *, draft: str, action: str, value: str) -> _Packable: ...


class _Packable(Protocol):
    def pack(self) -> str: ...


class DraftPanels:
    """One flow's button, panel (with Cancel under it) and "Step n/N · title" helpers."""

    def __init__(self, nav: DraftNavData, total_steps: int) -> None:
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
