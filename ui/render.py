"""Message texts for tickets, rendered in the current locale (HTML, user text escaped).

Anything a citizen typed goes through `html.escape` here and nowhere else needs to care.
Texts a plain-text channel (WeChat) shows too take a `Markup`: `HTML` for Telegram,
`PLAIN` for channels without formatting, so both say the same from one template.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from tickets.categories import N_
from tickets.findings import Finding, Sanction, is_substantiated
from tickets.moderation import MODERATION_EVENTS, OFFICE_ACTOR
from tickets.privacy import ForgetReport
from tickets.sources import OFFICE, IntakeSource
from tickets.views import (
    IdentityViewEntry,
    PraiseView,
    ReporterIdentity,
    TicketStatus,
    TicketView,
)
from ui import categories

IDENTITY_ALERT_MAX = 200  # Telegram's limit for a callback answer's text
AUDIT_LINES_MAX = 50


@dataclass(frozen=True)
class Markup:
    """How a channel shows user text and emphasis."""

    escape: Callable[[str], str]
    bold: Callable[[str], str]


def _same(text: str) -> str:
    return text


HTML = Markup(escape=html.escape, bold=lambda text: f"<b>{text}</b>")
PLAIN = Markup(escape=_same, bold=_same)


# English message ids of the findings and sanctions; `_` or an export's `tr` translates them.
FINDING_NAMES: Final[Mapping[str, str]] = {
    Finding.SUBSTANTIATED: N_("Substantiated"),
    Finding.PARTLY: N_("Partly substantiated"),
    Finding.UNSUBSTANTIATED: N_("Unsubstantiated"),
    Finding.UNVERIFIABLE: N_("Cannot be verified"),
}
SANCTION_NAMES: Final[Mapping[str, str]] = {
    Sanction.EDUCATION: N_("Criticism and education"),
    Sanction.RECTIFY: N_("Ordered to rectify"),
    Sanction.CENSURE: N_("Circulated criticism"),
    Sanction.ADMONISH: N_("Admonishment talk"),
    Sanction.ORGANISATIONAL: N_("Organisational measures"),
    Sanction.DISCIPLINE: N_("Party or administrative sanction"),
    Sanction.JUDICIAL: N_("Referred to the judiciary"),
}

SOURCE_NAMES: Final[Mapping[str, str]] = {
    IntakeSource.TELEGRAM: N_("Telegram"),
    IntakeSource.WECHAT: N_("WeChat"),
    IntakeSource.HOTLINE_12345: N_("12345 hotline"),
    IntakeSource.PHONE: N_("Phone call"),
    IntakeSource.LETTER: N_("Letter"),
    IntakeSource.EMAIL: N_("E-mail"),
    IntakeSource.SUGGESTION_BOX: N_("Suggestion box"),
    IntakeSource.INSPECTION: N_("Undercover inspection"),
    IntakeSource.WALK_IN: N_("Walk-in"),
}


def source_label(slug: str) -> str:
    return _(SOURCE_NAMES[slug]) if slug in SOURCE_NAMES else html.escape(slug)


def finding_label(slug: str) -> str:
    return _(FINDING_NAMES[slug]) if slug in FINDING_NAMES else html.escape(slug)


def sanction_label(slug: str) -> str:
    return _(SANCTION_NAMES[slug]) if slug in SANCTION_NAMES else html.escape(slug)


def finding_lines(ticket: TicketView | TicketStatus) -> list[str]:
    """What the reporter and /status learn of the finding: never who was concerned."""
    if ticket.finding is None:
        return []
    lines = [_("Finding: {finding}").format(finding=finding_label(ticket.finding))]
    if is_substantiated(ticket.finding) and ticket.finding_actions:
        actions = _(", ").join(sanction_label(a) for a in ticket.finding_actions)
        lines.append(_("Action taken: {actions}").format(actions=actions))
    return lines


def category_label(slug: str, markup: Markup = HTML) -> str:
    """A ticket's category in the reader's language (a retired one too), escaped for `markup`."""
    return markup.escape(categories.label(slug))


def state_label(state: str) -> str:
    labels = {
        "new": _("New"),
        "accepted": _("Accepted"),
        "in_progress": _("In progress"),
        "resolved": _("Resolved"),
        "closed": _("Closed"),
        "rejected": _("Rejected"),
        "duplicate": _("Duplicate"),
        "reopened": _("Reopened"),
    }
    return labels.get(state, state)


def card_label(card: str) -> str:
    return {"yellow": _("🟨 Yellow card"), "red": _("🟥 Red card")}.get(card, "")


def local_time(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"


def card_withdrawn(code: str) -> str:
    """What a card becomes in a chat that no longer sees its ticket: the code, nothing else."""
    return _(
        "🔒 {code}: this ticket has moved to another department "
        "or you no longer have access to it."
    ).format(code=code)


def ticket_card(
    ticket: TicketView,
    tz: ZoneInfo,
    *,
    hints: tuple[str, ...] = (),
    footer: str = "",
    restricted: bool = False,
) -> str:
    """The supervisors' summary card; never the reporter's identity (see `reporter_label`).

    `restricted`: the copy of the unit the report is about, which does not even learn
    whether the reporter gave their name.
    """
    place = html.escape(ticket.place_text or "—")
    lines = [
        f"<b>{ticket.code}</b> · {state_label(ticket.state)} {card_label(ticket.card)}".strip(),
        _("Category: {category}").format(category=category_label(ticket.category)),
        _("Place: {place}").format(place=place),
        _("Filed: {time}").format(time=local_time(ticket.created_at, tz)),
        _("Accept by: {time}").format(time=local_time(ticket.accept_by, tz)),
        _("Resolve by: {time}").format(time=local_time(ticket.resolve_by, tz)),
        _("Department: {name}").format(name=html.escape(ticket.department_name)),
        *accused_lines(ticket),
        _("Reporter: {who}").format(
            who=_("withheld from the unit reported") if restricted else reporter_label(ticket)
        ),
        "",
        html.escape(ticket.description),
    ]
    if hints:
        lines += ["", _("⚠️ Possible duplicate of: {codes}").format(codes=", ".join(hints))]
    if footer:
        lines += ["", footer]
    return "\n".join(lines)


def accused_lines(ticket: TicketView, markup: Markup = HTML) -> list[str]:
    """The card's 被反映单位 line, when the reporter named a unit."""
    if ticket.accused_department_name is None:
        return []
    name = markup.escape(ticket.accused_department_name)
    return [_("Unit reported: {name}").format(name=name)]


