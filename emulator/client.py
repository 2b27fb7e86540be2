"""An async client for the emulator's control API, and `ChatUser`, a person at a phone.

`EmulatorClient` wraps every /control route one to one. `ChatUser` is what conversation tests,
the demo and benchmarks use: a user and their private chat, driven the way a person would
(`send`, `send_photo`, `press("Accept")`, `tap("Share location")`) and checked the way a person
would read (`expect("Step 2/5")`), so a test reads like the chat it exercises.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Self

import aiohttp
from pydantic import TypeAdapter

from emulator import tokens
from emulator.views import (
    BotAction,
    Button,
    CallbackAnswer,
    ChatInfo,
    ChatMessage,
    EmulatorStats,
    UserInfo,
)

MESSAGES = TypeAdapter(list[ChatMessage])
ACTIONS = TypeAdapter(list[BotAction])


class ControlApiError(Exception):
    """The emulator refused a control request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class EmulatorClient:
    """Talks to one emulator's control API (optionally about one of several bots).

    Without `token`, the control token is that of the emulator listening at `base_url` in
    this process, or `EMULATOR_CONTROL_TOKEN` (see `emulator.tokens`).
    """

    def __init__(
        self,
        base_url: str,
        *,
        bot: str | None = None,
        session: aiohttp.ClientSession | None = None,
        token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._bot = bot
        self._token = token
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    # People and chats

    async def create_user(
        self,
        *,
        user_id: int | None = None,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        open_chat: bool = True,
    ) -> UserInfo:
        """Create a user; `open_chat` means they have already opened the bot's chat."""
        body = {
            "id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
            "open_chat": open_chat,
        }
        return UserInfo.model_validate(await self._post("/control/users", body))

    async def chat_user(
        self,
        *,
        user_id: int | None = None,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        phone_number: str | None = None,
    ) -> ChatUser:
        """Create a user who has opened the bot's chat, as a `ChatUser`."""
        info = await self.create_user(
            user_id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        seq = (await self.chat(info.id)).last_seq
        return ChatUser(self, info, seq=seq, phone_number=phone_number)

    async def create_group(
        self,
        title: str,
        members: Sequence[int] = (),
        *,
        chat_id: int | None = None,
        supergroup: bool = False,
        username: str | None = None,
        bot_member: bool = True,
        bot_is_admin: bool = False,
    ) -> ChatInfo:
        body = {
            "id": chat_id,
            "title": title,
            "members": list(members),
            "type": "supergroup" if supergroup else "group",
            "username": username,
            "bot_member": bot_member,
            "bot_is_admin": bot_is_admin,
        }
        return ChatInfo.model_validate(await self._post("/control/groups", body))

    async def create_channel(
        self, title: str, *, chat_id: int | None = None, username: str | None = None
    ) -> ChatInfo:
        body = {"id": chat_id, "title": title, "username": username}
        return ChatInfo.model_validate(await self._post("/control/channels", body))

    async def set_blocked(self, user_id: int, blocked: bool = True) -> ChatInfo:
        """Mark that the user blocked (or unblocked) the bot."""
        path = f"/control/users/{user_id}/blocked"
        return ChatInfo.model_validate(await self._post(path, {"blocked": blocked}))

    # What users send

    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
        entities: list[dict[str, object]] | None = None,
    ) -> ChatMessage:
        """Send text; commands get their bot_command entities unless entities are given."""
        fields = {"text": text, "entities": entities}
        return await self._user_message("text", user_id, chat_id, reply_to, fields)

    async def _user_message(
        self,
        kind: str,
        user_id: int,
        chat_id: int | None,
        reply_to: int | None,
        fields: Mapping[str, object],
    ) -> ChatMessage:
        """Post a message of `kind` (text, photo, ...) as sent by the user."""
        body = {**_sent(user_id, chat_id, reply_to), **fields}
        return ChatMessage.model_validate(await self._post(f"/control/messages/{kind}", body))

    async def send_command(
        self, user_id: int, command: str, args: str = "", *, chat_id: int | None = None
    ) -> ChatMessage:
        text = f"/{command.removeprefix('/')} {args}".strip()
        return await self.send_text(user_id, text, chat_id=chat_id)

    async def send_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> ChatMessage:
        """Send a photo; the bot gets re-encoded JPEG sizes without EXIF, as from Telegram."""
        fields = {"photo": _b64(data), "caption": caption}
        return await self._user_message("photo", user_id, chat_id, reply_to, fields)

    async def send_album(
        self,
        user_id: int,
        photos: Sequence[bytes],
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> list[ChatMessage]:
        """Send 2..10 photos sharing one media_group_id, the caption on the first."""
        body = _sent(user_id, chat_id, None) | {
            "photos": [_b64(photo) for photo in photos],
            "caption": caption,
        }
        return MESSAGES.validate_python(await self._post("/control/messages/album", body))

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> ChatMessage:
        """Send a file as is (EXIF and all)."""
        fields = {
            "data": _b64(data),
            "file_name": file_name,
            "mime_type": mime_type,
            "caption": caption,
        }
        return await self._user_message("document", user_id, chat_id, reply_to, fields)

    async def send_location(
        self,
        user_id: int,
        latitude: float,
        longitude: float,
        *,
        horizontal_accuracy: float | None = None,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> ChatMessage:
        fields = {
            "latitude": latitude,
            "longitude": longitude,
            "horizontal_accuracy": horizontal_accuracy,
        }
        return await self._user_message("location", user_id, chat_id, reply_to, fields)

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        first_name: str,
        *,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> ChatMessage:
        fields = {
            "phone_number": phone_number,
            "first_name": first_name,
            "last_name": last_name,
            "contact_user_id": contact_user_id,
        }
        return await self._user_message("contact", user_id, chat_id, reply_to, fields)

    async def edit_text(
        self, user_id: int, chat_id: int, message_id: int, text: str
    ) -> ChatMessage:
        """Edit a user's text message; the bot gets an edited_message update."""
        body = {"user_id": user_id, "chat_id": chat_id, "message_id": message_id, "text": text}
        return ChatMessage.model_validate(await self._post("/control/messages/edit", body))

    async def press(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        wait: float = 5.0,
    ) -> CallbackAnswer:
        """Send a callback_query with any data and wait up to `wait` s for the bot's answer."""
        body = {
            "user_id": user_id,
            "chat_id": chat_id,
            "message_id": message_id,
            "data": callback_data,
            "wait": wait,
        }
        return CallbackAnswer.model_validate(await self._post("/control/callbacks", body))

    async def expire_callbacks(self) -> int:
        """Make every unanswered button press too old to answer (Telegram's ~15 s window
        has passed); returns how many. Answering one then gets Telegram's 400."""
        result = await self._post("/control/callbacks/expire", {})
        return int(result["expired"]) if isinstance(result, dict) else 0

    # What chats show

    async def chat(self, chat_id: int) -> ChatInfo:
        return ChatInfo.model_validate(await self._get(f"/control/chats/{chat_id}"))

    async def transcript(self, chat_id: int) -> list[ChatMessage]:
        """The chat's messages in order, edits applied and deleted ones gone."""
        return MESSAGES.validate_python(await self._get(f"/control/chats/{chat_id}/transcript"))

    async def wait_for_bot_message(
        self,
        chat_id: int,
        after_seq: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 - the server holds the long poll this long
    ) -> list[BotAction]:
        """The bot's actions in a chat after `after_seq`, waiting up to `timeout` s for one."""
        path = f"/control/chats/{chat_id}/events"
        query = {"after": str(after_seq), "timeout": str(timeout)}
        return ACTIONS.validate_python(await self._get(path, query))

    async def download(self, file_id: str) -> bytes:
        """The bytes of any file the bot or a user sent."""
        async with self._http().get(
            self._url(f"/control/files/{file_id}"), params=self._query(), headers=self._auth()
        ) as response:
            if response.status != 200:
                raise ControlApiError(response.status, await response.text())
            return await response.read()

    # Operations

    async def stats(self) -> EmulatorStats:
        return EmulatorStats.model_validate(await self._get("/control/stats"))

    async def set_faults(
        self,
        *,
        share_429: float = 0.0,
        share_500: float = 0.0,
        share_timeout: float = 0.0,
        timeout_delay: float = 5.0,
        timeout_after_effect: bool = False,
        exempt: Sequence[str] = ("getUpdates", "getMe"),
        seed: int | None = None,
    ) -> None:
        """Make shares of bot calls fail with 429, 500 or a dropped connection."""
        body = {
            "share_429": share_429,
            "share_500": share_500,
            "share_timeout": share_timeout,
            "timeout_delay": timeout_delay,
            "timeout_after_effect": timeout_after_effect,
            "exempt": list(exempt),
            "seed": seed,
        }
        await self._post("/control/faults", body)

    async def clear_faults(self) -> None:
        await self._request("DELETE", "/control/faults")

    async def set_limits(self, *, enabled: bool | None = None, scale: float | None = None) -> None:
        """Turn the rate limits on or off, or scale every rate (buckets start full)."""
        await self._post("/control/limits", {"enabled": enabled, "scale": scale})

    async def reset(self) -> None:
        """Forget all users, chats, files and updates, and zero the statistics."""
        await self._post("/control/reset", {})

    # Plumbing

    async def _post(self, path: str, body: Mapping[str, object]) -> object:
        return await self._request("POST", path, body)

    async def _get(self, path: str, query: dict[str, str] | None = None) -> object:
        return await self._request("GET", path, None, query)

    async def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, object] | None = None,
        query: dict[str, str] | None = None,
    ) -> object:
        # A prepared bytes body: aiohttp warns about large bodies it must serialise itself.
        data = json.dumps(body).encode() if body is not None else None
        headers = self._auth()
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with self._http().request(
            method, self._url(path), data=data, headers=headers, params=self._query(query)
        ) as response:
            payload: object = await response.json(content_type=None)
            if response.status != 200:
                error = payload.get("error") if isinstance(payload, dict) else payload
                raise ControlApiError(response.status, str(error))
            return payload

    def _auth(self) -> dict[str, str]:
        token = self._token or tokens.token_for(self.base_url)
        return tokens.header(token) if token else {}

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _query(self, query: dict[str, str] | None = None) -> dict[str, str]:
        extra = {"bot": self._bot} if self._bot else {}
        return (query or {}) | extra

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session


class ChatUser:
    """A user and their private chat with the bot, used like a person uses Telegram."""

    def __init__(
        self,
        client: EmulatorClient,
        user: UserInfo,
        *,
        chat_id: int | None = None,
        seq: int = 0,
        phone_number: str | None = None,
    ) -> None:
        self.client = client
        self.user = user
        self.chat_id = chat_id if chat_id is not None else user.id
        self.phone_number = phone_number or f"+86138{user.id % 100_000_000:08d}"
        # The last bot action `expect` has consumed.
        self.seq = seq

    @property
    def id(self) -> int:
        return self.user.id

    async def in_chat(self, chat_id: int) -> ChatUser:
        """The same person acting in another chat (a group they are a member of)."""
        seq = (await self.client.chat(chat_id)).last_seq
        return ChatUser(
            self.client, self.user, chat_id=chat_id, seq=seq, phone_number=self.phone_number
        )

    # Doing

    async def send(self, text: str, *, reply_to: int | None = None) -> ChatMessage:
        return await self.client.send_text(self.id, text, chat_id=self.chat_id, reply_to=reply_to)

    async def command(self, command: str, args: str = "") -> ChatMessage:
        """Send `/command args`, with its bot_command entity."""
        return await self.client.send_command(self.id, command, args, chat_id=self.chat_id)

    async def start(self, payload: str | None = None) -> ChatMessage:
        """Open the bot, optionally through a deep link carrying `payload`."""
        return await self.command("start", payload or "")

    async def send_photo(
        self, data: bytes, caption: str | None = None, *, reply_to: int | None = None
    ) -> ChatMessage:
        return await self.client.send_photo(
            self.id, data, caption=caption, chat_id=self.chat_id, reply_to=reply_to
        )

    async def send_album(
        self, photos: Sequence[bytes], caption: str | None = None
    ) -> list[ChatMessage]:
        return await self.client.send_album(self.id, photos, caption=caption, chat_id=self.chat_id)

    async def send_document(
        self,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> ChatMessage:
        return await self.client.send_document(
            self.id, data, file_name, mime_type, caption=caption, chat_id=self.chat_id
        )

    async def send_location(self, latitude: float, longitude: float) -> ChatMessage:
        return await self.client.send_location(self.id, latitude, longitude, chat_id=self.chat_id)

    async def share_contact(self, phone_number: str | None = None) -> ChatMessage:
        """Share one's own contact, as the request_contact button does."""
        return await self.client.send_contact(
            self.id,
            phone_number or self.phone_number,
            self.user.first_name,
            last_name=self.user.last_name,
            contact_user_id=self.id,
            chat_id=self.chat_id,
        )

    async def edit(self, message_id: int, text: str) -> ChatMessage:
        return await self.client.edit_text(self.id, self.chat_id, message_id, text)

    async def press(self, text: str, *, wait: float = 5.0) -> CallbackAnswer:
        """Press the inline button containing `text` on the newest bot message that has one."""
        for message in reversed(await self.messages()):
            if message.from_bot and _button_data(message, text) is not None:
                return await self.press_on(message, text, wait=wait)
        raise AssertionError(
            f"no bot message in chat {self.chat_id} has an inline button containing {text!r}; "
            f"buttons: {await self._all_buttons('inline')}"
        )

    async def press_on(
        self, message: ChatMessage, text: str, *, wait: float = 5.0
    ) -> CallbackAnswer:
        """Press the inline button containing `text` on that very message (one a step has
        just received), not on the newest message that has one."""
        data = _button_data(message, text)
        if data is None:
            raise AssertionError(f"no button {text!r} on {message.describe()}")
        return await self.client.press(self.id, self.chat_id, message.message_id, data, wait=wait)

    async def tap(self, text: str, *, location: tuple[float, float] | None = None) -> ChatMessage:
        """Tap a reply-keyboard button: send its text, or the contact/location it asks for."""
        button = await self._keyboard_button(text)
        if button.request_contact:
            return await self.share_contact()
        if button.request_location:
            if location is None:
                raise AssertionError(f"button {button.text!r} asks for a location: pass one")
            return await self.send_location(*location)
        return await self.send(button.text)

    async def block(self) -> None:
        await self.client.set_blocked(self.id, True)

    async def unblock(self) -> None:
        await self.client.set_blocked(self.id, False)

    # Reading

    async def expect(
        self,
        substring: str,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - spent in server-side long polls
    ) -> ChatMessage:
        """Wait for a bot message, sent or edited after the last one consumed, containing
        `substring` in its text or caption; consume it and return it."""
        deadline = _now() + timeout
        after, seen = self.seq, []
        while (left := deadline - _now()) > 0:
            for action in await self.client.wait_for_bot_message(self.chat_id, after, left):
                after = action.seq
                if action.kind != "delete" and substring in action.message.content:
                    self.seq = action.seq
                    return action.message
                seen.append(action)
        raise AssertionError(_nothing_matched(substring, self.chat_id, timeout, seen))

    async def expect_nothing(self, *, within: float = 0.3) -> None:
        """Fail if the bot sends or edits anything in this chat within `within` seconds."""
        actions = await self.client.wait_for_bot_message(self.chat_id, self.seq, within)
        if actions:
            listed = "\n".join(f"  {a.kind} {a.message.describe()}" for a in actions)
            raise AssertionError(f"expected no bot action in chat {self.chat_id}, got:\n{listed}")

    async def catch_up(self) -> None:
        """Consume everything the bot has done so far."""
        self.seq = (await self.client.chat(self.chat_id)).last_seq

    async def messages(self) -> list[ChatMessage]:
        """The whole chat, both sides, edits applied and deletions gone."""
        return await self.client.transcript(self.chat_id)

    async def last(self) -> ChatMessage | None:
        """The bot's newest message in the chat."""
        bot_messages = [m for m in await self.messages() if m.from_bot]
        return bot_messages[-1] if bot_messages else None

    async def download(self, message: ChatMessage | str) -> bytes:
        """The bytes of a file id, or of a message's largest photo or its document."""
        if isinstance(message, str):
            return await self.client.download(message)
        photo, document = message.largest_photo, message.document
        file_id = photo.file_id if photo else document.file_id if document else None
        if file_id is None:
            raise AssertionError(f"message {message.describe()} has no file")
        return await self.client.download(file_id)

    async def _keyboard_button(self, text: str) -> Button:
        for message in reversed(await self.messages()):
            markup = message.reply_markup or {}
            if not message.from_bot or not ({"keyboard", "remove_keyboard"} & markup.keys()):
                continue
            for button in message.keyboard_buttons:
                if text in button.text:
                    return button
            break
        raise AssertionError(
            f"the current keyboard in chat {self.chat_id} has no button containing {text!r}; "
            f"buttons: {await self._all_buttons('keyboard')}"
        )

    async def _all_buttons(self, kind: str) -> list[str]:
        messages = await self.messages()
        if kind == "inline":
            return [button.text for message in messages for button in message.inline_buttons]
        return [button.text for message in messages for button in message.keyboard_buttons]


def _sent(user_id: int, chat_id: int | None, reply_to: int | None) -> dict[str, object]:
    return {"user_id": user_id, "chat_id": chat_id, "reply_to_message_id": reply_to}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _now() -> float:
    return asyncio.get_running_loop().time()


def _nothing_matched(substring: str, chat_id: int, timeout: float, seen: list[BotAction]) -> str:
    head = f"no bot message containing {substring!r} in chat {chat_id} within {timeout}s"
    if not seen:
        return f"{head}; nothing arrived"
    listed = "\n".join(f"  {action.kind} {action.message.describe()}" for action in seen)
    return f"{head}; what arrived:\n{listed}"


def _button_data(message: ChatMessage, text: str) -> str | None:
    """The callback data of `message`'s first inline button containing `text`, if any."""
    for button in message.inline_buttons:
        if text in button.text and button.callback_data is not None:
            return button.callback_data
    return None
