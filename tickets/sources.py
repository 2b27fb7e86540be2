"""Where a report came from (来源): a citizen's own chat, or another channel staff type in.

A citizen's report arrives through their own chat (Telegram, WeChat): the source is that
channel. Reports received otherwise — the 12345 hotline, a phone call, a letter, an e-mail,
the suggestion box (意见箱), an inspector's undercover visit (暗访), someone at the counter —
are registered by staff (`tickets.intake`) and counted apart in the statistics.
"""

from __future__ import annotations

from enum import StrEnum

from tickets.errors import ValidationError
from tickets.text import one_line

# The channel of staff-registered tickets: nobody to message but the registering staff.
OFFICE = "office"
REPLY_CONTACT_MAX = 200


class IntakeSource(StrEnum):
    """Every way a report reaches the office; the first two are citizens' own chats."""

    TELEGRAM = "telegram"
    WECHAT = "wechat"
    HOTLINE_12345 = "hotline_12345"
    PHONE = "phone"
    LETTER = "letter"
    EMAIL = "email"
    SUGGESTION_BOX = "suggestion_box"
    INSPECTION = "inspection"
    WALK_IN = "walk_in"


CHAT_SOURCES = frozenset({IntakeSource.TELEGRAM, IntakeSource.WECHAT})
# In the order `/new` offers them: the busiest channel first.
STAFF_SOURCES = tuple(s for s in IntakeSource if s not in CHAT_SOURCES)


def parse_staff_source(value: str | None) -> IntakeSource | None:
    """The staff-registered source named `value`, or None (a chat is not one)."""
    try:
        source = IntakeSource(value or "")
    except ValueError:
        return None
    return source if source in STAFF_SOURCES else None


def clean_reply_contact(text: str | None) -> str | None:
    """One line of contact (a phone, an address, an e-mail), or None when none was given."""
    contact = one_line(text)
    if len(contact) > REPLY_CONTACT_MAX:
        raise ValidationError("reply_contact_too_long", maximum=REPLY_CONTACT_MAX)
    return contact or None