def reporter_label(ticket: TicketView) -> str:
    """Whether the reporter gave their name, never the name: a card reaches group chats.

    The identity of a real-name reporter is shown on request, to one person at a time
    (the card's "View real-name info" button, `tickets.disclosure`).
    """
    if ticket.channel == OFFICE:
        # Whom to answer is identity too: the card says only whether the office has one.
        source = source_label(ticket.intake_source)
        if ticket.reply_contact:
            return _("via {source}, reply contact on record (press “View reply contact”)").format(
                source=source
            )
        return _("via {source}, no reply contact").format(source=source)
    if ticket.anonymous:
        return _("anonymous")
    return _("real name (press “View real-name info”)")


def identity_alert(identity: ReporterIdentity) -> str:
    """The identity as an alert only its presser sees (plain text, at most 200 characters)."""
    if identity.reply_contact:
        text = _("🔐 {code}\nReply contact: {contact}\nThis view is recorded.")
        room = IDENTITY_ALERT_MAX - len(text.format(code=identity.code, contact=""))
        return text.format(code=identity.code, contact=identity.reply_contact[: max(room, 0)])
    text = _("🔐 {code}\nReal name: {name}\nPhone: {phone}\nThis view is recorded.")
    room = IDENTITY_ALERT_MAX - len(text.format(code=identity.code, name="", phone=""))
    phone = identity.phone[: max(room, 0)]
    name = identity.real_name
    if len(name) > room - len(phone):
        name = name[: max(room - len(phone) - 1, 0)] + "…"
    return text.format(code=identity.code, name=name, phone=phone)[:IDENTITY_ALERT_MAX]


