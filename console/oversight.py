"""Oversight pages: the `/stats` figures and charts, the ranking, the overdue list, the
audit log and the export files.

Every figure comes from what the chat answers with (`ws.stats`, `ws.exports`, the same
text and chart makers), and the same rule decides whose figures a member sees
(`tickets.stats_scope`): administrators every department, a supervisor their own; a
department asked for outside that is refused (403, and logged as a refusal). The ranking
and the audit log are for administrators, as `/ranking` and `/audit` are; an export
holds real names only for an administrator who asks, as `/export identity` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import structlog
from aiogram.utils.i18n import gettext as _
from aiohttp import web

from config.logs import user_hash
from console.backend import Staff, backend_of, render
from console.casework import PageDecorator, labels
from console.recent_stats import RECENT_STATS, RecentStats
from outbox.statistics import CHART_OUTAGE, STATS_CHARTS, stats_chart
from tickets.accused import units_kept_from_reporter
from tickets.errors import Forbidden
from tickets.measures import Period, rank_departments
from tickets.periods import PERIODS, named_period, parse_days, quarter_of, today
from tickets.ports import UpdateWorkspace
from tickets.records import Stats
from tickets.stats_scope import StatsScope, stats_scope
from tickets.views import AUDIT_KINDS
from ui.charts import Translate
from ui.i18n import translator
from ui.render import event_label, local_time
from ui.stats_text import percent, period_text, quarter_title, stats_summary

log = structlog.get_logger(__name__)
CUSTOM = "custom"
AUDIT_PAGE = 50
AUDIT_MAX_OFFSET = 5_000  # each kind reads offset + page rows: deeper is for the database
EXPORT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Choice:
    """The dashboard's form as sent: period name, custom days, department (strings)."""

    period: str = "week"
    since: str = ""
    until: str = ""
    department: str = ""

    @classmethod
    def of(cls, request: web.Request) -> Choice:
        query = request.query
        return cls(
            period=query.get("period", "week").strip() or "week",
            since=query.get("since", "").strip()[:10],
            until=query.get("until", "").strip()[:10],
            department=query.get("department", "").strip()[:12],
        )

    def query(self) -> str:
        """The choice as a query string, for the chart images and the export links."""
        return urlencode({k: v for k, v in vars(self).items() if v})


def scope_of(staff: Staff) -> StatsScope:
    scope = stats_scope(staff.actor)
    if scope is None:
        raise Forbidden("supervisor_only")
    return scope


def chosen_period(request: web.Request, ws: UpdateWorkspace, choice: Choice) -> Period | None:
    """The period asked for, or None when the custom days are not two days in order."""
    tz = backend_of(request).settings.tz
    if choice.period == CUSTOM:
        try:
            return parse_days(f"{choice.since} {choice.until}", tz)
        except ValueError:
            return None
    name = choice.period if choice.period in PERIODS else "week"
    return named_period(name, today(ws.clock, tz), tz)


def chosen_department(scope: StatsScope, choice: Choice) -> int | None:
    """The department to show (None: all): the chat's default view when none is asked for."""
    requested = int(choice.department) if choice.department.isdigit() else 0
    return scope.department(requested)


def requester_language(request: web.Request) -> Translate:
    """Charts and files are made in a worker thread: hand them the page's language."""
    i18n = backend_of(request).i18n
    return translator(i18n, i18n.current_locale)


# -- the dashboard -----------------------------------------------------------------------------


async def figures(
    request: web.Request,
    ws: UpdateWorkspace,
    period: Period,
    department_id: int | None,
    *,
    reuse: bool,
) -> Stats:
    """The period's figures: the page computes them, its chart images reuse them
    (`RecentStats`)."""
    now = ws.clock.now()
    return await request.app[RECENT_STATS].get(
        period,
        department_id,
        now=now,
        compute=lambda: ws.stats.stats(period, as_of=now, department_id=department_id),
        reuse=reuse,
    )


