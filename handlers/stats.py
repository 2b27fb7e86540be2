"""Figures in the chat: `/stats`, `/export` and `/ranking`, and `/publish CODE`, which puts
a closed ticket on the transparency channel.

```mermaid
flowchart LR
  stats[/stats/] --> wait1[⏳] --> summary[summary + period buttons] --> album[4 charts]
  summary -- week · month · quarter --> wait1
  summary -- custom --> typing_dates -- YYYY-MM-DD YYYY-MM-DD --> wait1
  export[/export PERIOD identity/] --> wait2[⏳] --> files[XLSX + CSV]
  ranking[/ranking 2026Q3/] --> wait3[⏳] --> table[ranking + chart] -- Publish --> channel
  publish[/publish CODE or a card's Publish/] --> preview[preview + photo sets]
  preview -- text only · with photos --> channel
  preview -- redact · hide · undo --> moderation[handlers.moderation] --> preview
```
Administrators see every department, a supervisor their own; handlers and citizens are
refused (`ScopeMiddleware`). Rankings and publishing are for administrators only. The
charts and files are the direct answer to a command, so the bot sends them itself; what
goes to the channel goes through the outbox (`ws.channel`), once per key. Figures and
exports come from `ws.stats` and `ws.exports`; refusals fly to `handlers.errors`.
`/export` answers in private chats only: its files can hold real names (`handlers.disclosure`
answers it in a group).
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import structlog
from aiogram import BaseMiddleware, F, Router
from aiogram.dispatcher.flags import get_flag
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    MediaUnion,
    Message,
    TelegramObject,
)
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _

from config.logs import user_hash
from config.settings import Settings
from handlers.access import ADMIN, AccessMiddleware, in_private
from handlers.errors import refusing
from handlers.redraw import edit_pressed, edit_pressed_markup
from handlers.routing import Blueprint
from outbox.statistics import CHART_OUTAGE, Chart, ranking_chart_png, stats_charts
from tickets.accused import units_kept_from_reporter
from tickets.actors import Actor
from tickets.codes import read_code
from tickets.errors import DomainError, Forbidden
from tickets.measures import Period
from tickets.moderation import ModerationKind
from tickets.periods import (
    PERIODS,
    YEARS,
    named_period,
    parse_days,
    parse_quarter,
    quarter_of,
    shift_quarter,
    today,
)
from tickets.ports import UpdateWorkspace
from tickets.publishing import PhotoChoice, Publication, prepare_publication, publish_ticket
from tickets.records import Stats
from tickets.stats_scope import StatsScope, stats_scope
from ui.charts import CjkFontNotFound, Translate
from ui.errors_text import code_problem_text
from ui.i18n import translator
from ui.keyboards import DataInt, Moderate
from ui.stats_text import (
    period_text,
    public_ticket_text,
    quarter_title,
    ranking_text,
    stats_summary,
)

router = Blueprint(__name__)
log = structlog.get_logger(__name__)

STATS = {"stats": True}
CUSTOM = "custom"
EXPORT_FORMATS = ("xlsx", "csv")

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
T = TypeVar("T")


class StatsView(CallbackData, prefix="st"):
    """A period button under a summary; `department_id` 0 is the actor's default view."""

    period: str
    department_id: DataInt = 0


class RankingView(CallbackData, prefix="rk"):
    year: int
    quarter: int


class RankingPublish(CallbackData, prefix="rkp"):
    year: int
    quarter: int


KNOWN_QUARTER = F.year.in_(YEARS) & F.quarter.in_({1, 2, 3, 4})


class TicketPublish(CallbackData, prefix="pb"):
    """Publish a ticket with the photo set chosen (`none`, `result`, `report`), or cancel."""

    ticket_id: DataInt
    photos: str


class PublishPreview(CallbackData, prefix="pbp"):
    """A closed ticket card's Publish button: show what would be published."""

    ticket_id: DataInt


class CustomPeriod(StatesGroup):
    typing_dates = State()


async def patiently(method: TelegramMethod[T]) -> T:
    """Make one Bot API call, and after a 429 once more, when the limiter lets it through.

    The limiter counts a message when its request leaves; Telegram counts it when it
    lands. An album of uploaded charts lands late, so the next message to the same chat
    can still meet a 429; the limiter then holds the chat for `retry_after`, and the
    retry waits that out instead of turning a figure into an apology.
    """
    try:
        return await method
    except TelegramRetryAfter:
        return await method