def identity_views_text(
    ticket: TicketView, views: Sequence[IdentityViewEntry], tz: ZoneInfo
) -> str:
    """`/audit CODE`: every look at the reporter's identity, oldest first."""
    title = _("<b>Identity views of {code}</b>").format(code=ticket.code)
    # An anonymous report's photos can still be taken out of custody: those are listed.
    if ticket.anonymous and not views:
        return title + "\n" + _("An anonymous report: its reporter is never identified.")
    if not views:
        return title + "\n" + _("Nobody has viewed the reporter's identity.")
    lines = [title]
    lines += [
        f"{local_time(view.at, tz)} · {identity_viewer(view)}{what_was_seen(view)}"
        for view in views
    ]
    lines = lines[: AUDIT_LINES_MAX + 1]
    if len(views) > AUDIT_LINES_MAX:
        lines.append(_("…and {count} more.").format(count=len(views) - AUDIT_LINES_MAX))
    return "\n".join(lines)


def what_was_seen(view: IdentityViewEntry) -> str:
    """Nothing for a look at the name and phone; which photo for an original handed over."""
    if view.kind != "original":
        return ""
    if view.evidence_number is None:
        return " · " + _("original upload of a photo since deleted")
    return " · " + _("original upload of photo {number}").format(number=view.evidence_number)


def identity_viewer(view: IdentityViewEntry) -> str:
    """A member by name, role and department; an administrator by their pseudonym."""
    pseudonym = f"<code>{html.escape(view.viewer_hash)}</code>"
    if view.member_id is None:
        return _("an administrator") + f" · {pseudonym}"
    name = html.escape(view.member_name or _("member #{id}").format(id=view.member_id))
    department = html.escape(view.department_name or "—")
    return f"{name} · {role_label(view.role)} · {department} · {pseudonym}"


def submitted_text(ticket: TicketView, tz: ZoneInfo) -> str:
    return "\n".join(
        [
            _("✅ Your report has been filed."),
            _("Tracking code: <code>{code}</code>").format(code=ticket.code),
            _("Handled by: {department}").format(department=html.escape(ticket.department_name)),
            _("It will be accepted by {accept} and answered by {resolve}.").format(
                accept=local_time(ticket.accept_by, tz), resolve=local_time(ticket.resolve_by, tz)
            ),
            _("Check it any time with /status {code}").format(code=ticket.code),
        ]
    )


def praise_thanks_text(praise: PraiseView, markup: Markup = HTML) -> str:
    """What a citizen is told once their praise is stored: no code, nothing to follow."""
    return "\n".join(
        [
            _("🌸 Thank you! Your praise has been passed on to {unit}.").format(
                unit=markup.escape(praise.department_name)
            ),
            _("Praise counts in the units' statistics and ranking; there is nothing to track."),
        ]
    )


def praise_notice(praise: PraiseView, tz: ZoneInfo) -> str:
    """What the praised unit's chats read: the words and when, never who sent them."""
    lines = [
        _("🌸 <b>Praise for {unit}</b>").format(unit=html.escape(praise.department_name)),
        _("A citizen praised your service on {day}:").format(
            day=local_time(praise.created_at, tz)
        ),
        "",
        html.escape(praise.description),
    ]
    if praise.photos:
        lines += ["", _("Photos: {count}").format(count=len(praise.photos))]
    lines += ["", _("For your information: praise needs no action.")]
    return "\n".join(lines)


def registered_text(ticket: TicketView, tz: ZoneInfo) -> str:
    """What the staff member who registered a report (`/new`) is shown once it is filed."""
    return "\n".join(
        [
            _("✅ Registered as <code>{code}</code> ({source}).").format(
                code=ticket.code, source=source_label(ticket.intake_source)
            ),
            _("Handled by: {department}").format(department=html.escape(ticket.department_name)),
            _("To be accepted by {accept} and answered by {resolve}.").format(
                accept=local_time(ticket.accept_by, tz), resolve=local_time(ticket.resolve_by, tz)
            ),
            _("You will be told here when there is a reply to pass on."),
        ]
    )