async def dashboard(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    scope = scope_of(staff)
    choice = Choice.of(request)
    department_id = chosen_department(scope, choice)
    period = chosen_period(request, ws, choice)
    tz = backend_of(request).settings.tz
    names = await ws.stats.department_names()
    shown = sorted((d, name) for d, (name, _archived) in names.items() if scope.covers(d))
    context: dict[str, object] = {
        "choice": choice,
        "periods": [*PERIODS, CUSTOM],
        "departments": shown,
        "all_allowed": scope.everything,
        "department_id": department_id,
        "summary": "",
        "charts": [],
        "ranking": None,
        "is_admin": staff.actor.is_admin,
        "query": choice.query(),
        # The files hold what the page shows: its period and department.
        "export_query": Choice(
            choice.period, choice.since, choice.until, str(department_id or "")
        ).query(),
    }
    if period is None:
        context["problem"] = True
        return render(request, "stats.html", context)
    stats = await figures(request, ws, period, department_id, reuse=False)
    if department_id is None:
        scope_name = _("all departments")
    else:
        scope_name = stats.departments[0].name if stats.departments else str(department_id)
    context["summary"] = stats_summary(stats, scope=scope_name, tz=tz)
    context["charts"] = list(STATS_CHARTS)
    context["period_text"] = period_text(period, tz)
    if staff.actor.is_admin:  # `/ranking` is for administrators: the quarter the period starts in
        year, quarter = quarter_of(period.start.astimezone(tz).date())
        # The quarter's figures, shared with its charts: one computation when it is the page's.
        whole = await figures(request, ws, Period.quarter(year, quarter, tz), None, reuse=True)
        context["ranking"] = rank_departments(whole.departments)
        context["ranking_title"] = quarter_title(year, quarter)
        context["percent"] = percent
    return render(request, "stats.html", context)


async def chart(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    name = request.match_info["name"]
    if name not in STATS_CHARTS:
        raise web.HTTPNotFound()
    choice = Choice.of(request)
    department_id = chosen_department(scope_of(staff), choice)
    period = chosen_period(request, ws, choice)
    if period is None:
        raise web.HTTPNotFound()
    stats = await figures(request, ws, period, department_id, reuse=True)
    try:
        drawn = await stats_chart(stats, name, requester_language(request))
    except Exception as error:  # the page's figures stand; the image says it is missing
        CHART_OUTAGE.failed(error)
        raise web.HTTPServiceUnavailable() from None
    CHART_OUTAGE.drawn()
    return web.Response(body=drawn.png, content_type="image/png")


# -- overdue -----------------------------------------------------------------------------------


async def overdue(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    """The open tickets with a yellow or red card, as the daily overdue lists give them."""
    scope = scope_of(staff)
    wanted = request.query.get("department", "").strip()
    department_id = int(wanted) if wanted.isdigit() else None
    if department_id is not None and not scope.covers(department_id):
        raise Forbidden("supervisor_only")
    tickets = [
        t
        for t in await ws.stats.carded()
        if scope.covers(t.department_id) and department_id in (None, t.department_id)
    ]
    names = await ws.stats.department_names()
    tz = backend_of(request).settings.tz
    context = {
        "tickets": tickets,
        "departments": sorted((d, n) for d, (n, _a) in names.items() if scope.covers(d)),
        "department_id": department_id,
        "local_time": lambda moment: local_time(moment, tz),
        **labels(),
    }
    return render(request, "overdue.html", context)


# -- the audit log -----------------------------------------------------------------------------


async def audit(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    if not staff.actor.is_admin:
        raise Forbidden("not_admin")
    chosen = [k for k in request.query.getall("kind", []) if k in AUDIT_KINDS]
    kinds = chosen or list(AUDIT_KINDS)
    page_text = request.query.get("page", "1")
    page = max(1, int(page_text)) if page_text.isdigit() else 1
    offset = min((page - 1) * AUDIT_PAGE, AUDIT_MAX_OFFSET)
    entries, total = await ws.audit.page(kinds=kinds, offset=offset, limit=AUDIT_PAGE)
    tz = backend_of(request).settings.tz
    more = offset + AUDIT_PAGE < min(total, AUDIT_MAX_OFFSET + AUDIT_PAGE)
    base = urlencode([("kind", k) for k in chosen])
    context = {
        "entries": entries,
        "total": total,
        "kinds": AUDIT_KINDS,
        "chosen": set(chosen),
        "page": page,
        "previous": f"?{base}&page={page - 1}" if page > 1 else None,
        "next": f"?{base}&page={page + 1}" if more else None,
        "local_time": lambda moment: local_time(moment, tz),
        "audit_kind_label": audit_kind_label,
        "audit_what": audit_what,
    }
    return render(request, "audit.html", context)


def audit_kind_label(kind: str) -> str:
    return {
        "identity": _("Real-name views"),
        "moderation": _("Moderation"),
        "purge": _("Retention purges"),
        "security": _("Security events"),
        "config": _("Configuration changes"),
    }.get(kind, kind)


def audit_what(kind: str, what: str) -> str:
    """A record's word in the reader's language where the chat has one for it."""
    if kind == "identity":
        return _("Original upload") if what == "original" else _("Name and phone")
    if kind == "moderation":
        return event_label(what)
    return what


# -- exports -----------------------------------------------------------------------------------


async def export(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    """`/export`'s file: real names only for an administrator who asks, as `/export identity`.

    Without a department it holds every department of the scope, as `/export` does; with
    one (the dashboard's link passes the one it shows), that department if in scope.
    """
    fmt = request.match_info["fmt"]
    scope = scope_of(staff)
    identity = request.query.get("identity") == "1"
    if identity and not staff.actor.is_admin:
        raise Forbidden("not_admin")
    choice = Choice.of(request)
    departments = scope.export_departments
    if choice.department.isdigit():
        departments = (int(choice.department),)
        chosen_department(scope, choice)  # refuses a department outside the scope
    period = chosen_period(request, ws, choice)
    if period is None:
        raise web.HTTPBadRequest()
    made = await ws.exports.build(
        period,
        as_of=ws.clock.now(),
        formats=(fmt,),
        tr=requester_language(request),
        department_ids=departments,
        include_identity=identity,
        moderation_reasons=staff.actor.is_admin,
        without_reporter_words_in=units_kept_from_reporter(staff.actor),
    )
    if identity:
        log.info("identity_export", user=user_hash(staff.actor.user_id), tickets=made.tickets)
    filename = made.filename(fmt, backend_of(request).settings.tz)
    return web.Response(
        body=made.files[fmt],
        content_type=EXPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def add_routes(app: web.Application, page: PageDecorator) -> None:
    app[RECENT_STATS] = RecentStats()
    app.router.add_get("/stats", page()(dashboard))
    app.router.add_get("/stats/chart/{name}.png", page()(chart))
    app.router.add_get("/overdue", page()(overdue))
    app.router.add_get("/audit", page()(audit))
    app.router.add_get(r"/export.{fmt:csv|xlsx}", page()(export))