async def progress_for(query: CallbackQuery, text: str) -> Message | None:
    """The message that shows `text` while a pressed button's answer is made, and then the
    answer: the pressed message, edited; or a new one when it has no text to edit (a photo,
    which only a forged press can come from: charts carry no buttons). None when the pressed
    message is too old to reach."""
    pressed = query.message
    if not isinstance(pressed, Message):
        return None
    if pressed.text is None:
        return await patiently(pressed.answer(text))
    with contextlib.suppress(TelegramBadRequest):  # pressed twice: it already says so
        await pressed.edit_text(text)
    return pressed


# -- who sees what ------------------------------------------------------------------------


class ScopeMiddleware(BaseMiddleware):
    """Inner middleware: gives handlers flagged `stats` the actor's `scope`, or refuses."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not get_flag(data, "stats"):
            return await handler(event, data)
        actor = data.get("actor")
        scope = stats_scope(actor) if isinstance(actor, Actor) else None
        if scope is not None:
            data["scope"] = scope
            return await handler(event, data)
        if isinstance(event, Message | CallbackQuery):
            staff = isinstance(actor, Actor) and actor.is_staff
            raise Forbidden("supervisor_only" if staff else "not_staff")
        return None


for observer in (router.message, router.callback_query):
    observer.middleware(AccessMiddleware())
    observer.middleware(ScopeMiddleware())


# -- periods ------------------------------------------------------------------------------


def dates_hint() -> str:
    return _(
        "Type the first and the last day, e.g. <code>2026-11-01 2026-11-30</code> "
        "(at most a year), or /cancel."
    )


# -- /stats -------------------------------------------------------------------------------


def period_button_text(name: str, current: str) -> str:
    labels = {
        "week": _("This week"),
        "month": _("This month"),
        "quarter": _("This quarter"),
        CUSTOM: _("📅 Custom…"),
    }
    return ("• " if name == current else "") + labels[name]


async def stats_keyboard(
    ws: UpdateWorkspace, scope: StatsScope, *, current: str, department_id: int | None
) -> InlineKeyboardMarkup:
    shown = department_id or 0
    rows = [
        [
            InlineKeyboardButton(
                text=period_button_text(name, current),
                callback_data=StatsView(period=name, department_id=shown).pack(),
            )
            for name in (*PERIODS, CUSTOM)
        ]
    ]
    if len(scope.department_ids) > 1:  # a supervisor of several departments switches here
        names = await ws.stats.department_names()
        rows += [
            [
                InlineKeyboardButton(
                    text=("• " if d == department_id else "") + names.get(d, (str(d), False))[0],
                    callback_data=StatsView(period=current, department_id=d).pack(),
                )
            ]
            for d in scope.department_ids
        ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


@dataclass(frozen=True)
class StatsContext:
    """What computing and sending one `/stats` answer needs."""

    ws: UpdateWorkspace
    settings: Settings
    scope: StatsScope


async def send_stats(
    ctx: StatsContext,
    progress: Message,
    period: Period,
    *,
    period_name: str,
    department_id: int | None,
) -> None:
    """Compute, edit the progress message into the summary, then send the charts."""
    settings = ctx.settings
    try:
        stats = await ctx.ws.stats.stats(
            period, as_of=ctx.ws.clock.now(), department_id=department_id
        )
    except Exception:
        log.exception("stats_failed")
        await progress.edit_text(_("⚠️ The statistics could not be made. Please try later."))
        return
    charts, missing = await charts_or_reason(stats)
    if department_id is None:
        scope_name = _("all departments")
    else:
        scope_name = stats.departments[0].name if stats.departments else str(department_id)
    markup = await stats_keyboard(
        ctx.ws, ctx.scope, current=period_name, department_id=department_id
    )
    summary = stats_summary(stats, scope=scope_name, tz=settings.tz)
    await progress.edit_text(summary + missing, reply_markup=markup)
    if charts:
        caption = f"📊 {html.escape(scope_name)} · {period_text(period, settings.tz)}"
        await send_album(progress, charts, caption)


async def send_album(progress: Message, charts: list[Chart], caption: str) -> None:
    album: list[MediaUnion] = [
        InputMediaPhoto(
            media=BufferedInputFile(chart.png, filename=chart.filename),
            caption=caption if index == 0 else None,
        )
        for index, chart in enumerate(charts)
    ]
    await patiently(progress.answer_media_group(album))


def requester_language() -> Translate:
    """Charts and export files are made in a worker thread: hand them the update's language."""
    i18n = get_i18n()
    return translator(i18n, i18n.current_locale)


