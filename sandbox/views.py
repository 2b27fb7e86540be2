"""What the page draws of a chat: its messages as JSON the browser script renders as is.

Each message carries its text as safe HTML (see `entities`), its photo or file as a link to
the sandbox's own file route, and its inline keyboard row by row; the chat carries the reply
keyboard currently shown, as Telegram keeps the last one sent until it is removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.views import Button, ChatMessage
from sandbox.entities import entities_html


def chat_view(name: str, seq: int, messages: Sequence[ChatMessage]) -> dict[str, Any]:
    """The chat of the phone `name` as the page shows it, up to the bot's action `seq`."""
    return {
        "seq": seq,
        "messages": [message_view(name, message) for message in messages],
        "keyboard": reply_keyboard(messages),
    }


def message_view(name: str, message: ChatMessage) -> dict[str, Any]:
    raw = message.message
    entities = raw.get("entities") or raw.get("caption_entities") or []
    photo = message.largest_photo
    document = message.document
    location = message.location
    return {
        "id": message.message_id,
        "mine": not message.from_bot,
        "html": entities_html(message.content, entities),
        "photo": file_url(name, photo.file_id) if photo else None,
        "document": (
            {"name": document.file_name or "file", "url": file_url(name, document.file_id)}
            if document
            else None
        ),
        "location": (f"{location.latitude:.5f}, {location.longitude:.5f}" if location else None),
        "contact": message.contact.phone_number if message.contact else None,
        "edited": message.edits > 0,
        "buttons": inline_rows(message) if message.from_bot else [],
    }


def inline_rows(message: ChatMessage) -> list[list[dict[str, str | None]]]:
    rows = (message.reply_markup or {}).get("inline_keyboard")
    if not isinstance(rows, list):
        return []
    return [[_button(Button.model_validate(button)) for button in row] for row in rows]


def _button(button: Button) -> dict[str, str | None]:
    return {"text": button.text, "data": button.callback_data, "url": button.url}


def reply_keyboard(messages: Sequence[ChatMessage]) -> list[list[str]]:
    """The reply keyboard on screen: the newest bot message that set or removed one (a
    one-time keyboard is gone once the user has sent something after it)."""
    answered = False
    for message in reversed(messages):
        answered = answered or not message.from_bot
        markup = message.reply_markup or {}
        if not message.from_bot or not ({"keyboard", "remove_keyboard"} & markup.keys()):
            continue
        if answered and markup.get("one_time_keyboard"):
            return []
        rows = markup.get("keyboard") or []
        return [
            [button if isinstance(button, str) else str(button.get("text", "")) for button in row]
            for row in rows
        ]
    return []


def file_url(name: str, file_id: str) -> str:
    return f"/api/{name}/files/{file_id}"


def file_ids(messages: Sequence[ChatMessage]) -> set[str]:
    """Every file a chat shows: the only ones its phone may download."""
    found = {size.file_id for message in messages for size in message.photo}
    return found | {message.document.file_id for message in messages if message.document}
