"""Builds the Bot API's JSON objects from the emulator's records, field for field.

Bots parse these with strict models (aiogram uses pydantic), so the shapes follow the Bot API
documentation: optional fields are left out rather than null, a Message's `reply_markup` is only
ever an inline keyboard, a reply carries its original one level deep, and getChat returns the
ChatFullInfo fields that are required.
"""

from __future__ import annotations

from emulator.config import BotIdentity
from emulator.markup import inline_part
from emulator.state import CallbackRec, ChatRec, ChatType, Json, MessageRec, UserRec, World


def compact(fields: dict[str, object]) -> Json:
    """Leave out absent optional fields, as Telegram does."""
    return {key: value for key, value in fields.items() if value is not None}


def user(record: UserRec) -> Json:
    return compact(
        {
            "id": record.id,
            "is_bot": False,
            "first_name": record.first_name,
            "last_name": record.last_name,
            "username": record.username,
            "language_code": record.language_code,
        }
    )


def bot_user(bot: BotIdentity) -> Json:
    return {"id": bot.id, "is_bot": True, "first_name": bot.first_name, "username": bot.username}


def me(bot: BotIdentity) -> Json:
    """getMe's User, with the fields only a bot's own User carries."""
    return {
        **bot_user(bot),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def chat(world: World, record: ChatRec) -> Json:
    if record.type is ChatType.PRIVATE:
        person = world.users.get(record.user_id or record.id)
        return compact(
            {
                "id": record.id,
                "type": "private",
                "first_name": person.first_name if person else "",
                "last_name": person.last_name if person else None,
                "username": person.username if person else None,
            }
        )
    return compact(
        {
            "id": record.id,
            "type": record.type.value,
            "title": record.title,
            "username": record.username,
        }
    )


def chat_full(world: World, record: ChatRec) -> Json:
    """getChat's ChatFullInfo."""
    return {
        **chat(world, record),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def sender(world: World, record: MessageRec) -> Json | None:
    if record.sender_id is None:
        return None
    if record.from_bot:
        return bot_user(world.bot)
    person = world.users.get(record.sender_id)
    return user(person) if person else None


def message(world: World, record: MessageRec, *, with_reply: bool = True) -> Json:
    room = world.chats[record.chat_id]
    reply = room.messages.get(record.reply_to) if record.reply_to and with_reply else None
    channel_post = room.type is ChatType.CHANNEL
    return compact(
        {
            "message_id": record.message_id,
            "from": None if channel_post else sender(world, record),
            "sender_chat": chat(world, room) if channel_post else None,
            "chat": chat(world, room),
            "date": record.date,
            "edit_date": record.edit_date,
            "media_group_id": record.media_group_id,
            "forward_origin": record.forward_origin,
            "reply_to_message": message(world, reply, with_reply=False) if reply else None,
            **record.content,
            "reply_markup": inline_part(record.reply_markup),
        }
    )


def callback_query(world: World, record: CallbackRec) -> Json:
    room = world.chats[record.chat_id]
    shown = room.messages.get(record.message_id)
    return compact(
        {
            "id": record.id,
            "from": user(world.users[record.user_id]),
            "message": message(world, shown) if shown else None,
            "chat_instance": room.instance,
            "data": record.data,
        }
    )


def member_update(world: World, room: ChatRec, person: UserRec, *, blocked: bool) -> Json:
    """my_chat_member: the user blocked (kicked) or unblocked the bot."""
    member: Json = {"status": "member"}
    kicked: Json = {"status": "kicked", "until_date": 0}
    old, new = (member, kicked) if blocked else (kicked, member)
    return {
        "chat": chat(world, room),
        "from": user(person),
        "date": world.now(),
        "old_chat_member": {**old, "user": bot_user(world.bot)},
        "new_chat_member": {**new, "user": bot_user(world.bot)},
    }


def webhook_info(world: World) -> Json:
    hook = world.webhook
    if hook is None:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(world.updates),
        }
    return compact(
        {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(world.updates),
            "ip_address": hook.ip_address,
            "last_error_date": hook.last_error_date,
            "last_error_message": hook.last_error_message,
            "max_connections": hook.max_connections,
            "allowed_updates": hook.allowed_updates,
        }
    )