async def charts_or_reason(stats: Stats) -> tuple[list[Chart], str]:
    """The charts, or none and a line for the summary saying why (the figures still go)."""
    try:
        charts = await stats_charts(stats, requester_language())
    except CjkFontNotFound as error:
        CHART_OUTAGE.failed(error)
        reason = _("the Chinese font is missing")
    except Exception as error:  # any drawing failure must not cost the user the figures
        CHART_OUTAGE.failed(error)
        reason = _("drawing them failed")
    else:
        CHART_OUTAGE.drawn()
        return charts, ""
    return [], "\n\n" + _("⚠️ Charts are unavailable: {reason}.").format(reason=reason)


def computing_text() -> str:
    return _("⏳ Computing the statistics…")


@router.message(Command("stats"), flags=STATS)
async def show_stats(
    message: Message, ws: UpdateWorkspace, settings: Settings, scope: StatsScope
) -> None:
    progress = await patiently(message.answer(computing_text()))
    ctx = StatsContext(ws, settings, scope)
    period = named_period("week", today(ws.clock, settings.tz), settings.tz)
    await send_stats(ctx, progress, period, period_name="week", department_id=scope.department(0))


@router.callback_query(StatsView.filter(F.period.in_(PERIODS)), flags=STATS)
async def on_period(
    query: CallbackQuery,
    callback_data: StatsView,
    ws: UpdateWorkspace,
    settings: Settings,
    scope: StatsScope,
) -> None:
    with refusing(detail="stats"):
        department_id = scope.department(callback_data.department_id)
    await query.answer()
    progress = await progress_for(query, computing_text())
    if progress is None:
        return
    ctx = StatsContext(ws, settings, scope)
    period = named_period(callback_data.period, today(ws.clock, settings.tz), settings.tz)
    await send_stats(
        ctx, progress, period, period_name=callback_data.period, department_id=department_id
    )


@router.callback_query(StatsView.filter(F.period == CUSTOM), flags=STATS)
async def on_custom(
    query: CallbackQuery,
    callback_data: StatsView,
    state: FSMContext,
    scope: StatsScope,
) -> None:
    with refusing(detail="stats"):
        department_id = scope.department(callback_data.department_id)
    await state.set_state(CustomPeriod.typing_dates)
    await state.set_data({"department_id": department_id or 0})
    await query.answer()
    if isinstance(query.message, Message):
        await patiently(query.message.answer(dates_hint()))


@router.message(CustomPeriod.typing_dates, F.text, ~F.text.startswith("/"), flags=STATS)
async def take_dates(
    message: Message,
    state: FSMContext,
    ws: UpdateWorkspace,
    settings: Settings,
    scope: StatsScope,
) -> None:
    try:
        period = parse_days(message.text or "", settings.tz)
    except ValueError:
        await patiently(
            message.answer(_("These are not two days in order.") + "\n" + dates_hint())
        )
        return
    data = await state.get_data()
    await state.clear()
    with refusing(detail="stats", ends_step=True):  # no longer a supervisor there
        department_id = scope.department(int(data.get("department_id", 0)))
    progress = await patiently(message.answer(computing_text()))
    ctx = StatsContext(ws, settings, scope)
    await send_stats(ctx, progress, period, period_name=CUSTOM, department_id=department_id)


@router.message(CustomPeriod.typing_dates, ~F.text.startswith("/"), flags=STATS)
async def dates_expected(message: Message) -> None:
    """Anything but two dates; commands pass through to their own handlers."""
    await patiently(message.answer(dates_hint()))


# -- /export ------------------------------------------------------------------------------


def export_usage() -> str:
    return "\n".join(
        [
            _("<b>Export</b>: /export [week|month|quarter|FIRST LAST] [identity]"),
            _("Without a period: this month. Days are YYYY-MM-DD, both included."),
            _(
                "identity (administrators only) adds the names and phones of real-name "
                "reporters; anonymous reporters are never identified."
            ),
        ]
    )


@dataclass(frozen=True)
class ExportRequest:
    period: Period
    identity: bool


