"""Statistics as chat text: `/stats` summaries, rankings, digests, overdue lists and the
transparency channel's posts, in the current locale (HTML; names and replies escaped).

The figures come from `storage.stats` and their definitions from `tickets.measures`; this
module only words them, so `/stats`, the digests and the channel always agree.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from tickets.measures import (
    DepartmentMeasures,
    Measures,
    Period,
    RankEntry,
    Ranking,
    RankingWeights,
    SourceMeasures,
    Spread,
)
from tickets.publishing import PublicSummary
from tickets.records import CardedTicket, Stats
from tickets.sources import IntakeSource
from ui.render import category_label, local_time, source_label

DEPARTMENT_LINES = 25
RANKING_ENDS = 10
UNRANKED_NAMES = 15
MESSAGE_MAX = 3900  # Telegram's 4096, less room for what HTML entities add
OVERDUE_LINES = 30
REPLY_MAX = 1500


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def period_text(period: Period, tz: ZoneInfo) -> str:
    """The local days of `period`, first and last included: "2026-11-23 – 2026-11-29"."""
    first = period.start.astimezone(tz).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(tz).date()
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def _rate_of(value: float | None, part: int, whole: int) -> str:
    if value is None:
        return _("— (nothing due yet)")
    return _("{rate} ({part} of {whole})").format(rate=percent(value), part=part, whole=whole)


def _spread(spread: Spread) -> str:
    if spread.median is None or spread.p90 is None:
        return "—"
    return _("median {median:.1f} h, 90% within {p90:.1f} h").format(
        median=spread.median, p90=spread.p90
    )


def _top(items: Sequence[tuple[str, int]], label: bool) -> str:
    if not items:
        return "—"
    return " · ".join(
        f"{category_label(name) if label else html.escape(name)} {count}" for name, count in items
    )


def dealt_with(m: Measures) -> str:
    """查处 X 件、处理 Y 人: substantiated cases and the people concerned."""
    c = m.counts
    return _("{cases} substantiated, {people} dealt with").format(
        cases=c.substantiated, people=c.people_concerned
    )


def findings_line(m: Measures) -> str:
    """The findings of the resolutions standing in the period, and the substantiation rate."""
    c = m.counts
    rate = "—"
    if m.substantiation_rate is not None:
        rate = _("{rate} ({part} of {whole})").format(
            rate=percent(m.substantiation_rate), part=c.substantiated, whole=c.with_finding
        )
    return (
        _("Findings on cases resolved: {dealt}").format(dealt=dealt_with(m))
        + " · "
        + _("substantiation rate {rate}").format(rate=rate)
    )


def praise_line(count: int) -> str:
    """How many praises (表扬) came in: counted beside the tickets, in no rate."""
    return _("🌸 Praise received: {count}").format(count=count)


def praise_count(count: int) -> str:
    return _("🌸 {count} praise").format(count=count)


def measures_lines(m: Measures) -> list[str]:
    """The figures of one period, one per line (the body of `/stats` and the digest)."""
    c = m.counts
    received = _("Received: {count}").format(count=c.received)
    if c.received > c.actionable:
        received += " " + _("({count} rejected or duplicate)").format(
            count=c.received - c.actionable
        )
    satisfaction = _("Satisfaction: {rate}").format(
        rate=_rate_of(m.satisfaction_rate, c.satisfied + c.fair, c.answered)
    )
    if c.default_satisfied:
        satisfaction += "; " + _("{count} unanswered survey(s) counted apart").format(
            count=c.default_satisfied
        )
    return [
        received,
        praise_line(c.praises),
        _("Accepted on time: {rate}").format(
            rate=_rate_of(m.on_time_accept_rate, c.accepted_on_time, c.accept_due)
        ),
        _("Replied: {rate}").format(rate=_rate_of(m.reply_rate, c.replied, c.reply_due)),
        _("Resolved on time: {rate}").format(
            rate=_rate_of(m.on_time_resolve_rate, c.resolved_on_time, c.resolve_due)
        ),
        satisfaction,
        _("Reopened: {rate} · 🟨 {yellow} · 🟥 {red}").format(
            rate=percent(m.reopen_rate), yellow=c.yellow_cards, red=c.red_cards
        ),
        findings_line(m),
        _("Time to accept (working hours): {spread}").format(spread=_spread(m.accept_hours)),
        _("Time to resolve (working hours): {spread}").format(spread=_spread(m.resolve_hours)),
        _("Top categories: {items}").format(items=_top(m.top_categories, label=True)),
        _("Top places: {items}").format(items=_top(m.top_places, label=False)),
    ]


def source_line(source: SourceMeasures) -> str:
    m = source.measures
    return _("{source}: {received} received · resolved on time {on_time}").format(
        source=source_label(source.source),
        received=m.counts.received,
        on_time=percent(m.on_time_resolve_rate),
    )


def sources_block(sources: Sequence[SourceMeasures]) -> list[str]:
    """Where the tickets came from, when that is more than citizens' Telegram chats."""
    if [s.source for s in sources] in ([], [IntakeSource.TELEGRAM]):
        return []
    return ["", _("<b>By source</b>"), *map(source_line, sources)]


