"""Typed views of the emulator's chats, shared by the control API and its client.

The server builds these models and sends them as JSON; `EmulatorClient` parses the same models
back, so the two sides cannot drift apart. A `ChatMessage` is a transcript entry: the message as
a user's phone shows it (text or caption, media, keyboard as the bot sent it, number of edits)
plus the raw Bot API JSON the bot itself sees.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class PhotoSize(View):
    file_id: str
    file_unique_id: str
    width: int
    height: int
    file_size: int | None = None


class Document(View):
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None


class Location(View):
    latitude: float
    longitude: float
    horizontal_accuracy: float | None = None


class Contact(View):
    phone_number: str
    first_name: str
    last_name: str | None = None
    user_id: int | None = None


class Button(View):
    """A keyboard button, inline or reply, with what pressing it does."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    request_contact: bool = False
    request_location: bool = False


class ChatMessage(View):
    """One message of a chat, as its transcript shows it."""

    message_id: int
    chat_id: int
    from_bot: bool
    sender_id: int | None = None
    date: int
    text: str | None = None
    caption: str | None = None
    source: str | None = None
    photo: list[PhotoSize] = []
    document: Document | None = None
    location: Location | None = None
    contact: Contact | None = None
    media_group_id: str | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edits: int = 0
    message: dict[str, Any] = {}

    @property
    def content(self) -> str:
        """The text, or the caption of a media message ("" when neither)."""
        return self.text if self.text is not None else self.caption or ""

    @property
    def inline_buttons(self) -> list[Button]:
        return _buttons(self.reply_markup, "inline_keyboard")

    @property
    def keyboard_buttons(self) -> list[Button]:
        return _buttons(self.reply_markup, "keyboard")

    @property
    def largest_photo(self) -> PhotoSize | None:
        return max(self.photo, key=lambda size: size.width * size.height, default=None)

    def describe(self) -> str:
        """A one-line summary for assertion messages."""
        kind = "photo" if self.photo else "document" if self.document else "message"
        buttons = [b.text for b in self.inline_buttons + self.keyboard_buttons]
        suffix = f" buttons={buttons}" if buttons else ""
        return f"#{self.message_id} {kind} {self.content!r}{suffix}"


class BotAction(View):
    """Something the bot did to a chat, numbered in the chat's event sequence."""

    seq: int
    kind: Literal["send", "edit", "delete"]
    chat_id: int
    message_id: int
    message: ChatMessage


class CallbackAnswer(View):
    """What the bot answered to a button press (if it answered in time)."""

    callback_query_id: str
    answered: bool
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


class UserInfo(View):
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class ChatInfo(View):
    id: int
    type: Literal["private", "group", "supergroup", "channel"]
    title: str | None = None
    username: str | None = None
    last_seq: int = 0
    blocked: bool = False


class EmulatorStats(View):
    """Totals since start or reset; limit violations are 429s the rate limits sent."""

    requests: dict[str, int]
    errors: dict[str, int]
    faults: dict[str, int]
    too_many_requests: int
    limit_violations: int
    limit_violations_by_scope: dict[str, int]


def _buttons(markup: dict[str, Any] | None, key: str) -> list[Button]:
    if not markup or not isinstance(markup.get(key), list):
        return []
    return [
        Button(text=button) if isinstance(button, str) else Button.model_validate(button)
        for row in markup[key]
        for button in row
    ]