def parse_export(args: str | None, day: date, tz: ZoneInfo) -> ExportRequest:
    """Read `/export`'s words; ValueError when they are not a period and the flag."""
    words = (args or "").split()
    identity = any(word.lower() == "identity" for word in words)
    rest = [word for word in words if word.lower() != "identity"]
    if not rest:
        return ExportRequest(named_period("month", day, tz), identity)
    if len(rest) == 1 and rest[0].lower() in PERIODS:
        return ExportRequest(named_period(rest[0].lower(), day, tz), identity)
    return ExportRequest(parse_days(" ".join(rest), tz), identity)


@router.message(Command("export"), in_private, flags=STATS)
async def export(
    message: Message,
    command: CommandObject,
    actor: Actor,
    ws: UpdateWorkspace,
    settings: Settings,
    scope: StatsScope,
) -> None:
    try:
        request = parse_export(command.args, today(ws.clock, settings.tz), settings.tz)
    except ValueError:
        await patiently(message.answer(export_usage()))
        return
    identity = request.identity and actor.is_admin
    if request.identity and not identity:
        await patiently(message.answer(_("Real names are exported for administrators only.")))
    progress = await patiently(message.answer(_("⏳ Preparing the export…")))
    made = await ws.exports.build(
        request.period,
        as_of=ws.clock.now(),
        formats=EXPORT_FORMATS,
        tr=requester_language(),
        department_ids=scope.export_departments,
        include_identity=identity,
        moderation_reasons=actor.is_admin,
        without_reporter_words_in=units_kept_from_reporter(actor),
    )
    if identity:
        log.info("identity_export", user=user_hash(actor.user_id), tickets=made.tickets)
    days = period_text(request.period, settings.tz)
    caption = _("Tickets received {period}: {count}").format(period=days, count=made.tickets)
    if identity:
        caption += "\n" + _("With the names and phones of real-name reporters: keep it safe.")
    for fmt in EXPORT_FORMATS:
        document = BufferedInputFile(made.files[fmt], filename=made.filename(fmt, settings.tz))
        await patiently(message.answer_document(document, caption=caption))
    await progress.edit_text(
        _("✅ Export ready: {count} ticket(s), {period}.").format(count=made.tickets, period=days)
    )


# -- /ranking -----------------------------------------------------------------------------


