"""Statistics made into things to send: chart PNGs, export files, transparency posts.

Shared by `/stats`, `/export`, `/ranking` and `/publish` (`handlers.stats`), the digests
(`scheduler.digests`) and `snapreport export`, so every door gives the same figures and
the same files. Charts and files are CPU work and run in a worker thread; matplotlib's
`rc_context` changes process-wide settings, so one chart is drawn at a time.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from outbox.notifier import OnceNotifier
from storage.db import SessionFactory, create_session_factory, engine_for
from storage.media import MediaStore
from storage.stats import load_event_records, load_stats, load_ticket_records
from tickets.clock import Clock, SystemClock
from tickets.measures import DepartmentMeasures, Period, Ranking, SourceMeasures
from tickets.moderation import as_members_see
from tickets.ports import ChartFile
from tickets.publishing import PublicSummary
from tickets.records import EventRecord, Stats, TicketRecord
from ui.charts import (
    Translate,
    category_chart,
    on_time_chart,
    ranking_chart,
    satisfaction_chart,
    weekly_states_chart,
)
from ui.exports import export_csv, export_json, export_xlsx
from ui.i18n import create_i18n, translator
from ui.stats_text import period_text, public_ticket_text

EXPORT_FORMATS = ("xlsx", "csv", "json")
log = structlog.get_logger(__name__)
_DRAWING = threading.Lock()


@dataclass(frozen=True)
class Chart:
    filename: str
    png: bytes


STATS_CHARTS: dict[str, Callable[[Stats, Translate], bytes]] = {
    "weekly": lambda stats, tr: weekly_states_chart(stats.weeks, tr),
    "on_time": lambda stats, tr: on_time_chart(stats.departments, tr),
    "satisfaction": lambda stats, tr: satisfaction_chart(stats.departments, tr),
    "categories": lambda stats, tr: category_chart(stats.overall.top_categories, tr),
}


def draw_stats_charts(stats: Stats, tr: Translate) -> list[Chart]:
    """Draw the four `/stats` charts in `tr`'s language (blocking: run it in a thread)."""
    with _DRAWING:
        return [Chart(f"{name}.png", draw(stats, tr)) for name, draw in STATS_CHARTS.items()]


def draw_stats_chart(stats: Stats, name: str, tr: Translate) -> Chart:
    """One of them by name (`STATS_CHARTS`), for a page that shows each as an image."""
    with _DRAWING:
        return Chart(f"{name}.png", STATS_CHARTS[name](stats, tr))


def draw_ranking_chart(ranking: Ranking, tr: Translate) -> Chart:
    """Draw the ranking chart (blocking: run it in a thread)."""
    with _DRAWING:
        return Chart("ranking.png", ranking_chart(ranking, tr))


async def stats_charts(stats: Stats, tr: Translate) -> list[Chart]:
    return await asyncio.to_thread(draw_stats_charts, stats, tr)


async def stats_chart(stats: Stats, name: str, tr: Translate) -> Chart:
    return await asyncio.to_thread(draw_stats_chart, stats, name, tr)


class ChartOutage:
    """Why charts cannot be drawn, logged when it first happens rather than per request.

    One per process (`CHART_OUTAGE`): the cause (a missing font, a broken matplotlib) is
    the deployment's, not the request's, so a busy office would otherwise flood the log.
    """

    def __init__(self) -> None:
        self.cause: str | None = None

    def failed(self, error: Exception) -> None:
        cause = f"{type(error).__name__}: {error}"
        if cause != self.cause:
            log.error("charts_unavailable", cause=cause, exc_info=error)
        self.cause = cause

    def drawn(self) -> None:
        if self.cause is not None:
            log.info("charts_available_again")
        self.cause = None


CHART_OUTAGE = ChartOutage()


async def ranking_chart_png(ranking: Ranking, tr: Translate) -> Chart:
    return await asyncio.to_thread(draw_ranking_chart, ranking, tr)


@dataclass(frozen=True)
class Export:
    """The files of one export and how many tickets they hold."""

    period: Period
    tickets: int
    files: dict[str, bytes]

    def filename(self, fmt: str, tz: ZoneInfo) -> str:
        """`snapreport-2026-11-01_2026-11-30.xlsx`: the local days it covers."""
        days = period_text(self.period, tz).replace(" – ", "_")
        return f"snapreport-{days}.{fmt}"