def department_line(department: DepartmentMeasures) -> str:
    m = department.measures
    return _(
        "{name}: {received} received · resolved on time {on_time} · satisfied {satisfied} · "
        "🟨 {yellow} 🟥 {red}"
    ).format(
        name=html.escape(department.name),
        received=m.counts.received,
        on_time=percent(m.on_time_resolve_rate),
        satisfied=percent(m.satisfaction_rate),
        yellow=m.counts.yellow_cards,
        red=m.counts.red_cards,
    ) + (" · " + praise_count(m.counts.praises) if m.counts.praises else "")


def departments_block(
    departments: Sequence[DepartmentMeasures], shown: int = DEPARTMENT_LINES
) -> list[str]:
    lines = ["", _("<b>By department</b>")]
    lines += [department_line(d) for d in departments[:shown]]
    if len(departments) > shown:
        lines.append(
            _("…and {count} more: /export has them all.").format(count=len(departments) - shown)
        )
    return lines


def with_departments(head: list[str], departments: Sequence[DepartmentMeasures]) -> str:
    """`head`, then as many department lines as fit in one Telegram message."""
    shown = DEPARTMENT_LINES
    while True:
        text = "\n".join(head + departments_block(departments, shown))
        if len(text) <= MESSAGE_MAX or shown == 0:
            return text
        shown = min(shown, len(departments)) // 2  # long names: fewer lines


def stats_summary(stats: Stats, *, scope: str, tz: ZoneInfo) -> str:
    """The `/stats` message: what, when, the figures, and each department when several."""
    lines = [
        _("📊 <b>Statistics · {scope}</b>").format(scope=html.escape(scope)),
        _("Tickets received {period}").format(period=period_text(stats.period, tz)),
        "",
        *measures_lines(stats.overall),
        *sources_block(stats.sources),
    ]
    if len(stats.departments) > 1:
        return with_departments(lines, stats.departments)
    return "\n".join(lines)


def weights_text(weights: RankingWeights) -> str:
    return _(
        "Score (0–100) = {resolution:.0%} on-time resolution + {satisfaction:.0%} satisfaction "
        "+ {kept:.0%} not reopened; a part without data yet is left out."
    ).format(
        resolution=weights.on_time_resolution,
        satisfaction=weights.satisfaction,
        kept=weights.not_reopened,
    )


def ranking_text(ranking: Ranking, *, title: str) -> str:
    """Every ranked department with its score and parts; the best and the worst named."""
    lines = [_("🏆 <b>Department ranking · {title}</b>").format(title=html.escape(title)), ""]
    if not ranking.entries:
        lines.append(_("No department can be ranked yet: nothing was due or rated."))
    entries: list[RankEntry | None] = list(ranking.entries)
    if len(entries) > 2 * RANKING_ENDS:  # the top and the bottom are what gets read
        entries = [*entries[:RANKING_ENDS], None, *entries[-RANKING_ENDS:]]
    for entry in entries:
        if entry is None:
            lines.append("…")
            continue
        m = entry.measures
        lines.append(
            _(
                "{rank}. {name} — {score:.1f} · on time {on_time} · satisfied {satisfied} · "
                "reopened {reopened}"
            ).format(
                rank=entry.rank,
                name=html.escape(entry.name),
                score=100 * entry.score,
                on_time=percent(m.on_time_resolve_rate),
                satisfied=percent(m.satisfaction_rate),
                reopened=percent(m.reopen_rate),
            )
            + " · "
            + dealt_with(m)
            + " · "
            + _("substantiation rate {rate}").format(rate=percent(m.substantiation_rate))
            + " · "
            + praise_count(m.counts.praises)
        )
    if ranking.best is not None:
        lines += ["", _("🥇 Best: {name}").format(name=html.escape(ranking.best.name))]
    if ranking.worst is not None:
        lines.append(_("🔻 Worst: {name}").format(name=html.escape(ranking.worst.name)))
    if ranking.unranked:
        names = ", ".join(
            html.escape(d.name)
            + (f" ({praise_count(n)})" if (n := d.measures.counts.praises) else "")
            for d in ranking.unranked[:UNRANKED_NAMES]
        )
        if len(ranking.unranked) > UNRANKED_NAMES:
            names += " …"
        lines.append(_("Not ranked (no figures yet): {names}").format(names=names))
    lines += ["", weights_text(ranking.weights)]
    return "\n".join(lines)


