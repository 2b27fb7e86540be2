"""Checks the keyboards a bot attaches to its messages, with Telegram's refusals.

Inline buttons need exactly one action, and callback data is 1..64 bytes: a bot that packs too
much into a button learns it from `BUTTON_DATA_INVALID`, not from a silent truncation. Reply
keyboards, keyboard removal and force-reply are accepted as they are; only inline keyboards are
echoed back inside the Message, as in the Bot API.
"""

from __future__ import annotations

from typing import cast

from emulator.errors import bad_request

Markup = dict[str, object]
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "web_app",
    "callback_game",
    "pay",
)
MAX_CALLBACK_BYTES = 64


def check_markup(value: object, *, inline_only: bool = False) -> Markup | None:
    """Validate a reply_markup object and return it, or None when there is none."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    markup = cast(Markup, value)
    if "inline_keyboard" in markup:
        _check_inline(markup["inline_keyboard"])
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"])
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def inline_part(markup: Markup | None) -> Markup | None:
    """The part of a markup that Telegram echoes back in the Message."""
    if markup is not None and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _rows(value: object, what: str) -> list[list[object]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise bad_request(f'can\'t parse {what}: field "{what}" must be an Array')
    return cast(list[list[object]], value)


def _check_inline(value: object) -> None:
    for row in _rows(value, "inline keyboard"):
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: object) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a String")
    actions = [name for name in INLINE_ACTIONS if name in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if "callback_data" in button and (
        not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if "url" in button and (not isinstance(url, str) or not _looks_like_url(url)):
        raise bad_request("BUTTON_URL_INVALID")


def _check_reply_keyboard(value: object) -> None:
    for row in _rows(value, "keyboard"):
        for button in row:
            if isinstance(button, str):
                continue
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse keyboard button: Text must be a String")


def _looks_like_url(url: str) -> bool:
    return url.startswith(("http://", "https://", "tg://")) and len(url) > len("tg://")
