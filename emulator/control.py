"""The control API under /control: plays the users and shows what each chat received.

Requests and answers are JSON (files travel base64-encoded in requests and as raw bytes in
downloads) and are described by pydantic models, so a malformed request is a 400 with a reason.
Every route takes an optional `?bot=<username>` to pick a bot; the first bot is the default.
Every route needs `Authorization: Bearer <token>` (`emulator.tokens`); without it, a 401.
Waiting routes (the next bot action in a chat, the bot's answer to a button press) are long
polls on the server, so clients never busy-wait.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from aiohttp import web
from pydantic import Base64Bytes, BaseModel, ValidationError

from emulator import actors, shapes, tokens
from emulator.actors import ControlError, Outgoing
from emulator.config import FaultShares
from emulator.faults import FaultInjector
from emulator.state import ChatRec, ChatType, EmulatorState, MessageRec, UserRec, World
from emulator.stats import Stats
from emulator.views import (
    BotAction,
    CallbackAnswer,
    ChatInfo,
    ChatMessage,
    EmulatorStats,
    UserInfo,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_WAIT = 60.0
LARGE_BODY = 256 * 1024  # bytes of a control request parsed off the event loop
ModelT = TypeVar("ModelT", bound=BaseModel)


class NewUser(BaseModel):
    id: int | None = None
    first_name: str = "Test"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    open_chat: bool = True


class NewGroup(BaseModel):
    id: int | None = None
    title: str
    members: list[int] = []
    type: Literal["group", "supergroup"] = "group"
    username: str | None = None
    bot_member: bool = True
    bot_is_admin: bool = False


class NewChannel(BaseModel):
    id: int | None = None
    title: str
    username: str | None = None


class Blocked(BaseModel):
    blocked: bool = True


class Sent(BaseModel):
    user_id: int
    chat_id: int | None = None
    reply_to_message_id: int | None = None


class SentText(Sent):
    text: str
    entities: list[dict[str, object]] | None = None


class SentPhoto(Sent):
    photo: Base64Bytes
    caption: str | None = None


class SentAlbum(Sent):
    photos: list[Base64Bytes]
    caption: str | None = None


class SentDocument(Sent):
    data: Base64Bytes
    file_name: str
    mime_type: str | None = None
    caption: str | None = None


class SentLocation(Sent):
    latitude: float
    longitude: float
    horizontal_accuracy: float | None = None


class SentContact(Sent):
    phone_number: str
    first_name: str
    last_name: str | None = None
    contact_user_id: int | None = None


class EditedText(BaseModel):
    user_id: int
    chat_id: int | None = None
    message_id: int
    text: str


class Press(BaseModel):
    user_id: int
    chat_id: int | None = None
    message_id: int
    data: str
    wait: float = 5.0


class Faults(BaseModel):
    share_429: float = 0.0
    share_500: float = 0.0
    share_timeout: float = 0.0
    timeout_delay: float = 5.0
    timeout_after_effect: bool = False
    exempt: list[str] = ["getupdates", "getme"]
    seed: int | None = None


class Limits(BaseModel):
    enabled: bool | None = None
    scale: float | None = None


def chat_message(world: World, record: MessageRec) -> ChatMessage:
    """A transcript entry for a stored message (or a snapshot of one)."""
    content = record.content
    return ChatMessage.model_validate(
        {
            "message_id": record.message_id,
            "chat_id": record.chat_id,
            "from_bot": record.from_bot,
            "sender_id": record.sender_id,
            "date": record.date,
            "text": content.get("text"),
            "caption": content.get("caption"),
            "source": record.source,
            "photo": content.get("photo", []),
            "document": content.get("document"),
            "location": content.get("location"),
            "contact": content.get("contact"),
            "media_group_id": record.media_group_id,
            "reply_markup": record.reply_markup,
            "reply_to_message_id": record.reply_to,
            "edits": record.edits,
            "message": shapes.message(world, record),
        }
    )


def chat_info(room: ChatRec) -> ChatInfo:
    return ChatInfo(
        id=room.id,
        type=room.type.value,
        title=room.title,
        username=room.username,
        last_seq=room.last_seq,
        blocked=room.blocked,
    )


class ControlApi:
    """The /control routes of one emulator."""

    def __init__(
        self,
        state: EmulatorState,
        stats: Stats,
        faults: FaultInjector,
        reset: Callable[[], None],
        *,
        token: str,
    ) -> None:
        self._token = token
        self._state = state
        self._stats = stats
        self._faults = faults
        self._reset = reset

    def routes(self) -> list[web.RouteDef]:
        get, post = web.get, web.post
        return [
            post("/control/reset", self._wrap(self.reset)),
            post("/control/users", self._wrap(self.create_user)),
            post("/control/users/{user_id}/blocked", self._wrap(self.block)),
            post("/control/groups", self._wrap(self.create_group)),
            post("/control/channels", self._wrap(self.create_channel)),
            post("/control/messages/text", self._wrap(self.send_text)),
            post("/control/messages/photo", self._wrap(self.send_photo)),
            post("/control/messages/album", self._wrap(self.send_album)),
            post("/control/messages/document", self._wrap(self.send_document)),
            post("/control/messages/location", self._wrap(self.send_location)),
            post("/control/messages/contact", self._wrap(self.send_contact)),
            post("/control/messages/edit", self._wrap(self.edit_text)),
            post("/control/callbacks", self._wrap(self.press)),
            post("/control/callbacks/expire", self._wrap(self.expire_callbacks)),
            get("/control/chats/{chat_id}", self._wrap(self.chat)),
            get("/control/chats/{chat_id}/transcript", self._wrap(self.transcript)),
            get("/control/chats/{chat_id}/events", self._wrap(self.events)),
            get("/control/files/{file_id}", self._wrap(self.file)),
            get("/control/stats", self._wrap(self.stats)),
            post("/control/faults", self._wrap(self.set_faults)),
            web.delete("/control/faults", self._wrap(self.clear_faults)),
            post("/control/limits", self._wrap(self.set_limits)),
        ]

    def _wrap(self, handler: Callable[[web.Request, World], Awaitable[object]]) -> Handler:
        async def route(request: web.Request) -> web.StreamResponse:
            if not tokens.authorized(request.headers.get(tokens.HEADER), self._token):
                error = "the control API needs the token the emulator printed at start"
                return web.json_response({"ok": False, "error": error}, status=401)
            try:
                world = self._world(request)
                result = await handler(request, world)
            except ControlError as error:
                return web.json_response({"ok": False, "error": str(error)}, status=error.status)
            if isinstance(result, web.StreamResponse):
                return result
            return web.json_response(_plain(result), dumps=_dumps)

        return route

    def _world(self, request: web.Request) -> World:
        world = self._state.world_named(request.query.get("bot"))
        if world is None:
            raise ControlError(f"unknown bot {request.query.get('bot')}", 404)
        return world

    async def reset(self, request: web.Request, world: World) -> object:
        self._reset()
        return {}

    async def create_user(self, request: web.Request, world: World) -> object:
        body = await _body(request, NewUser)
        user_id = body.id if body.id is not None else _free_id(world, 100_000_001, 1)
        person = UserRec(
            user_id, body.first_name, body.last_name, body.username, body.language_code
        )
        actors.add_user(world, person, open_chat=body.open_chat)
        return UserInfo.model_validate(shapes.user(person))

    async def block(self, request: web.Request, world: World) -> object:
        body = await _body(request, Blocked)
        person = actors.person(world, _int(request.match_info["user_id"]))
        actors.set_blocked(world, person, body.blocked)
        return chat_info(world.private_chat(person))

    async def create_group(self, request: web.Request, world: World) -> object:
        body = await _body(request, NewGroup)
        first = -1_000_000_000_001 if body.type == "supergroup" else -100_001
        room = ChatRec(
            id=body.id if body.id is not None else _free_id(world, first, -1),
            type=ChatType(body.type),
            title=body.title,
            username=body.username,
            members=set(body.members),
            bot_member=body.bot_member,
            bot_is_admin=body.bot_is_admin,
        )
        return chat_info(actors.add_group(world, room))

    async def create_channel(self, request: web.Request, world: World) -> object:
        body = await _body(request, NewChannel)
        room = ChatRec(
            id=body.id if body.id is not None else _free_id(world, -1_000_000_500_001, -1),
            type=ChatType.CHANNEL,
            title=body.title,
            username=body.username,
            bot_is_admin=True,
        )
        return chat_info(actors.add_group(world, room))

    async def send_text(self, request: web.Request, world: World) -> object:
        body = await _body(request, SentText)
        content = actors.text_content(body.text, body.entities)
        return self._send(world, body, content)

    async def send_photo(self, request: web.Request, world: World) -> object:
        body = await _body(request, SentPhoto)
        content = await actors.photo_content(world, body.photo, body.caption)
        return self._send(world, body, content)

    async def send_album(self, request: web.Request, world: World) -> object:
        body = await _body(request, SentAlbum)
        if not 2 <= len(body.photos) <= 10:
            raise ControlError("an album has 2..10 photos")
        captions = [body.caption] + [None] * (len(body.photos) - 1)
        contents = [
            await actors.photo_content(world, photo, caption)
            for photo, caption in zip(body.photos, captions, strict=True)
        ]
        group_id = world.new_media_group_id()
        return [self._send(world, body, content, group_id) for content in contents]

    async def send_document(self, request: web.Request, world: World) -> object:
        body = await _body(request, SentDocument)
        content = actors.document_content(
            world, body.data, body.file_name, body.mime_type, body.caption
        )
        return self._send(world, body, content)

    async def send_location(self, request: web.Request, world: World) -> object:
        body = await _body(request, SentLocation)
        location = {"latitude": body.latitude, "longitude": body.longitude}
        if body.horizontal_accuracy is not None:
            location["horizontal_accuracy"] = body.horizontal_accuracy
        return self._send(world, body, {"location": location})

    async def send_contact(self, request: web.Request, world: World) -> object:
        body = await _body(request, SentContact)
        contact = shapes.compact(
            {
                "phone_number": body.phone_number,
                "first_name": body.first_name,
                "last_name": body.last_name,
                "user_id": body.contact_user_id,
            }
        )
        return self._send(world, body, {"contact": contact})

    def _send(
        self, world: World, body: Sent, content: dict[str, object], group: str | None = None
    ) -> ChatMessage:
        person = actors.person(world, body.user_id)
        room = actors.chat_of(world, person, body.chat_id)
        outgoing = Outgoing(content, body.reply_to_message_id, group)
        return chat_message(world, actors.send(world, person, room, outgoing))

    async def edit_text(self, request: web.Request, world: World) -> object:
        body = await _body(request, EditedText)
        person = actors.person(world, body.user_id)
        room = actors.chat_of(world, person, body.chat_id)
        return chat_message(
            world, actors.edit_text(world, person, room, body.message_id, body.text)
        )

    async def press(self, request: web.Request, world: World) -> object:
        body = await _body(request, Press)
        person = actors.person(world, body.user_id)
        room = actors.chat_of(world, person, body.chat_id)
        query = actors.press(world, person, room, body.message_id, body.data)
        deadline = _deadline(body.wait)
        while query.answer is None and not self._state.closed and _left(deadline) > 0:
            await query.answered.wait(_left(deadline))
        answer = query.answer or {}
        return CallbackAnswer(
            callback_query_id=query.id,
            answered=query.answer is not None,
            text=_optional_str(answer.get("text")),
            show_alert=answer.get("show_alert") is True,
            url=_optional_str(answer.get("url")),
        )

    async def expire_callbacks(self, request: web.Request, world: World) -> object:
        return {"expired": actors.expire_callbacks(world)}

    async def chat(self, request: web.Request, world: World) -> object:
        return chat_info(_room(world, request))

    async def transcript(self, request: web.Request, world: World) -> object:
        room = _room(world, request)
        return [chat_message(world, message) for message in room.messages.values()]

    async def events(self, request: web.Request, world: World) -> object:
        room = _room(world, request)
        after = _int(request.query.get("after", "0"))
        deadline = _deadline(_float(request.query.get("timeout", "0")))
        while not (found := room.events_after(after)) and not self._state.closed:
            if _left(deadline) <= 0:
                break
            await room.signal.wait(_left(deadline))
        return [
            BotAction(
                seq=event.seq,
                kind=event.kind.value,
                chat_id=room.id,
                message_id=event.message.message_id,
                message=chat_message(world, event.message),
            )
            for event in found
        ]

    async def file(self, request: web.Request, world: World) -> object:
        data = actors.file_bytes(world, request.match_info["file_id"])
        return web.Response(body=data, content_type="application/octet-stream")

    async def stats(self, request: web.Request, world: World) -> object:
        return EmulatorStats.model_validate(self._stats.to_json())

    async def set_faults(self, request: web.Request, world: World) -> object:
        body = await _body(request, Faults)
        try:
            shares = FaultShares(
                share_429=body.share_429,
                share_500=body.share_500,
                share_timeout=body.share_timeout,
                timeout_delay=body.timeout_delay,
                timeout_after_effect=body.timeout_after_effect,
                exempt=frozenset(name.lower() for name in body.exempt),
            )
        except ValueError as error:
            raise ControlError(str(error)) from None
        self._faults.configure(shares, body.seed)
        return {}

    async def clear_faults(self, request: web.Request, world: World) -> object:
        self._faults.configure(FaultShares())
        return {}

    async def set_limits(self, request: web.Request, world: World) -> object:
        body = await _body(request, Limits)
        if body.scale is not None and body.scale <= 0:
            raise ControlError("scale must be positive")
        for each in self._state.worlds.values():
            each.limiter.configure(scale=body.scale, enabled=body.enabled)
        return {}


async def _body(request: web.Request, model: type[ModelT]) -> ModelT:
    raw = await request.read() or b"{}"
    try:
        if len(raw) > LARGE_BODY:
            # Photos in base64: tens of ms to decode, which would stall every other request.
            return await asyncio.to_thread(model.model_validate_json, raw)
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise ControlError(f"invalid request: {error.errors(include_url=False)}") from None


def _room(world: World, request: web.Request) -> ChatRec:
    chat_id = _int(request.match_info["chat_id"])
    room = world.chats.get(chat_id)
    if room is None:
        raise ControlError(f"unknown chat {chat_id}", 404)
    return room


def _free_id(world: World, start: int, step: int) -> int:
    candidate = start
    while candidate in world.users or candidate in world.chats:
        candidate += step
    return candidate


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ControlError(f"not an integer: {text!r}") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ControlError(f"not a number: {text!r}") from None


def _deadline(wait: float) -> float:
    return asyncio.get_running_loop().time() + min(max(wait, 0.0), MAX_WAIT)


def _left(deadline: float) -> float:
    return deadline - asyncio.get_running_loop().time()


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _plain(result: object) -> object:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [_plain(item) for item in result]
    return result


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
