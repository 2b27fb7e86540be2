"""What went wrong, answered in one place, in the user's language.

A `DomainError` that a handler (or a middleware such as `handlers.access`) lets fly reaches
`on_domain_error` inside the update's unit of work (`bot.middlewares.DomainErrorMiddleware`),
its writes, FSM state included, already rolled back. Its stable code becomes a translated
answer: an alert for a button press, a message otherwise. A refusal of something the user
was not allowed to do is also a SecurityEvent (committed with the update, before the answer
goes out) and a warning; anything else a log line at info. Where a handler needs more than
that, it wraps the call in `with refusing(...)`, which annotates the error and lets it fly:
the security log's detail, which errors are security events, a hint after a retryable
error, ending the FSM step, or a follow-up such as redrawing the pressed card.

Anything else reaches `on_error` through aiogram's errors middleware: an apology and an
error log. Both observers run under the locale middleware, which reads the language the
actor middleware stored in the update's shared data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from zoneinfo import ZoneInfo

import structlog
from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram.utils.i18n import gettext as _

from config.logs import user_hash
from handlers.routing import Blueprint
from tickets.errors import DomainError, RateLimited, ValidationError
from tickets.ports import UpdateWorkspace
from ui.errors_text import error_text

router = Blueprint(__name__)
log = structlog.get_logger(__name__)

AfterRefusal = Callable[[DomainError], Awaitable[None]]
REFUSAL = "refusal"


@dataclass(frozen=True)
class Refusal:
    """How one call's domain errors are answered (a context manager that lets them fly).

    `logged` lists the error types that are security events (a `ValidationError`, a typo,
    or a `RateLimited`, a quota reached, never is); `retry_hint` follows a
    `ValidationError`'s text, since the user may try again; `ends_step` clears the FSM state
    after any other error; `in_chat` answers a button press (already answered) with a
    message under it; `then` runs last.
    """

    detail: str = ""
    logged: tuple[type[DomainError], ...] = (DomainError,)
    retry_hint: str = ""
    ends_step: bool = False
    in_chat: bool = False
    then: AfterRefusal | None = None

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Never swallows: the errors router answers. The innermost `refusing` decides.
        if isinstance(error, DomainError) and not hasattr(error, REFUSAL):
            setattr(error, REFUSAL, self)

    def is_security_event(self, error: DomainError) -> bool:
        # A typo (ValidationError) or a quota reached (RateLimited) is answered, not recorded.
        return isinstance(error, self.logged) and not isinstance(
            error, ValidationError | RateLimited
        )

    def retryable(self, error: DomainError) -> bool:
        return isinstance(error, ValidationError)


def refusing(
    *,
    detail: str = "",
    logged: tuple[type[DomainError], ...] = (DomainError,),
    retry_hint: str = "",
    ends_step: bool = False,
    in_chat: bool = False,
    then: AfterRefusal | None = None,
) -> Refusal:
    """`with refusing(...):` around a call whose domain errors need more than the default."""
    return Refusal(detail, logged, retry_hint, ends_step, in_chat, then)


def describe(event: Message | CallbackQuery) -> str:
    """What was attempted, without anything a user typed beyond a command's name."""
    if isinstance(event, CallbackQuery):
        return f"callback {event.data or ''}"[:200]
    command = (event.text or "").split(maxsplit=1)[0] if event.text else event.content_type
    return f"message {command[:64]} in {event.chat.type}"


@router.errors(ExceptionTypeFilter(DomainError))
async def on_domain_error(
    event: ErrorEvent, ws: UpdateWorkspace, state: FSMContext | None = None
) -> None:
    error = event.exception
    assert isinstance(error, DomainError)
    origin = event.update.callback_query or event.update.message
    if origin is None:
        log.info("domain_error", code=error.code)
        return
    how: Refusal = getattr(error, REFUSAL, Refusal())
    if how.is_security_event(error):
        await record_refusal(ws, origin, error, how.detail)
    else:
        log.info("domain_error", code=error.code)
    text = error_text(error, ZoneInfo(ws.timezone))
    if how.retryable(error) and how.retry_hint:
        text += how.retry_hint
    if how.ends_step and not how.retryable(error) and state is not None:
        # Before the answer: it commits the update's writes (the Bot commits before each
        # request), so whoever reads the answer finds the step already ended.
        await state.clear()
    await answer(origin, text, in_chat=how.in_chat)
    if how.then is not None:
        await how.then(error)


async def answer(origin: Message | CallbackQuery, text: str, *, in_chat: bool) -> None:
    """An alert for a button press, else (or when asked) a message in the chat."""
    if isinstance(origin, Message):
        await origin.answer(text)
    elif not in_chat:
        await origin.answer(text, show_alert=True)
    elif isinstance(origin.message, Message):
        await origin.message.answer(text)


async def record_refusal(
    ws: UpdateWorkspace, origin: Message | CallbackQuery, error: DomainError, detail: str
) -> None:
    """A SecurityEvent naming the actor by hash; it commits before the answer is sent."""
    user = origin.from_user
    actor = user_hash(user.id) if user is not None else "-"
    what = f"{describe(origin)} {detail}".strip()
    await ws.security.record(actor_hash=actor, kind=error.code, detail=what, at=ws.clock.now())
    log.warning("access_refused", user=actor, code=error.code, detail=what)


@router.errors()
async def on_error(event: ErrorEvent) -> None:
    log.error("handler_error", error=repr(event.exception), exc_info=event.exception)
    text = _("Sorry, something went wrong on our side. Please try again in a moment.")
    update = event.update
    if update.message is not None:
        await update.message.answer(text)
    elif update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)


def create_router() -> Router:
    """The errors router, fresh for one Dispatcher; include it first so it sees every error."""
    return router.build()
