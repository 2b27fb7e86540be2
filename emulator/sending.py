"""The Bot API methods that send messages, and the checks every sent message goes through.

Each method resolves the chat (unknown, blocked, not a member: 400/403 as Telegram), parses
and measures the text or caption, validates the keyboard and the reply target, and only then
pays the rate limits, so that a refused call costs nothing. A sent message is stored, logged in
the chat's event sequence for the control API, and returned in the Bot API's Message shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from emulator import media, shapes
from emulator.errors import ApiError, bad_request, forbidden, too_many_requests
from emulator.formatting import Entity, FormattedText, parse_html, trim, utf16_len
from emulator.markup import check_markup
from emulator.params import Params, Upload
from emulator.state import ChatRec, ChatType, EventKind, Json, MessageRec, World

Method = Callable[[World, Params], Awaitable[object]]
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_ALBUM = 10
NOT_A_MEMBER = {
    ChatType.GROUP: "bot is not a member of the group chat",
    ChatType.SUPERGROUP: "bot is not a member of the supergroup chat",
    ChatType.CHANNEL: "bot is not a member of the channel chat",
}


def target_chat(world: World, params: Params, name: str = "chat_id") -> ChatRec:
    """The chat a call names, or Telegram's refusal to know it."""
    reference = params.chat_id(name)
    chat = world.find_chat(reference)
    if chat is None:
        if isinstance(reference, int) and reference in world.users:
            raise forbidden("bot can't initiate conversation with a user")
        raise bad_request("chat not found")
    return chat


def writable_chat(world: World, params: Params, name: str = "chat_id") -> ChatRec:
    """A chat the bot may post to right now."""
    chat = target_chat(world, params, name)
    if chat.is_private and chat.blocked:
        raise forbidden("bot was blocked by the user")
    if not chat.is_private and not chat.bot_member:
        raise forbidden(NOT_A_MEMBER[chat.type])
    return chat


def formatted(
    world: World, params: Params, field: str, entities_field: str, parse_mode: str = "parse_mode"
) -> tuple[FormattedText, str]:
    """The text or caption of a call as Telegram stores it, and as the bot wrote it."""
    source = params.text(field) or ""
    mode = (params.text(parse_mode) or "").lower()
    if mode == "html":
        result = parse_html(source)
    elif mode in ("", "markdown", "markdownv2"):
        # Markdown is passed through unparsed: the bot under test only uses HTML.
        result = trim(FormattedText(source, _given_entities(params, entities_field)))
    else:
        raise bad_request("unsupported parse_mode")
    result.entities = [_with_user(world, entity) for entity in result.entities]
    return result, source


def text_content(world: World, params: Params) -> tuple[Json, str]:
    result, source = formatted(world, params, "text", "entities")
    if not result.text:
        raise bad_request("message text is empty")
    if utf16_len(result.text) > MAX_TEXT:
        raise bad_request("message is too long")
    return _with_entities("text", result), source


