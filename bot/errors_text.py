"""Domain error codes → messages in the user's language."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.utils.i18n import gettext as _

from tickets.errors import DomainError

_MESSAGES: dict[str, Callable[[], str]] = {
    "description_length": lambda: _(
        "The description must be {minimum}–{maximum} characters; yours has {length}."
    ),
    "unknown_category": lambda: _("Please choose a category with the buttons."),
    "too_many_photos": lambda: _("At most {maximum} photos per report."),
    "phone_required": lambda: _("A real-name report needs your phone number."),
    "reports_per_hour": lambda: _(
        "You have sent {limit} reports in the last hour. Thank you! Please wait a little "
        "before sending another one."
    ),
    "ticket_not_found": lambda: _("No report with this code."),
    "illegal_transition": lambda: _("This ticket cannot do that now (it is {state})."),
    "forbidden": lambda: _("You are not allowed to do this."),
    "stale_card": lambda: _("This card is out of date: the ticket has moved on. Refreshed."),
    "not_found": lambda: _("Not found."),
}


def error_text(error: DomainError) -> str:
    template = _MESSAGES.get(error.code)
    if template is None:
        return _("That did not work ({code}).").format(code=error.code)
    try:
        return template().format(**error.params)
    except (KeyError, IndexError):
        return template()
