"""The Bot API methods that change or delete messages already sent.

Edits are not rate limited, but they are checked like Telegram checks them: only the bot's own
messages, text edits only on text messages and caption edits only on media, and an edit that
changes nothing fails with "message is not modified" (bots that re-render the same screen after
a button press hit this in production). An edit without `reply_markup` removes the inline
keyboard, as in Telegram. Every change is logged in the chat's event sequence. A message older
than 48 hours can no longer be deleted, as in Telegram.
"""

from __future__ import annotations

from emulator import shapes
from emulator.errors import bad_request, forbidden
from emulator.markup import check_markup, inline_part
from emulator.params import Params
from emulator.sending import Method, caption_content, target_chat, text_content
from emulator.state import ChatRec, ChatType, EventKind, Json, MessageRec, World

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
MEDIA_FIELDS = ("photo", "document")
# Telegram deletes a message for a bot only within 48 hours of its sending.
DELETE_WINDOW = 48 * 3600


def _editable(world: World, params: Params) -> tuple[ChatRec, MessageRec]:
    if "inline_message_id" in params:
        # Inline mode is not emulated, so no inline message can exist.
        raise bad_request("MESSAGE_ID_INVALID")
    chat = target_chat(world, params)
    if chat.is_private and chat.blocked:
        raise forbidden("bot was blocked by the user")
    message_id = params.need_integer("message_id", "message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def _apply(
    world: World,
    chat: ChatRec,
    message: MessageRec,
    content: Json,
    markup: Json | None,
    *,
    source: str | None,
    dated: bool = True,
) -> object:
    """Replace content and keyboard, unless nothing would change."""
    if content == message.content and inline_part(markup) == inline_part(message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    message.content = content
    message.reply_markup = markup
    message.source = source
    message.edits += 1
    if dated:
        message.edit_date = world.now()
    chat.record(EventKind.EDIT, message)
    return shapes.message(world, message)


async def edit_message_text(world: World, params: Params) -> object:
    chat, message = _editable(world, params)
    if "text" not in message.content:
        raise bad_request("there is no text in the message to edit")
    content, source = text_content(world, params)
    markup = check_markup(params.json("reply_markup"), inline_only=True)
    return _apply(world, chat, message, content, markup, source=source)


async def edit_message_caption(world: World, params: Params) -> object:
    chat, message = _editable(world, params)
    if not any(field in message.content for field in MEDIA_FIELDS):
        raise bad_request("there is no caption in the message to edit")
    caption, source = caption_content(world, params)
    media = {k: v for k, v in message.content.items() if k in MEDIA_FIELDS}
    markup = check_markup(params.json("reply_markup"), inline_only=True)
    return _apply(world, chat, message, media | caption, markup, source=source)


async def edit_message_reply_markup(world: World, params: Params) -> object:
    chat, message = _editable(world, params)
    markup = check_markup(params.json("reply_markup"), inline_only=True)
    content = dict(message.content)
    return _apply(world, chat, message, content, markup, source=message.source, dated=False)


async def delete_message(world: World, params: Params) -> object:
    chat = target_chat(world, params)
    message_id = params.need_integer("message_id", "message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to delete not found")
    if not _may_delete(chat, message) or world.now() - message.date >= DELETE_WINDOW:
        raise bad_request("message can't be deleted")
    del chat.messages[message_id]
    chat.record(EventKind.DELETE, message)
    return True


def _may_delete(chat: ChatRec, message: MessageRec) -> bool:
    if chat.type is ChatType.PRIVATE or message.from_bot:
        return True
    return chat.bot_is_admin


METHODS: dict[str, Method] = {
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
}
