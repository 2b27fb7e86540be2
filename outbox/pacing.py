"""Paces every message the bot sends through the shared limiter (`RateLimiter`: this
process's buckets, or with REDIS_URL the ones every replica shares).

A request middleware sees every Bot API call, whether a handler answers a user or the
outbox dispatcher sends a notification, so no sender can bypass the limits. Only calls that
post new messages into a chat are paced; edits, callback answers and `getUpdates` are not
counted against Telegram's message limits and go straight out. A 429 from any call about a
chat blocks that chat for `retry_after`, and the error is re-raised: the caller decides
whether and when to retry. A 429 on a chatless call (getUpdates, answerCallbackQuery) is
flood control on that method, not on messages, so it blocks nothing here.

The chat is charged again when the call is answered (`RateLimiter.settled`), so the time a
call spent reaching Telegram does not count as refill.

One process has at most one message call in flight per chat: the next waits for the
previous one's answer before it asks the limiter. Telegram then receives a chat's messages
in the order they were sent, and messages granted at the pace cannot reach it bunched up
(an earlier call that lagged on a busy event loop landing together with later ones, which
Telegram counts as a burst and refuses with 429).

The limiter does the waiting, so senders (the outbox dispatcher included) must not also
`acquire` or `reserve` before sending, or each message would be charged twice; to avoid
blocking a worker they may look at `limiter.wait_time(chat_id)` first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from functools import partial
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import (
    CopyMessage,
    CopyMessages,
    ForwardMessage,
    ForwardMessages,
    SendAnimation,
    SendAudio,
    SendChecklist,
    SendContact,
    SendDice,
    SendDocument,
    SendGame,
    SendInvoice,
    SendLivePhoto,
    SendLocation,
    SendMediaGroup,
    SendMessage,
    SendPaidMedia,
    SendPhoto,
    SendPoll,
    SendRichMessage,
    SendSticker,
    SendVenue,
    SendVideo,
    SendVideoNote,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

from outbox.ratelimit import ChatId, ChatLocks, RateLimiter, chat_key

# Methods that post exactly one new message. A paid-media album is one message.
_ONE_MESSAGE: tuple[type[TelegramMethod[Any]], ...] = (
    SendMessage,
    SendPhoto,
    SendDocument,
    SendLocation,
    SendVenue,
    SendContact,
    SendAnimation,
    SendAudio,
    SendVideo,
    SendVideoNote,
    SendVoice,
    SendSticker,
    SendPoll,
    SendDice,
    SendGame,
    SendInvoice,
    SendPaidMedia,
    SendChecklist,
    SendLivePhoto,
    SendRichMessage,
    CopyMessage,
    ForwardMessage,
)


def send_cost(method: TelegramMethod[Any]) -> int:
    """Return how many messages `method` posts into its chat; 0 for anything else."""
    # Each item of an album, and each message of a bulk copy/forward, lands as its own
    # message and counts against the chat's limit.
    if isinstance(method, SendMediaGroup):
        return max(1, len(method.media))
    if isinstance(method, CopyMessages | ForwardMessages):
        return max(1, len(method.message_ids))
    return 1 if isinstance(method, _ONE_MESSAGE) else 0


def target_chat(method: TelegramMethod[Any]) -> ChatId | None:
    """Return the chat a call is about, if it names one."""
    chat_id = getattr(method, "chat_id", None)
    return chat_id if isinstance(chat_id, int | str) else None


# Set while an update is handled: requests made then are answers someone is waiting for.
DIRECT_ANSWER: ContextVar[bool] = ContextVar("direct_answer", default=False)
DIRECT_RETRY_MAX_SECONDS = 10

# One call, bound to its bot and method, that may be made more than once (after a 429).
Request = Callable[[], Awaitable[Response[TelegramType]]]


class PacingMiddleware(BaseRequestMiddleware):
    """Waits for the limiter before each message-sending call; feeds 429s back into it."""

    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter
        self._in_flight = ChatLocks()  # one message call in flight per chat

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = target_chat(method)
        cost = send_cost(method)
        if chat_id is None or not cost:
            return await make_request(bot, method)
        async with self._in_flight.hold(chat_key(chat_id)):
            return await self._paced(partial(make_request, bot, method), chat_id, cost)

    async def _paced(
        self, request: Request[TelegramType], chat_id: ChatId, cost: int
    ) -> Response[TelegramType]:
        try:
            return await self._send(request, chat_id, cost)
        except TelegramRetryAfter as error:
            await self._limiter.flooded(chat_id, error.retry_after)
            if not DIRECT_ANSWER.get() or error.retry_after > DIRECT_RETRY_MAX_SECONDS:
                raise  # the outbox reschedules its rows itself
        # A person is waiting for this answer: wait out the flood once rather than
        # replacing the answer with an apology.
        return await self._send(request, chat_id, cost)

    async def _send(
        self, request: Request[TelegramType], chat_id: ChatId, cost: int
    ) -> Response[TelegramType]:
        """Acquire, send, and charge the chat again once answered: Telegram counted the
        message when it arrived, which may be long after the grant (a slow upload)."""
        await self._limiter.acquire(chat_id, cost)
        response = await request()
        await self._limiter.settled(chat_id, cost)
        return response