def pass_on_notice(ticket: TicketView, kind: str, text: str | None) -> str:
    """To the registrar of a report received elsewhere: the outcome to pass on, and to whom."""
    head = {
        "resolved": _("Report {code} ({source}) is resolved. Official reply:\n{text}"),
        "rejected": _("Report {code} ({source}) was not taken up. Reason: {text}"),
        "duplicate": _("Report {code} ({source}) concerns a case already handled: {text}."),
    }[kind].format(
        code=ticket.code, source=source_label(ticket.intake_source), text=html.escape(text or "")
    )
    lines = [head, *finding_lines(ticket)] if kind == "resolved" else [head]
    if ticket.reply_contact:
        contact = html.escape(ticket.reply_contact)
        lines += ["", _("📞 Please pass this reply on to: {contact}").format(contact=contact)]
    else:
        lines += ["", _("No reply contact was recorded: file the reply as your office does.")]
    return "\n".join(lines)


def status_text(ticket: TicketStatus, tz: ZoneInfo, markup: Markup = HTML) -> str:
    """What anyone holding the code may see: never identity or evidence."""
    escape = markup.escape
    lines = [
        markup.bold(ticket.code),
        _("Status: {state}").format(state=state_label(ticket.state)),
        _("Category: {category}").format(category=category_label(ticket.category, markup)),
        _("Department: {name}").format(name=escape(ticket.department_name)),
        _("Filed: {time}").format(time=local_time(ticket.created_at, tz)),
    ]
    if ticket.state in {"new", "reopened"}:
        lines.append(_("Accept by: {time}").format(time=local_time(ticket.accept_by, tz)))
    if ticket.state in {"new", "accepted", "in_progress", "reopened"}:
        lines.append(_("Resolve by: {time}").format(time=local_time(ticket.resolve_by, tz)))
    if ticket.public_reply:
        lines += ["", *finding_lines(ticket), _("Official reply:"), escape(ticket.public_reply)]
    if ticket.reject_reason and ticket.state == "rejected":
        lines += ["", _("Reason: {reason}").format(reason=escape(ticket.reject_reason))]
    return "\n".join(lines)


def joined_status_text(ticket: TicketView, tz: ZoneInfo) -> str:
    """A case the citizen joined, as they may see it: never its code, reporter or words."""
    lines = [
        _("<b>🤝 A case you joined</b>"),
        _("Status: {state}").format(state=state_label(ticket.state)),
        _("Category: {category}").format(category=category_label(ticket.category)),
        _("Department: {name}").format(name=html.escape(ticket.department_name)),
        _("Filed: {time}").format(time=local_time(ticket.created_at, tz)),
    ]
    if ticket.state in {"new", "accepted", "in_progress", "reopened"}:
        lines.append(_("Resolve by: {time}").format(time=local_time(ticket.resolve_by, tz)))
    if ticket.public_reply:
        reply = html.escape(ticket.public_reply)
        lines += ["", *finding_lines(ticket), _("Official reply:"), reply]
    return "\n".join(lines)


# -- staff side: card footers, history, queues ----------------------------------------------


def event_label(kind: str) -> str:
    labels = {
        "submitted": _("📥 Filed"),
        "accept": _("✅ Accepted"),
        "assign": _("👤 Assigned"),
        "start": _("▶️ Started"),
        "ask": _("❓ Question to the reporter"),
        "answer": _("💬 The reporter answered"),
        "supplement": _("➕ The reporter added material"),
        "reject": _("↩️ Rejected"),
        "mark_duplicate": _("🔁 Marked as duplicate"),
        "merge": _("🔗 Merged into another report"),
        "merged_in": _("🔗 Another report merged in"),
        "split": _("✂️ Split off again"),
        "split_out": _("✂️ A merged report split off again"),
        "resolve": _("🏁 Resolved"),
        "result_photos": _("🖼 Result photos sent"),
        "rated": _("⭐ Rated by the reporter"),
        "reopened": _("🔁 Reopened: the reporter is not satisfied"),
        "survey_comment": _("💬 The reporter commented on the survey"),
        "auto_closed": _("🔒 Closed (no survey answer)"),
        "yellow_card": _("🟨 Yellow card"),
        "red_card": _("🟥 Red card"),
        "route": _("➡️ Routed"),
        "moderation_redact": _("✂️ Passage redacted for publication"),
        "moderation_hide": _("🙈 Photo hidden from publication"),
        "moderation_revert": _("↩️ Publication moderation reverted"),
        "supporter_joined": _("👥 Another citizen joined: me too"),
        "supporter_rated": _("⭐ Rated by a supporter"),
    }
    return labels.get(kind, html.escape(kind))


