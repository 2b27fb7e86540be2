"""Answering a button press is best-effort: a late answer must not cost the press itself.

Telegram accepts `answerCallbackQuery` for about 15 seconds after the press and only once.
A press that waited in the inbox while the bot was down, or that is replayed after a crash
that came after its answer, gets 400 "query is too old and response timeout expired or query
ID is invalid". The answer only stops the client's spinner, so that refusal is logged at debug
level and the handler carries on with what the press is about (the action, the panel edit,
the next step), as it would have on time.
"""

from __future__ import annotations

from typing import cast

import structlog
from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = structlog.get_logger(__name__)
STALE_QUERY_MARKERS = ("query is too old", "query id is invalid")


def is_stale_query(error: TelegramBadRequest) -> bool:
    """Tell whether Telegram refused an answer because the press is too old (or answered)."""
    message = error.message.lower()
    return any(marker in message for marker in STALE_QUERY_MARKERS)


class LenientCallbackAnswers(BaseRequestMiddleware):
    """Turns a too-late `answerCallbackQuery` into a quiet success."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as error:
            if not (isinstance(error.method, AnswerCallbackQuery) and is_stale_query(error)):
                raise
        log.debug("callback_answer_too_late")
        return cast(Response[TelegramType], Response[bool](ok=True, result=True))