async def _records(
    session: AsyncSession,
    period: Period,
    department_ids: Sequence[int] | None,
    *,
    include_identity: bool,
    with_events: bool,
    without_reporter_words_in: Collection[int] = (),
) -> tuple[list[TicketRecord], list[EventRecord]]:
    tickets: list[TicketRecord] = []
    events: list[EventRecord] = []
    for department_id in department_ids if department_ids is not None else [None]:
        # A ticket handled by one listed department and overseen by another is read twice.
        seen = {record.code for record in tickets}
        found = await load_ticket_records(
            session, period, department_id=department_id, include_identity=include_identity
        )
        tickets += [record for record in found if record.code not in seen]
        if with_events:
            events += [
                event
                for event in await load_event_records(
                    session,
                    period,
                    department_id=department_id,
                    without_reporter_words_in=without_reporter_words_in,
                )
                if event.code not in seen
            ]
    if department_ids is not None and len(department_ids) > 1:
        tickets.sort(key=lambda record: record.created_at)
        order = {record.code: index for index, record in enumerate(tickets)}
        events.sort(key=lambda record: order[record.code])  # stable: time order within
    return tickets, events


def _render_files(
    formats: Collection[str],
    tickets: Sequence[TicketRecord],
    events: Sequence[EventRecord],
    departments: Sequence[DepartmentMeasures],
    *,
    tr: Translate,
    tz: str,
    include_identity: bool,
    sources: Sequence[SourceMeasures] = (),
) -> dict[str, bytes]:
    makers = {
        "xlsx": lambda: export_xlsx(
            tickets,
            events,
            departments,
            tr=tr,
            tz=tz,
            include_identity=include_identity,
            sources=sources,
        ),
        "csv": lambda: export_csv(tickets, tr=tr, tz=tz, include_identity=include_identity),
        "json": lambda: export_json(tickets, tr=tr, tz=tz, include_identity=include_identity),
    }
    return {fmt: makers[fmt]() for fmt in EXPORT_FORMATS if fmt in formats}


async def build_export(
    sessions: SessionFactory,
    period: Period,
    *,
    as_of: datetime,
    formats: Collection[str],
    tr: Translate,
    tz: str,
    department_ids: Sequence[int] | None = None,
    include_identity: bool = False,
    moderation_reasons: bool,
    without_reporter_words_in: Collection[int] = (),
) -> Export:
    """Load the tickets received in `period` (all departments, or those listed) as files.

    `tr` is the requester's language: the files are made in a worker thread, outside the
    update's locale context, so it is passed in as for charts.

    `include_identity` adds real-name reporters' names and phones; an anonymous reporter's
    identity is never read (`storage.stats`) nor written (`ui.exports`).
    Without `moderation_reasons` (an export for anyone but an administrator) a moderation
    step's event is the supervision office's, without its reason (`as_members_see`).
    Tickets about a unit in `without_reporter_words_in` (the requester's own, see
    `tickets.accused.units_kept_from_reporter`) leave out the reporter's words.
    """
    unknown = set(formats) - set(EXPORT_FORMATS)
    if unknown:
        raise ValueError(f"unknown export format(s): {', '.join(sorted(unknown))}")
    with_events = "xlsx" in formats
    async with sessions() as session:
        tickets, events = await _records(
            session,
            period,
            department_ids,
            include_identity=include_identity,
            with_events=with_events,
            without_reporter_words_in=without_reporter_words_in,
        )
    if not moderation_reasons:
        events = [as_members_see(event) for event in events]
    departments: list[DepartmentMeasures] = []
    sources: tuple[SourceMeasures, ...] = ()
    if with_events:
        departments, sources = await _measures(sessions, period, as_of, tz, department_ids)
    files = await asyncio.to_thread(
        _render_files,
        formats,
        tickets,
        events,
        departments,
        tr=tr,
        tz=tz,
        include_identity=include_identity,
        sources=sources,
    )
    return Export(period, len(tickets), files)


async def _measures(
    sessions: SessionFactory,
    period: Period,
    as_of: datetime,
    tz: str,
    department_ids: Sequence[int] | None,
) -> tuple[list[DepartmentMeasures], tuple[SourceMeasures, ...]]:
    """The departments' measures, and by source for all departments or for the one asked:
    an export of some departments but not all has no by-source sheet (it would not add up).
    """
    single = department_ids[0] if department_ids is not None and len(department_ids) == 1 else None
    everything = await load_stats(sessions, period, as_of=as_of, tz=tz)
    departments = list(everything.departments)
    if department_ids is None:
        return departments, everything.sources
    departments = [d for d in departments if d.department_id in department_ids]
    if single is None:
        return departments, ()
    mine = await load_stats(sessions, period, as_of=as_of, tz=tz, department_id=single)
    return departments, mine.sources


