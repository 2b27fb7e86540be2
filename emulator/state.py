"""The emulator's world: users, chats, messages, files, updates and webhooks, in memory.

Users are shared by all bots; everything a bot can see (its chats with their messages and
their event log, files, pending updates, webhook, command menus, open callback queries) lives
in that bot's `World`. Records are plain mutable dataclasses changed only from the event loop;
the Bot API methods and the control API both work on them, and `shapes` turns them into JSON.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from emulator.config import BotIdentity, EmulatorConfig
from emulator.files import FileStore
from emulator.limits import RateLimiter
from emulator.signals import Signal
from emulator.updates import UpdateQueue

Json = dict[str, object]


class ChatType(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


class EventKind(StrEnum):
    """What a bot did to a chat."""

    SEND = "send"
    EDIT = "edit"
    DELETE = "delete"


@dataclass
class UserRec:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass
class MessageRec:
    """A message as stored; `content` holds its Bot API content fields (text, photo, ...)."""

    message_id: int
    chat_id: int
    date: int
    sender_id: int | None
    from_bot: bool
    content: Json
    # The text or caption exactly as the bot sent it, markup included.
    source: str | None = None
    media_group_id: str | None = None
    # As sent, of any kind; only an inline keyboard appears in the Message JSON.
    reply_markup: Json | None = None
    reply_to: int | None = None
    forward_origin: Json | None = None
    edit_date: int | None = None
    edits: int = 0

    def snapshot(self) -> MessageRec:
        return dataclasses.replace(self, content=dict(self.content))

    @property
    def text_or_caption(self) -> str:
        value = self.content.get("text", self.content.get("caption"))
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class ChatEvent:
    """One bot action in a chat, with the message as it was right after."""

    seq: int
    kind: EventKind
    message: MessageRec


@dataclass
class ChatRec:
    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    user_id: int | None = None
    members: set[int] = field(default_factory=set)
    bot_member: bool = True
    bot_is_admin: bool = False
    # Private chats only: the user has blocked the bot.
    blocked: bool = False
    messages: dict[int, MessageRec] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    signal: Signal = field(default_factory=Signal)
    next_message_id: int = 1

    @property
    def is_private(self) -> bool:
        return self.type is ChatType.PRIVATE

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    @property
    def instance(self) -> str:
        # chat_instance: stable per chat, opaque to the bot.
        return str(int(hashlib.sha256(str(self.id).encode()).hexdigest()[:15], 16))

    def new_message(
        self,
        *,
        date: int,
        sender_id: int | None,
        from_bot: bool,
        content: Json,
        source: str | None = None,
        media_group_id: str | None = None,
        reply_markup: Json | None = None,
        reply_to: int | None = None,
        forward_origin: Json | None = None,
    ) -> MessageRec:
        message = MessageRec(
            message_id=self.next_message_id,
            chat_id=self.id,
            date=date,
            sender_id=sender_id,
            from_bot=from_bot,
            content=content,
            source=source,
            media_group_id=media_group_id,
            reply_markup=reply_markup,
            reply_to=reply_to,
            forward_origin=forward_origin,
        )
        self.next_message_id += 1
        self.messages[message.message_id] = message
        return message

    def record(self, kind: EventKind, message: MessageRec) -> ChatEvent:
        event = ChatEvent(self.last_seq + 1, kind, message.snapshot())
        self.events.append(event)
        self.signal.fire()
        return event

    def events_after(self, seq: int) -> list[ChatEvent]:
        # Event n sits at index n - 1.
        return self.events[max(seq, 0) :]


@dataclass
class CallbackRec:
    """A button press waiting for (or given) the bot's answerCallbackQuery."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    pressed_at: float = 0.0  # the emulator's monotonic clock
    answer: Json | None = None
    answered: Signal = field(default_factory=Signal)


@dataclass
class WebhookSettings:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class World:
    """Everything one bot sees."""

    bot: BotIdentity
    config: EmulatorConfig
    users: dict[int, UserRec]
    limiter: RateLimiter
    chats: dict[int, ChatRec] = field(default_factory=dict)
    files: FileStore = field(default_factory=FileStore)
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    webhook: WebhookSettings | None = None
    commands: dict[tuple[str, str], list[Json]] = field(default_factory=dict)
    callbacks: dict[str, CallbackRec] = field(default_factory=dict)
    media_groups: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Called after setWebhook/deleteWebhook so the server can start or stop delivery.
    on_webhook_change: Callable[[World], None] = lambda world: None

    def now(self) -> int:
        return int(self.config.wall_clock())

    def find_chat(self, reference: int | str) -> ChatRec | None:
        if isinstance(reference, int):
            return self.chats.get(reference)
        name = reference.removeprefix("@").lower()
        return next(
            (c for c in self.chats.values() if c.username and c.username.lower() == name), None
        )

    def private_chat(self, user: UserRec) -> ChatRec:
        """The user's private chat with the bot, opened if needed."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = ChatRec(user.id, ChatType.PRIVATE, user_id=user.id, members={user.id})
            self.chats[user.id] = chat
        return chat

    def new_media_group_id(self) -> str:
        return str(13_000_000_000_000_000 + next(self.media_groups))


class EmulatorState:
    """All worlds, one per bot token, around one shared registry of users."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.users: dict[int, UserRec] = {}
        self.worlds: dict[str, World] = {}
        self.on_webhook_change: Callable[[World], None] = lambda world: None
        self.closed = False
        self.reset()

    def reset(self) -> None:
        """Forget every user, chat, message, file and update."""
        self._wake_all()
        self.users.clear()
        # Update ids never go back, or a polling bot would take new updates as confirmed.
        next_ids = {token: world.updates.next_id for token, world in self.worlds.items()}
        self.worlds = {
            bot.token: self._new_world(bot, next_ids.get(bot.token, 1)) for bot in self.config.bots
        }

    def close(self) -> None:
        """End every long poll: the server is stopping."""
        self.closed = True
        self._wake_all()

    def _wake_all(self) -> None:
        for world in self.worlds.values():
            world.updates.close()
            for chat in world.chats.values():
                chat.signal.fire()
            for query in world.callbacks.values():
                query.answered.fire()

    def world(self, token: str) -> World | None:
        return self.worlds.get(token)

    def world_named(self, username: str | None) -> World | None:
        """The world of the bot with this username, or of the first bot."""
        if username is None:
            return next(iter(self.worlds.values()))
        wanted = username.removeprefix("@").lower()
        return next((w for w in self.worlds.values() if w.bot.username.lower() == wanted), None)

    def _new_world(self, bot: BotIdentity, first_update_id: int) -> World:
        config = self.config
        limiter = RateLimiter(
            config.limits,
            scale=config.rate_scale,
            enabled=config.rate_limits,
            clock=config.monotonic,
        )
        return World(
            bot=bot,
            config=config,
            users=self.users,
            limiter=limiter,
            updates=UpdateQueue(first_update_id),
            on_webhook_change=lambda world: self.on_webhook_change(world),
        )