def caption_content(world: World, params: Params) -> tuple[Json, str | None]:
    result, source = formatted(world, params, "caption", "caption_entities")
    if utf16_len(result.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    if not result.text:
        return {}, None
    return _with_entities("caption", result), source


def reply_target(chat: ChatRec, params: Params) -> int | None:
    """The message a call replies to, from reply_parameters or the older reply_to_message_id."""
    message_id = params.integer("reply_to_message_id")
    allow_missing = params.flag("allow_sending_without_reply")
    reply = params.json("reply_parameters", "can't parse reply parameters JSON object")
    if isinstance(reply, dict):
        nested = params.nested(cast(Json, reply))
        message_id = nested.integer("message_id")
        allow_missing = nested.flag("allow_sending_without_reply")
    if message_id is None or message_id in chat.messages:
        return message_id
    if allow_missing:
        return None
    raise bad_request("message to be replied not found")


def charge(world: World, chat: ChatRec, count: int = 1) -> None:
    """Pay the rate limits for `count` messages, or refuse with 429."""
    refusal = world.limiter.acquire(chat.id, private=chat.is_private, count=count)
    if refusal is not None:
        raise too_many_requests(refusal.wait, limit_scope=refusal.scope.value)


def post(
    world: World,
    chat: ChatRec,
    content: Json,
    *,
    source: str | None = None,
    markup: Json | None = None,
    reply_to: int | None = None,
    media_group_id: str | None = None,
    forward_origin: Json | None = None,
) -> MessageRec:
    """Store a message from the bot and log it as a bot action."""
    message = chat.new_message(
        date=world.now(),
        sender_id=world.bot.id,
        from_bot=True,
        content=content,
        source=source,
        media_group_id=media_group_id,
        reply_markup=markup,
        reply_to=reply_to,
        forward_origin=forward_origin,
    )
    chat.record(EventKind.SEND, message)
    return message


async def send_message(world: World, params: Params) -> object:
    chat = writable_chat(world, params)
    content, source = text_content(world, params)
    markup = check_markup(params.json("reply_markup"))
    reply_to = reply_target(chat, params)
    charge(world, chat)
    message = post(world, chat, content, source=source, markup=markup, reply_to=reply_to)
    return shapes.message(world, message)


async def send_photo(world: World, params: Params) -> object:
    return await _send_file(world, params, "photo")


async def send_document(world: World, params: Params) -> object:
    return await _send_file(world, params, "document")


async def _send_file(world: World, params: Params, kind: str) -> object:
    """sendPhoto and sendDocument: the file in the parameter named `kind`, with a caption."""
    chat = writable_chat(world, params)
    caption, source = caption_content(world, params)
    markup = check_markup(params.json("reply_markup"))
    reply_to = reply_target(chat, params)
    file = await _file_object(world, kind, params.input_file(kind))
    charge(world, chat)
    content = {kind: file, **caption}
    message = post(world, chat, content, source=source, markup=markup, reply_to=reply_to)
    return shapes.message(world, message)


async def _file_object(world: World, kind: str, value: Upload | str | None) -> object:
    """A photo's sizes or a document object, as Telegram shows the file in a message."""
    if kind == "photo":
        return await media.photo_sizes(world, value)
    return media.document(world, value)


async def send_location(world: World, params: Params) -> object:
    chat = writable_chat(world, params)
    latitude = params.need_number("latitude", 'parameter "latitude" is required')
    longitude = params.need_number("longitude", 'parameter "longitude" is required')
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong location specified")
    location: Json = {"latitude": latitude, "longitude": longitude}
    if (accuracy := params.number("horizontal_accuracy")) is not None:
        location["horizontal_accuracy"] = accuracy
    markup = check_markup(params.json("reply_markup"))
    reply_to = reply_target(chat, params)
    charge(world, chat)
    message = post(world, chat, {"location": location}, markup=markup, reply_to=reply_to)
    return shapes.message(world, message)


async def send_media_group(world: World, params: Params) -> object:
    chat = writable_chat(world, params)
    items = _album_items(params)
    reply_to = reply_target(chat, params)
    contents = [await _album_item(world, params.nested(item)) for item in items]
    charge(world, chat, count=len(contents))
    group_id = world.new_media_group_id()
    messages = [
        post(world, chat, content, source=source, reply_to=reply_to, media_group_id=group_id)
        for content, source in contents
    ]
    return [shapes.message(world, message) for message in messages]


async def copy_message(world: World, params: Params) -> object:
    original = _source_message(world, params, "message to copy not found")
    chat = writable_chat(world, params)
    content = dict(original.content)
    source = original.source
    if "caption" in params and "text" not in content:
        caption, source = caption_content(world, params)
        content = {k: v for k, v in content.items() if not k.startswith("caption")} | caption
    markup = check_markup(params.json("reply_markup"))
    reply_to = reply_target(chat, params)
    charge(world, chat)
    message = post(world, chat, content, source=source, markup=markup, reply_to=reply_to)
    return {"message_id": message.message_id}


async def forward_message(world: World, params: Params) -> object:
    original = _source_message(world, params, "message to forward not found")
    chat = writable_chat(world, params)
    charge(world, chat)
    origin = original.forward_origin or _origin(world, original)
    message = post(
        world, chat, dict(original.content), source=original.source, forward_origin=origin
    )
    return shapes.message(world, message)


def _given_entities(params: Params, name: str) -> list[Entity]:
    value = params.json(name, "can't parse entities JSON object")
    if value is None:
        return []
    if not isinstance(value, list) or not all(_is_entity(item) for item in value):
        raise bad_request("can't parse entities JSON object")
    return [dict(cast(Entity, item)) for item in value]


def _is_entity(item: object) -> bool:
    if not isinstance(item, dict):
        return False
    offset, length = item.get("offset"), item.get("length")
    return (
        isinstance(item.get("type"), str)
        and isinstance(offset, int)
        and isinstance(length, int)
        and offset >= 0
        and length > 0
    )


def _with_user(world: World, entity: Entity) -> Entity:
    """A text_mention carries the whole User, as far as the emulator knows them."""
    user = entity.get("user")
    if entity.get("type") != "text_mention" or not isinstance(user, dict):
        return entity
    known = world.users.get(user.get("id", 0))
    full = shapes.user(known) if known else {"is_bot": False, "first_name": "", **user}
    return {**entity, "user": full}


def _with_entities(field: str, result: FormattedText) -> Json:
    content: Json = {field: result.text}
    if result.entities:
        content["entities" if field == "text" else "caption_entities"] = result.entities
    return content


def _album_items(params: Params) -> list[Json]:
    items = params.json("media", "can't parse media JSON object")
    if items is None or items == []:
        raise bad_request("there are no messages to send")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise bad_request("can't parse media JSON object")
    if len(items) > MAX_ALBUM:
        raise bad_request("too many messages to send as an album")
    if len(items) < 2:
        raise bad_request("wrong number of messages to send as an album")
    kinds = {cast(Json, item).get("type") for item in items}
    if not kinds <= {"photo", "document"}:
        unsupported = sorted(str(kind) for kind in kinds - {"photo", "document"})[0]
        raise bad_request(f'InputMedia of type "{unsupported}" is not supported')
    if kinds == {"photo", "document"}:
        raise bad_request("document can't be mixed with other media types")
    return [cast(Json, item) for item in items]


async def _album_item(world: World, item: Params) -> tuple[Json, str | None]:
    caption, source = caption_content(world, item)
    try:
        value = item.input_file("media")
    except ApiError:
        value = None
    if value is None:
        raise bad_request("can't parse InputMedia: media not found")
    kind = "photo" if item.text("type") == "photo" else "document"
    return {kind: await _file_object(world, kind, value), **caption}, source


def _source_message(world: World, params: Params, missing: str) -> MessageRec:
    chat = target_chat(world, params, "from_chat_id")
    message_id = params.need_integer("message_id", "message identifier is not specified")
    original = chat.messages.get(message_id)
    if original is None:
        raise bad_request(missing)
    return original


def _origin(world: World, original: MessageRec) -> Json:
    chat = world.chats[original.chat_id]
    if chat.type is ChatType.CHANNEL:
        return {
            "type": "channel",
            "date": original.date,
            "chat": shapes.chat(world, chat),
            "message_id": original.message_id,
        }
    return {"type": "user", "date": original.date, "sender_user": shapes.sender(world, original)}


METHODS: dict[str, Method] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "sendLocation": send_location,
    "sendMediaGroup": send_media_group,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
}