class SessionExports:
    """`tickets.ports.Exports`: `build_export` on sessions of its own, in one time zone."""

    def __init__(self, sessions: SessionFactory, *, tz: str) -> None:
        self._sessions = sessions
        self._tz = tz

    async def build(
        self,
        period: Period,
        *,
        as_of: datetime,
        formats: Collection[str],
        tr: Translate,
        department_ids: Sequence[int] | None,
        include_identity: bool,
        moderation_reasons: bool,
        without_reporter_words_in: Collection[int] = (),
    ) -> Export:
        return await build_export(
            self._sessions,
            period,
            as_of=as_of,
            formats=formats,
            tr=tr,
            tz=self._tz,
            department_ids=department_ids,
            include_identity=include_identity,
            moderation_reasons=moderation_reasons,
            without_reporter_words_in=without_reporter_words_in,
        )


class ChannelPublisher:
    """Posts to the transparency channel through the outbox, in the default language."""

    def __init__(
        self,
        session: AsyncSession,
        i18n: I18n,
        settings: Settings,
        *,
        clock: Clock,
        media: MediaStore | None = None,
    ) -> None:
        self._outbox = OnceNotifier(session, i18n, settings, clock=clock)
        self._i18n = i18n
        self._settings = settings
        self._media = media

    @property
    def channel(self) -> int | str:
        if self._settings.public_channel_id is None:
            raise ValueError("PUBLIC_CHANNEL_ID is not set")
        return self._settings.public_channel_id

    async def post_ticket(
        self, summary: PublicSummary, *, photo_file_ids: Sequence[str], key: str
    ) -> None:
        """The anonymised summary, then the photos the administrator chose (if any)."""
        with self._i18n.use_locale(self._settings.default_language):
            text = public_ticket_text(summary, self._settings.tz)
        await self.text(text, key=key, purpose="channel:ticket")
        if len(photo_file_ids) == 1:
            params: dict[str, object] = {"photo": photo_file_ids[0]}
            await self._outbox.once(
                self.channel, "sendPhoto", params, key=f"{key}:photo", purpose="channel:photos"
            )
        elif photo_file_ids:  # an album holds 2 to 10 photos
            media = [{"type": "photo", "media": file_id} for file_id in photo_file_ids[:10]]
            await self._outbox.once(
                self.channel,
                "sendMediaGroup",
                {"media": media},
                key=f"{key}:album",
                purpose="channel:photos",
            )

    async def text(self, text: str, *, key: str, purpose: str) -> bool:
        params = {"text": text, "parse_mode": "HTML"}
        return await self._outbox.once(
            self.channel, "sendMessage", params, key=key, purpose=purpose
        )

    async def post_chart(self, chart: ChartFile, caption: str, *, key: str, purpose: str) -> bool:
        """A chart as a photo; its bytes wait in the media store for the dispatcher.

        The store names every file `.jpg`; Telegram reads a photo's format from its bytes.
        """
        if self._media is None:
            raise ValueError("posting a chart needs the media store")
        sha = await asyncio.to_thread(self._media.put, chart.png)
        params = {"photo": f"media:{sha}", "caption": caption, "parse_mode": "HTML"}
        return await self._outbox.once(self.channel, "sendPhoto", params, key=key, purpose=purpose)


async def export_to_file(
    settings: Settings,
    *,
    first: date,
    last: date,
    fmt: str,
    out: Path | None = None,
    include_identity: bool = False,
    lang: str | None = None,
) -> tuple[Path, int]:
    """`snapreport export`: write the tickets received from `first` to `last` (included).

    Headers and labels are in `lang`, else in DEFAULT_LANGUAGE.
    """
    locale = lang or settings.default_language
    tr = translator(create_i18n(locale), locale)
    engine = engine_for(settings)
    try:
        made = await build_export(
            create_session_factory(engine),
            Period.local_days(first, last + timedelta(days=1), settings.tz),
            as_of=SystemClock().now(),
            formats=(fmt,),
            tr=tr,
            tz=settings.timezone,
            include_identity=include_identity,
            moderation_reasons=True,  # run by whoever runs the bot: the administrators
        )
    finally:
        await engine.dispose()
    path = out or Path(made.filename(fmt, settings.tz))
    await asyncio.to_thread(path.write_bytes, made.files[fmt])
    return path, made.tickets
