"""Reply templates as people read them: the values filling a template, the buttons offering
templates to a supervisor, and the lists and help administrators edit them with.

A template is written in one language, as a supervisor would type it, so the category and
the finding fill it in the template's own language: Chinese when its body has Chinese
characters, else English. The reporter reads the result as it stands.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from tickets.categories import N_
from tickets.reply_templates import PLACEHOLDERS, Purpose, ReplyTemplate, render
from tickets.views import TicketView
from ui.categories import current_categories
from ui.keyboards import DataInt
from ui.render import finding_label

# A list message stays within Telegram's 4096 characters: texts are previews.
PREVIEW_MAX = 120
MESSAGE_MAX = 4000
PURPOSE_NAMES = {
    Purpose.RESOLVE: N_("Official reply"),
    Purpose.REJECT: N_("Reason for rejecting"),
    Purpose.ASK: N_("Question to the reporter"),
}
PLACEHOLDER_NAMES = {
    "code": N_("the tracking code"),
    "category": N_("the category"),
    "place": N_("the place reported"),
    "department": N_("the handling department"),
    "date": N_("the day the report was filed"),
    "finding": N_("the finding (official replies only)"),
}


class TemplatePick(CallbackData, prefix="tpk"):
    """A template pressed while writing a reply, a reason or a question."""

    ticket_id: DataInt
    template_id: DataInt


def purpose_label(purpose: str) -> str:
    return _(PURPOSE_NAMES[Purpose(purpose)]) if purpose in set(Purpose) else purpose


def is_chinese(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def filing_day(ticket: TicketView, tz: ZoneInfo, *, chinese: bool) -> str:
    day = ticket.created_at.astimezone(tz).date()
    return f"{day.year}年{day.month}月{day.day}日" if chinese else day.isoformat()


def template_values(
    ticket: TicketView, tz: ZoneInfo, *, body: str, finding: str | None = None
) -> dict[str, str]:
    """What each placeholder stands for on `ticket`, in the language of `body`."""
    chinese = is_chinese(body)
    locale = "zh_CN" if chinese else "en"
    with get_i18n().use_locale(locale):
        shown_finding = finding_label(finding) if finding else ""
    return {
        "code": ticket.code,
        "category": current_categories().label(ticket.category, locale),
        "place": ticket.place_text or "—",
        "department": ticket.department_name,
        "date": filing_day(ticket, tz, chinese=chinese),
        "finding": shown_finding,
    }


def filled(
    template: ReplyTemplate, ticket: TicketView, tz: ZoneInfo, *, finding: str | None = None
) -> str:
    """The template's text with its placeholders filled from `ticket` (chat and console)."""
    return render(template.body, template_values(ticket, tz, body=template.body, finding=finding))


def template_keyboard(
    ticket_id: int, templates: Iterable[ReplyTemplate]
) -> InlineKeyboardMarkup | None:
    """One button per template offered, or None when there is none."""
    rows = [
        [
            InlineKeyboardButton(
                text="📝 " + t.title,
                callback_data=TemplatePick(ticket_id=ticket_id, template_id=t.id).pack(),
            )
        ]
        for t in templates
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def placeholder_help() -> str:
    """The placeholders a body may use, one a line (HTML)."""
    lines = [_("Placeholders, filled from the ticket when the template is used:")]
    lines += [f"<code>{{{name}}}</code> — {_(PLACEHOLDER_NAMES[name])}" for name in PLACEHOLDERS]
    lines.append(_("Write {{ and }} for a literal brace.").format())
    return "\n".join(lines)


def scope_text(template: ReplyTemplate) -> str:
    """Where a template is offered: its step, its category and its finding (plain text)."""
    category = (
        current_categories().label(template.category, get_i18n().current_locale)
        if template.category
        else _("any category")
    )
    parts = [purpose_label(template.purpose), category]
    if template.purpose is Purpose.RESOLVE:
        parts.append(finding_label(template.finding) if template.finding else _("any finding"))
    return " · ".join(parts)


def list_text(templates: Iterable[ReplyTemplate]) -> str:
    """The `/templates` list (HTML); texts shortened, or left out if the list grows long."""
    listed = list(templates)
    text = _list_text(listed, preview=PREVIEW_MAX)
    return text if len(text) <= MESSAGE_MAX else _list_text(listed, preview=0)


def _list_text(templates: list[ReplyTemplate], *, preview: int) -> str:
    lines = [_("<b>Reply templates</b>")]
    for t in templates:
        retired = " · " + _("retired") if not t.active else ""
        lines.append(
            f"\n<b>#{t.id} {html.escape(t.title)}</b> · {html.escape(scope_text(t))}{retired}"
        )
        if preview:
            body = t.body if len(t.body) <= preview else t.body[: preview - 1] + "…"
            lines.append(html.escape(body))
    lines.append("\n" + _("A supervisor is offered the active ones that fit the ticket."))
    return "\n".join(lines)
