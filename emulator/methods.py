"""The Bot API method table, and the methods that neither send nor edit messages.

Method names are matched case-insensitively, as Telegram does. Here live getMe, getUpdates
(long polling that wakes as soon as an update arrives, confirms by offset, and refuses while a
webhook is set), the webhook settings, the command menus keyed by scope and language, getChat,
getFile, sendChatAction and answerCallbackQuery.
"""

from __future__ import annotations

import asyncio
import re
from typing import cast

from emulator import editing, sending, shapes
from emulator.errors import bad_request, conflict
from emulator.params import Params
from emulator.sending import Method, target_chat, writable_chat
from emulator.state import Json, WebhookSettings, World

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
LANGUAGE = re.compile(r"^([a-z]{2})?$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SCOPES_WITH_CHAT = {"chat", "chat_administrators", "chat_member"}
SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
MAX_POLL_SECONDS = 50
BAD_QUERY = "query is too old and response timeout expired or query ID is invalid"


async def get_me(world: World, params: Params) -> object:
    return shapes.me(world.bot)


async def get_updates(world: World, params: Params) -> object:
    queue = world.updates
    offset = params.integer("offset")
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = min(max(params.integer("timeout") or 0, 0), MAX_POLL_SECONDS)
    allowed = params.json("allowed_updates", "can't parse allowed updates")
    _refuse_while_webhook(world)
    queue.set_allowed(_string_list(allowed, "allowed_updates"))
    queue.confirm(offset)
    generation = queue.begin_poll()
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        _refuse_while_webhook(world)
        if queue.poll_generation != generation:
            raise conflict(
                "terminated by other getUpdates request; "
                "make sure that only one bot instance is running"
            )
        batch = queue.peek(limit)
        remaining = deadline - asyncio.get_running_loop().time()
        if batch or remaining <= 0 or queue.closed:
            return batch
        await queue.signal.wait(remaining)


def _refuse_while_webhook(world: World) -> None:
    if world.webhook is not None:
        raise conflict(
            "can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )


async def set_webhook(world: World, params: Params) -> object:
    url = (params.text("url") or "").strip()
    if not url:
        return await delete_webhook(world, params)
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = params.text("secret_token")
    if secret is not None and not SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    allowed = _string_list(params.json("allowed_updates"), "allowed_updates")
    if params.flag("drop_pending_updates"):
        world.updates.clear()
    world.updates.set_allowed(allowed)
    world.webhook = WebhookSettings(
        url=url,
        secret_token=secret,
        max_connections=params.integer("max_connections") or 40,
        ip_address=params.text("ip_address") or "127.0.0.1",
        allowed_updates=allowed,
    )
    world.on_webhook_change(world)
    return True


async def delete_webhook(world: World, params: Params) -> object:
    if params.flag("drop_pending_updates"):
        world.updates.clear()
    if world.webhook is not None:
        world.webhook = None
        world.on_webhook_change(world)
    return True


async def get_webhook_info(world: World, params: Params) -> object:
    return shapes.webhook_info(world)


async def set_my_commands(world: World, params: Params) -> object:
    commands = params.json("commands", "can't parse commands JSON object")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    checked = [_command(item) for item in commands]
    key = _menu_key(world, params)
    if checked:
        world.commands[key] = checked
    else:
        world.commands.pop(key, None)
    return True


async def get_my_commands(world: World, params: Params) -> object:
    return world.commands.get(_menu_key(world, params), [])


async def delete_my_commands(world: World, params: Params) -> object:
    world.commands.pop(_menu_key(world, params), None)
    return True


def _command(item: object) -> Json:
    if not isinstance(item, dict):
        raise bad_request("can't parse commands JSON object")
    command, description = item.get("command"), item.get("description")
    if not isinstance(command, str) or not COMMAND.match(command):
        raise bad_request("BOT_COMMAND_INVALID")
    if not isinstance(description, str) or not 1 <= len(description) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return {"command": command, "description": description}


def _menu_key(world: World, params: Params) -> tuple[str, str]:
    """Menus are keyed by scope (with its chat and user) and language code."""
    language = params.text("language_code") or ""
    if not LANGUAGE.match(language):
        raise bad_request("invalid language code specified")
    scope = params.json("scope", "can't parse BotCommandScope JSON object") or {"type": "default"}
    if not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope.get("type")
    if kind in SCOPES:
        return (str(kind), language)
    if kind not in SCOPES_WITH_CHAT:
        raise bad_request("wrong BotCommandScope type specified")
    chat = target_chat(world, params.nested(cast(Json, scope)))
    user = scope.get("user_id") if kind == "chat_member" else None
    return (f"{kind}:{chat.id}:{user}", language)


async def get_chat(world: World, params: Params) -> object:
    return shapes.chat_full(world, target_chat(world, params))


async def get_file(world: World, params: Params) -> object:
    file_id = params.need_text("file_id", 'parameter "file_id" is required')
    stored = world.files.get(file_id)
    if stored is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    if stored.file_size > world.config.max_download_bytes:
        raise bad_request("file is too big")
    return stored.file()


async def send_chat_action(world: World, params: Params) -> object:
    writable_chat(world, params)
    if params.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


async def answer_callback_query(world: World, params: Params) -> object:
    query_id = params.need_text("callback_query_id", 'parameter "callback_query_id" is required')
    query = world.callbacks.get(query_id)
    if query is None or query.answer is not None:
        raise bad_request(BAD_QUERY)
    if world.config.monotonic() - query.pressed_at > world.config.callback_answer_window:
        raise bad_request(BAD_QUERY)
    text = params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answer = {
        "text": text,
        "show_alert": params.flag("show_alert"),
        "url": params.text("url"),
        "cache_time": params.integer("cache_time") or 0,
    }
    query.answered.fire()
    return True


def _string_list(value: object, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request(f"can't parse {name}")
    return cast(list[str], value)


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "getChat": get_chat,
    "getFile": get_file,
    "sendChatAction": send_chat_action,
    "answerCallbackQuery": answer_callback_query,
    **sending.METHODS,
    **editing.METHODS,
}
_BY_LOWER = {name.lower(): (name, method) for name, method in METHODS.items()}


def lookup(name: str) -> tuple[str, Method] | None:
    """The canonical name and implementation of a method, matched case-insensitively."""
    return _BY_LOWER.get(name.lower())