def actor_label(actor_kind: str, actor_name: str | None) -> str:
    """Staff by name; the reporter only ever as "the reporter"."""
    if actor_kind == "member":
        return html.escape(actor_name) if actor_name else _("an administrator")
    if actor_kind == "reporter":
        return _("the reporter")
    if actor_kind == "supporter":
        return _("a supporter")
    if actor_kind == OFFICE_ACTOR:  # a moderation step, as department members read it
        return _("moderated by the supervision office")
    return _("the system")


def action_line(
    kind: str, actor_kind: str, actor_name: str | None, at: datetime, tz: ZoneInfo
) -> str:
    return _("{action} — {who}, {time}").format(
        action=event_label(kind), who=actor_label(actor_kind, actor_name), time=local_time(at, tz)
    )


def card_footer(
    *,
    tz: ZoneInfo,
    last: tuple[str, str, str | None, datetime] | None,
    handler_name: str | None,
    duplicates: tuple[str, ...] = (),
    original_code: str | None = None,
    text: str | None = None,
    supporters: int = 0,
) -> str:
    """Below the card: who did the last thing and when, the handler, the linked tickets."""
    lines = []
    if last is not None and last[0] in MODERATION_EVENTS:
        # Cards are read in the department's chats: moderation is the office's, unnamed.
        lines.append(action_line(last[0], OFFICE_ACTOR, None, last[3], tz))
    elif last is not None:
        lines.append(action_line(*last, tz))
    if text:
        lines.append(html.escape(text))
    if handler_name:
        lines.append(_("Handler: {name}").format(name=html.escape(handler_name)))
    if original_code:
        lines.append(_("Duplicate of: {code}").format(code=original_code))
    if duplicates:
        lines.append(_("Linked duplicates: {codes}").format(codes=", ".join(duplicates)))
    if supporters:
        lines.append(_("👥 Supporters: {count}").format(count=supporters))
    return "\n".join(lines)


def deadline_marker(ticket: TicketView, now: datetime) -> str:
    """🟥/🟨 for carded tickets, ⏰ for a deadline already passed without a card yet."""
    if ticket.card == "red":
        return "🟥"
    if ticket.card == "yellow":
        return "🟨"
    deadline = ticket.accept_by if ticket.state == "new" else ticket.resolve_by
    return "⏰" if deadline is not None and deadline <= now else "▫️"


def queue_line(ticket: TicketView, tz: ZoneInfo, now: datetime) -> str:
    deadline = ticket.accept_by if ticket.state == "new" else ticket.resolve_by
    due = (_("accept by {time}") if ticket.state == "new" else _("resolve by {time}")).format(
        time=local_time(deadline, tz)
    )
    return (
        f"{deadline_marker(ticket, now)} <code>{ticket.code}</code> · {state_label(ticket.state)}"
        f" · {due}\n    {category_label(ticket.category)} · {html.escape(ticket.department_name)}"
    )


def role_label(role: str) -> str:
    return {"supervisor": _("supervisor"), "handler": _("handler")}.get(role, role)


def quarantine_notice(update_id: int, failures: int) -> str:
    """The administrators' message about an update set aside after failing repeatedly."""
    return _(
        "⚠️ <b>An update was set aside</b>\n"
        "Update {update_id} failed {failures} times and will not be handled again, so it "
        "cannot stop the bot at every restart. The log lines with update_id={update_id} say "
        "why; the person who sent it may need to send it again."
    ).format(update_id=update_id, failures=failures)


def forget_text(report: ForgetReport) -> str:
    """What `/forget` did in the chat: deletions under way, messages too old to delete."""
    if not report.deleting and not report.too_old:
        return _("There is no message of mine left to delete in this chat.")
    lines = [_("🧹 Deleting {count} of my messages in this chat.").format(count=report.deleting)]
    if report.too_old:
        lines.append(
            _(
                "{count} are older than 48 hours: Telegram no longer lets me delete them. "
                "You can delete them yourself, or delete the whole chat."
            ).format(count=report.too_old)
        )
    lines.append(_("Your reports are not affected: /status with a tracking code still works."))
    return "\n".join(lines)
