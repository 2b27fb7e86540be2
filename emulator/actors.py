"""What the emulated people do: join, write, send photos and files, press buttons, block.

Every action stores a message (or a callback query) and queues the update a bot would receive
from Telegram: `message`, `edited_message`, `callback_query` or `my_chat_member`. Photos are
re-encoded like Telegram does, so the bot never sees the EXIF of a photo; documents are kept as
sent. Commands get their `bot_command` entity. Refusals are `ControlError`s, reported to the
control API's caller rather than to the bot.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from emulator import shapes
from emulator.formatting import Entity, utf16_len
from emulator.images import ImageError, renditions_off_loop
from emulator.state import CallbackRec, ChatRec, ChatType, Json, MessageRec, UserRec, World

COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![^\s])")
MAX_TEXT = 4096


class ControlError(Exception):
    """A control request that cannot be carried out."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Outgoing:
    """What a user sends, before it becomes a message."""

    content: Json
    reply_to: int | None = None
    media_group_id: str | None = None


def add_user(world: World, person: UserRec, *, open_chat: bool = True) -> UserRec:
    if person.id in world.users:
        raise ControlError(f"user {person.id} already exists", 409)
    world.users[person.id] = person
    if open_chat:
        world.private_chat(person)
    return person


def add_group(world: World, room: ChatRec) -> ChatRec:
    if room.id in world.chats:
        raise ControlError(f"chat {room.id} already exists", 409)
    unknown = [member for member in room.members if member not in world.users]
    if unknown:
        raise ControlError(f"unknown members: {unknown}", 404)
    world.chats[room.id] = room
    return room


def person(world: World, user_id: int) -> UserRec:
    found = world.users.get(user_id)
    if found is None:
        raise ControlError(f"unknown user {user_id}", 404)
    return found


def chat_of(world: World, user: UserRec, chat_id: int | None) -> ChatRec:
    """The chat a user acts in: their private chat unless another is named."""
    if chat_id is None or chat_id == user.id:
        return world.private_chat(user)
    room = world.chats.get(chat_id)
    if room is None:
        raise ControlError(f"unknown chat {chat_id}", 404)
    if user.id not in room.members:
        raise ControlError(f"user {user.id} is not a member of chat {chat_id}", 403)
    return room


def set_blocked(world: World, user: UserRec, blocked: bool) -> None:
    """Block or unblock the bot, which tells the bot with my_chat_member."""
    room = world.private_chat(user)
    if room.blocked == blocked:
        return
    room.blocked = blocked
    world.updates.push("my_chat_member", shapes.member_update(world, room, user, blocked=blocked))


def send(world: World, user: UserRec, room: ChatRec, outgoing: Outgoing) -> MessageRec:
    """Post a user's message and queue the `message` update."""
    if outgoing.reply_to is not None and outgoing.reply_to not in room.messages:
        raise ControlError(f"no message {outgoing.reply_to} to reply to in chat {room.id}")
    if room.is_private and room.blocked:
        # Writing to a blocked bot means pressing "Restart", which unblocks it.
        set_blocked(world, user, False)
    message = room.new_message(
        date=world.now(),
        sender_id=user.id,
        from_bot=False,
        content=outgoing.content,
        reply_to=outgoing.reply_to,
        media_group_id=outgoing.media_group_id,
    )
    kind = "channel_post" if room.type is ChatType.CHANNEL else "message"
    world.updates.push(kind, shapes.message(world, message))
    return message


def text_content(text: str, entities: list[Entity] | None = None) -> Json:
    """A user's text with its command entities, as Telegram's clients mark them."""
    stripped = text.strip()
    if not stripped or utf16_len(stripped) > MAX_TEXT:
        raise ControlError("text must be 1..4096 characters")
    found = entities if entities is not None else command_entities(stripped)
    return {"text": stripped, "entities": found} if found else {"text": stripped}


def command_entities(text: str) -> list[Entity]:
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in COMMAND.finditer(text)
    ]


async def photo_content(world: World, data: bytes, caption: str | None) -> Json:
    """A photo as Telegram delivers it: re-encoded sizes without metadata."""
    try:
        renditions = await renditions_off_loop(data)
    except ImageError as error:
        raise ControlError(f"not a photo Telegram would accept: {error}") from None
    sizes = [size.photo_size() for size in world.files.add_photo(renditions)]
    return {"photo": sizes, **caption_content(caption)}


def document_content(
    world: World, data: bytes, file_name: str, mime_type: str | None, caption: str | None
) -> Json:
    if not data:
        raise ControlError("a document must not be empty")
    stored = world.files.add_document(data, file_name, mime_type)
    return {"document": stored.document(), **caption_content(caption)}


def caption_content(caption: str | None) -> Json:
    if not caption or not caption.strip():
        return {}
    if utf16_len(caption.strip()) > 1024:
        raise ControlError("caption must be at most 1024 characters")
    return {"caption": caption.strip()}


def edit_text(
    world: World, user: UserRec, room: ChatRec, message_id: int, text: str
) -> MessageRec:
    """Edit a user's own text message, which the bot sees as `edited_message`."""
    message = room.messages.get(message_id)
    if message is None or message.sender_id != user.id or message.from_bot:
        raise ControlError(f"user {user.id} has no message {message_id} in chat {room.id}", 404)
    if "text" not in message.content:
        raise ControlError("only text messages can be edited")
    message.content = text_content(text)
    message.edit_date = world.now()
    message.edits += 1
    world.updates.push("edited_message", shapes.message(world, message))
    return message


def press(world: World, user: UserRec, room: ChatRec, message_id: int, data: str) -> CallbackRec:
    """Press an inline button: queue a callback_query carrying `data` (checked or not)."""
    if message_id not in room.messages:
        raise ControlError(f"no message {message_id} in chat {room.id}", 404)
    if room.is_private and room.blocked:
        raise ControlError("a user who blocked the bot cannot press its buttons", 403)
    query = CallbackRec(
        id=str(secrets.randbits(63)),
        user_id=user.id,
        chat_id=room.id,
        message_id=message_id,
        data=data,
        pressed_at=world.config.monotonic(),
    )
    world.callbacks[query.id] = query
    world.updates.push("callback_query", shapes.callback_query(world, query))
    return query


def expire_callbacks(world: World) -> int:
    """Age every unanswered press past the answer window, as if the bot had been away."""
    expired = 0
    for query in world.callbacks.values():
        if query.answer is None:
            query.pressed_at -= world.config.callback_answer_window + 1
            expired += 1
    return expired


def file_bytes(world: World, file_id: str) -> bytes:
    stored = world.files.get(file_id)
    if stored is None:
        raise ControlError(f"unknown file {file_id}", 404)
    return world.files.data(stored)