def quarter_title(year: int, quarter: int) -> str:
    return _("{year} Q{quarter}").format(year=year, quarter=quarter)


def weekly_digest_text(stats: Stats, tz: ZoneInfo, *, flagged: Sequence[str] = ()) -> str:
    """The administrators' Monday digest of last week; `flagged`: the departments ranked
    last two quarters running."""
    lines = [
        _("🗓 <b>Weekly digest</b> · {period}").format(period=period_text(stats.period, tz)),
        "",
        *measures_lines(stats.overall),
    ]
    for name in flagged:
        lines += [
            "",
            _("🚩 {name} was ranked last two quarters running (/ranking).").format(
                name=html.escape(name)
            ),
        ]
    lines += ["", _("Charts: /stats · files: /export · ranking: /ranking")]
    return with_departments(lines, stats.departments) if stats.departments else "\n".join(lines)


def overdue_text(department: str, tickets: Sequence[CardedTicket], tz: ZoneInfo) -> str:
    """A department's daily list of its open tickets with a yellow or red card."""
    lines = [
        _("⏰ <b>Overdue tickets of {name}</b> · {count}").format(
            name=html.escape(department), count=len(tickets)
        )
    ]
    for ticket in tickets[:OVERDUE_LINES]:
        mark = "🟥" if ticket.card == "red" else "🟨"
        lines.append(
            _("{mark} <code>{code}</code> · {category} · due {due}").format(
                mark=mark,
                code=ticket.code,
                category=category_label(ticket.category),
                due=local_time(ticket.due, tz),
            )
        )
    if len(tickets) > OVERDUE_LINES:
        lines.append(_("…and {count} more.").format(count=len(tickets) - OVERDUE_LINES))
    lines.append(_("Open one with /ticket CODE; /queue lists every open ticket."))
    return "\n".join(lines)


def monthly_public_text(stats: Stats, tz: ZoneInfo) -> str:
    """The month's figures for the transparency channel: totals and each department."""
    m = stats.overall
    c = m.counts
    lines = [
        _("📊 <b>Figures for {period}</b>").format(period=period_text(stats.period, tz)),
        "",
        _("Reports received: {received} · resolved: {resolved}").format(
            received=c.received, resolved=c.resolved
        ),
        praise_line(c.praises),
        _("Accepted on time: {rate}").format(rate=percent(m.on_time_accept_rate)),
        _("Replied: {rate}").format(rate=percent(m.reply_rate)),
        _("Resolved on time: {rate}").format(rate=percent(m.on_time_resolve_rate)),
        _("Satisfaction: {rate}").format(rate=percent(m.satisfaction_rate)),
        findings_line(m),
    ]
    active = [
        d for d in stats.departments if d.measures.counts.received or d.measures.counts.praises
    ]
    return with_departments(lines, active) if active else "\n".join(lines)


def satisfaction_label(rating: str | None) -> str:
    labels = {
        "satisfied": _("Satisfied"),
        "fair": _("Fairly satisfied"),
        "unsatisfied": _("Unsatisfied"),
    }
    return labels.get(rating or "", _("not rated"))


def _day(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).date().isoformat() if moment else "—"


def public_ticket_text(summary: PublicSummary, tz: ZoneInfo) -> str:
    """A closed ticket as the transparency channel shows it: no reporter, no code."""
    lines = [
        _("📢 <b>A report has been handled</b>"),
        _("Category: {category}").format(category=category_label(summary.category)),
        _("Handled by: {department}").format(department=html.escape(summary.department)),
    ]
    if summary.place:
        lines.append(_("Place: {place}").format(place=html.escape(summary.place)))
    resolved = _day(summary.resolved_at, tz)
    if summary.resolved_on_time is True:
        resolved += " " + _("(on time)")
    elif summary.resolved_on_time is False:
        resolved += " " + _("(late)")
    lines.append(
        _("Filed: {filed} · resolved: {resolved}").format(
            filed=_day(summary.filed_at, tz), resolved=resolved
        )
    )
    if summary.reply:
        reply = summary.reply
        if len(reply) > REPLY_MAX:
            reply = reply[: REPLY_MAX - 1] + "…"
        lines += ["", _("Official reply:"), html.escape(reply)]
    rating = satisfaction_label(summary.satisfaction)
    lines += ["", _("Reporter's rating: {rating}").format(rating=rating)]
    return "\n".join(lines)