def ranking_keyboard(
    year: int, quarter: int, *, current: tuple[int, int], can_publish: bool
) -> InlineKeyboardMarkup:
    before = shift_quarter(year, quarter, -1)
    row = [
        InlineKeyboardButton(
            text="⬅️ " + quarter_title(*before),
            callback_data=RankingView(year=before[0], quarter=before[1]).pack(),
        )
    ]
    if (year, quarter) < current:
        after = shift_quarter(year, quarter, 1)
        row.append(
            InlineKeyboardButton(
                text=quarter_title(*after) + " ➡️",
                callback_data=RankingView(year=after[0], quarter=after[1]).pack(),
            )
        )
    rows = [row]
    if can_publish:
        publish = RankingPublish(year=year, quarter=quarter).pack()
        rows.append([InlineKeyboardButton(text=_("📢 Publish"), callback_data=publish)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def ranking_title(year: int, quarter: int, current: tuple[int, int]) -> str:
    title = quarter_title(year, quarter)
    return title + " " + _("(to date)") if (year, quarter) == current else title


async def send_ranking(
    progress: Message, year: int, quarter: int, *, ws: UpdateWorkspace, settings: Settings
) -> None:
    current = quarter_of(today(ws.clock, settings.tz))
    period = Period.quarter(year, quarter, settings.tz)
    ranking = await ws.stats.ranking(period, as_of=ws.clock.now())
    chart = await ranking_chart_png(ranking, requester_language())
    title = ranking_title(year, quarter, current)
    markup = ranking_keyboard(
        year, quarter, current=current, can_publish=settings.public_channel_id is not None
    )
    await progress.edit_text(ranking_text(ranking, title=title), reply_markup=markup)
    photo = BufferedInputFile(chart.png, filename=chart.filename)
    await patiently(progress.answer_photo(photo, caption=f"🏆 {html.escape(title)}"))


@router.message(Command("ranking"), flags=ADMIN)
async def ranking(
    message: Message,
    command: CommandObject,
    ws: UpdateWorkspace,
    settings: Settings,
) -> None:
    try:
        year, quarter = parse_quarter(command.args, quarter_of(today(ws.clock, settings.tz)))
    except ValueError:
        await patiently(
            message.answer(_("Send /ranking, or /ranking 2026Q3 for another quarter."))
        )
        return
    progress = await patiently(message.answer(_("⏳ Ranking the departments…")))
    await send_ranking(progress, year, quarter, ws=ws, settings=settings)


@router.callback_query(RankingView.filter(KNOWN_QUARTER), flags=ADMIN)
async def on_ranking_view(
    query: CallbackQuery,
    callback_data: RankingView,
    ws: UpdateWorkspace,
    settings: Settings,
) -> None:
    await query.answer()
    progress = await progress_for(query, _("⏳ Ranking the departments…"))
    if progress is None:
        return
    await send_ranking(
        progress,
        callback_data.year,
        callback_data.quarter,
        ws=ws,
        settings=settings,
    )


@router.callback_query(RankingPublish.filter(KNOWN_QUARTER), flags=ADMIN)
async def on_ranking_publish(
    query: CallbackQuery,
    callback_data: RankingPublish,
    ws: UpdateWorkspace,
    settings: Settings,
    i18n: I18n,
) -> None:
    if settings.public_channel_id is None:
        with refusing(logged=()):
            raise DomainError("no_public_channel")
    year, quarter = callback_data.year, callback_data.quarter
    current = quarter_of(today(ws.clock, settings.tz))
    period = Period.quarter(year, quarter, settings.tz)
    ranking = await ws.stats.ranking(period, as_of=ws.clock.now())
    chart = await ranking_chart_png(ranking, translator(i18n, settings.default_language))
    with i18n.use_locale(settings.default_language):  # the channel's language
        title = ranking_title(year, quarter, current)
        text = ranking_text(ranking, title=title)
    # Once a day per quarter: a second press is a mistake, tomorrow's figures are news.
    key = f"publish:ranking:{year}Q{quarter}:{today(ws.clock, settings.tz).isoformat()}"
    posted = await ws.channel.post_chart(
        chart, f"🏆 {html.escape(title)}", key=f"{key}:chart", purpose="channel:ranking"
    )
    await ws.channel.text(text, key=key, purpose="channel:ranking")
    if posted:
        await query.answer(_("📢 Published to the channel."))
    else:
        await query.answer(_("Already published today."), show_alert=True)


# -- publishing a closed ticket -------------------------------------------------------------


def photo_set_label(choice: PhotoChoice, count: int) -> str:
    labels = {
        PhotoChoice.RESULT: _("🖼 With the result photos ({count})"),
        PhotoChoice.REPORT: _("🖼 With the report's photos ({count})"),
    }
    return labels[choice].format(count=count)


def photo_set_caption(choice: PhotoChoice, code: str) -> str:
    if choice is PhotoChoice.RESULT:
        return _("Result photos of {code}: published only if you choose them.").format(code=code)
    return _("Photos of report {code}: published only if you choose them.").format(code=code)


def publish_keyboard(publication: Publication) -> InlineKeyboardMarkup:
    """Publish (text only, or with a photo set), moderate first, or cancel."""
    ticket_id = publication.ticket.id

    def button(text: str, choice: str) -> list[InlineKeyboardButton]:
        data = TicketPublish(ticket_id=ticket_id, photos=choice).pack()
        return [InlineKeyboardButton(text=text, callback_data=data)]

    def moderate(text: str, action: str) -> InlineKeyboardButton:
        data = Moderate(action=action, ticket_id=ticket_id).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    rows = [button(_("📢 Publish the text only"), PhotoChoice.NONE)]
    rows += [
        button(photo_set_label(choice, len(ids)), choice)
        for choice, ids in publication.photos.items()
    ]
    tools = [moderate(_("✂️ Redact text"), "redact")]
    if publication.photos:
        tools.append(moderate(_("🙈 Hide a photo"), "hide"))
    if publication.moderations:
        tools.append(moderate(_("↩️ Undo"), "undo"))
    rows.append(tools)
    rows.append(button(_("✖️ Cancel"), "cancel"))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def photo_caption(choice: PhotoChoice, number: int) -> str:
    if choice is PhotoChoice.RESULT:
        return _("Result photo {number}").format(number=number)
    return _("Report photo {number}").format(number=number)


async def show_photo_set(message: Message, publication: Publication, choice: PhotoChoice) -> None:
    """The set's photos still to be published, each with its number in the whole set."""
    hidden = {m.target for m in publication.moderations if m.kind is ModerationKind.HIDE}
    numbered = [
        (number, photo.file_id)
        for number, photo in enumerate(publication.all_photos.get(choice, ()), 1)
        if photo.key not in hidden
    ]
    if not numbered:
        return
    head = photo_set_caption(choice, publication.ticket.code)
    captions = [photo_caption(choice, number) for number, _file_id in numbered]
    captions[0] = head + "\n" + captions[0]
    if len(numbered) == 1:
        await patiently(message.answer_photo(numbered[0][1], caption=captions[0]))
        return
    album: list[MediaUnion] = [
        InputMediaPhoto(media=file_id, caption=caption)
        for (_number, file_id), caption in zip(numbered, captions, strict=True)
    ]
    await patiently(message.answer_media_group(album))


def moderation_note(publication: Publication) -> str:
    """How many passages are redacted and photos hidden, when any are."""
    kinds = [m.kind for m in publication.moderations]
    if not kinds:
        return ""
    return _("✂️ Passages redacted: {redacted} · 🙈 photos hidden: {hidden}").format(
        redacted=kinds.count(ModerationKind.REDACT), hidden=kinds.count(ModerationKind.HIDE)
    )


async def show_preview(
    message: Message,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
    i18n: I18n,
    *,
    code: str | None = None,
    ticket_id: int | None = None,
    publication: Publication | None = None,
    photos: bool = True,
) -> None:
    """The photo sets to choose from (unless `photos` is False), then the post as the
    channel will read it, moderation applied; `publication` if the caller has it."""
    if publication is None:
        with refusing(logged=(), in_chat=True):  # a Publish press is answered already
            publication = await prepare_publication(
                ws.publications,
                actor,
                code=code,
                ticket_id=ticket_id,
                channel_configured=settings.public_channel_id is not None,
            )
    ticket = publication.ticket
    if photos:
        for choice in publication.photos:
            await show_photo_set(message, publication, choice)
    with i18n.use_locale(settings.default_language):  # exactly what the channel will read
        preview = public_ticket_text(publication.summary, settings.tz)
    head = _("<b>Preview of {code}</b>: the channel will read this, without the code.")
    note = moderation_note(publication)
    text = head.format(code=ticket.code) + ("\n" + note if note else "") + "\n\n" + preview
    await patiently(message.answer(text, reply_markup=publish_keyboard(publication)))


@router.message(Command("publish"), flags=ADMIN)
async def publish(
    message: Message,
    command: CommandObject,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
    i18n: I18n,
) -> None:
    reading = read_code(command.args or "")
    code = reading.code
    if code is None:
        usage = _("Send /publish followed by the tracking code of a closed ticket.")
        invalid = code_problem_text(reading)
        await patiently(message.answer(invalid if command.args else usage))
        return
    await show_preview(message, ws, actor, settings, i18n, code=code)


def publish_button(ticket_id: int) -> InlineKeyboardButton:
    """ "📢 Publish" for a closed ticket's card, shown to administrators: opens the preview."""
    data = PublishPreview(ticket_id=ticket_id).pack()
    return InlineKeyboardButton(text=_("📢 Publish"), callback_data=data)


@router.callback_query(PublishPreview.filter(), flags=ADMIN)
async def on_publish_button(
    query: CallbackQuery,
    callback_data: PublishPreview,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
    i18n: I18n,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await show_preview(
            query.message, ws, actor, settings, i18n, ticket_id=callback_data.ticket_id
        )


CHOICES = {str(choice) for choice in PhotoChoice}


@router.callback_query(TicketPublish.filter(F.photos == "cancel"), flags=ADMIN)
async def on_publish_cancel(query: CallbackQuery) -> None:
    await query.answer(_("Cancelled."))
    await edit_pressed_markup(query, None)


@router.callback_query(TicketPublish.filter(F.photos.in_(CHOICES)), flags=ADMIN)
async def on_publish(
    query: CallbackQuery,
    callback_data: TicketPublish,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    with refusing(logged=()):
        publication = await publish_ticket(
            ws.publications,
            ws.channel,
            actor,
            ticket_id=callback_data.ticket_id,
            photos=PhotoChoice(callback_data.photos),
            now=ws.clock.now(),
            channel_configured=settings.public_channel_id is not None,
        )
    code = publication.ticket.code
    await query.answer(_("📢 Published."))
    await edit_pressed(
        query, _("📢 {code} is published on the transparency channel.").format(code=code)
    )


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
