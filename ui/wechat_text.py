"""What a WeChat follower reads: plain text, choices numbered instead of buttons.

WeChat's customer-service messages have no inline keyboards and no HTML, so each step
lists its choices as "1 …", "2 …" and says which words it takes; the follower answers
with the digit or the word. The words offered here are the ones `keyword` recognises.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from tickets.reports import DESCRIPTION_MAX, DESCRIPTION_MIN
from tickets.supporters import Match
from tickets.views import PraiseView, TicketView
from ui.categories import offered
from ui.render import PLAIN, category_label, local_time, praise_thanks_text, state_label

TOTAL_STEPS = 6
# The custom menu's click keys (`snapreport wechat-menu` installs the menu).
MENU_REPORT, MENU_MY_TICKETS, MENU_HELP = "REPORT", "MY_TICKETS", "HELP"
PRAISE_STEPS = 3


def step_line(step: int, title: str) -> str:
    return _("Step {step}/{total} · {title}").format(step=step, total=TOTAL_STEPS, title=title)


def cancel_hint() -> str:
    return _("Reply 取消 at any time to cancel.")


def numbered(choices: list[str]) -> list[str]:
    return [f"{number} {label}" for number, label in enumerate(choices, start=1)]


def rating_labels() -> list[str]:
    """The survey's answers in `tickets.workflow.RATINGS` order."""
    return [_("Satisfied"), _("Fairly satisfied"), _("Unsatisfied")]


def menu() -> dict[str, Any]:
    """The Official Account's custom menu: report, my reports, how it works."""
    buttons = [(_("Report"), MENU_REPORT), (_("My reports"), MENU_MY_TICKETS)]
    buttons.append((_("How it works"), MENU_HELP))
    return {"button": [{"type": "click", "name": name, "key": key} for name, key in buttons]}


def help_text() -> str:
    return "\n".join(
        [
            welcome_text(),
            _("Send 我的举报 to list your reports; reply 取消 to drop an unfinished one."),
            _("Send 表扬 to praise a unit for good service."),
            _("Reports can be anonymous: the department never learns who you are."),
        ]
    )


def welcome_text() -> str:
    return "\n".join(
        [
            scanned_greeting(),
            _("Send any text to start a report; send 状态 and your tracking code to follow one."),
        ]
    )


def category_prompt() -> str:
    lines = [
        step_line(1, _("Which kind of misconduct is it?")),
        _("Reply with the number (or the words):"),
        *numbered([name for _slug, name in offered()]),
        cancel_hint(),
    ]
    return "\n".join(lines)


def unit_prompt(shown: Sequence[str], *, total: int) -> str:
    """The unit reported: the units listed by number, typing narrows, 0 is 不清楚."""
    lines = [
        step_line(1, _("Which unit is the report about?")),
        _("Reply with the number, or type (part of) the unit's name:"),
        *numbered(list(shown)),
        _("0 Not sure (不清楚)"),
    ]
    if len(shown) < total:
        lines.insert(
            2, _("Showing {shown} of {total} units.").format(shown=len(shown), total=total)
        )
    lines.append(cancel_hint())
    return "\n".join(lines)


def no_unit_matches(text: str) -> str:
    return _("No unit matches “{text}”.").format(text=text)


def describe_prompt() -> str:
    return "\n".join(
        [
            step_line(2, _("What happened?")),
            _(
                "Describe it in a few sentences: who, what, when ({minimum}–{maximum} characters)."
            ).format(minimum=DESCRIPTION_MIN, maximum=DESCRIPTION_MAX),
            cancel_hint(),
        ]
    )


def photos_prompt(count: int) -> str:
    heading = step_line(3, _("Photos"))
    return photos_step(heading, _("Send photos of what you saw, one or more (optional)."), count)


def photos_step(heading: str, invitation: str, count: int) -> str:
    """A draft's photo step: what to send, how many came, and how to go on."""
    lines = [heading, invitation, _("When done, reply 1 or 下一步 to go on.")]
    if count:
        lines.insert(1, _("Received: {count} photo(s).").format(count=count))
    return "\n".join(lines)


def photo_received(count: int) -> str:
    return "\n".join(
        [
            _("Received: {count} photo(s).").format(count=count),
            _("Send more, or reply 1 or 下一步 to go on."),
        ]
    )


def place_prompt(scanned_place: str | None = None) -> str:
    """Step 4; after a place's QR code, skipping keeps that place."""
    if scanned_place is None:
        return "\n".join(
            [
                step_line(4, _("Where did it happen?")),
                _("Type the address, or send a location (+ → Location)."),
                _("Reply 0 or 跳过 to skip."),
            ]
        )
    return "\n".join(
        [
            step_line(4, _("Where did it happen?")),
            reporting_about(scanned_place),
            _("Reply 0 or 跳过 to keep it, or type a more exact address, or send a location."),
        ]
    )


def reporting_about(place: str) -> str:
    return _("You are reporting about: {place}").format(place=place)


def scanned_greeting() -> str:
    return _("Thank you for following! Here you can report misconduct by public officials.")


def unknown_scene() -> str:
    return _(
        "This QR code names no place we know (it may be old). "
        "You can still report: send any text to start."
    )


def identity_prompt() -> str:
    return "\n".join(
        [
            step_line(5, _("Anonymous or real name?")),
            *numbered(
                [_("Anonymous (the department never sees who you are)"), _("Real-name report")]
            ),
            _("With your real name, only the handling department sees your name and phone."),
        ]
    )


def name_prompt() -> str:
    return _("Please type your name (2–64 characters).")


def phone_prompt() -> str:
    return _("Please type your phone number (digits, 5–20).")


def preview_text(data: dict[str, Any]) -> str:
    place = data.get("place_text") or (
        _("shared location") if data.get("latitude") is not None else _("not given")
    )
    identity = (
        _("anonymous")
        if data.get("anonymous", True)
        else f"{data.get('real_name') or ''} {data.get('phone') or ''}".strip()
    )
    return "\n".join(
        [
            step_line(6, _("Please check your report")),
            _("Category: {category}").format(
                category=category_label(data.get("category") or "", PLAIN)
            ),
            _("Unit reported: {name}").format(name=data.get("accused_name") or _("not sure")),
            _("Photos: {count}").format(count=len(data.get("photos", []))),
            _("Place: {place}").format(place=place),
            _("Identity: {identity}").format(identity=identity),
            "",
            data.get("description") or "",
            "",
            *numbered([_("Confirm and send"), _("Cancel")]),
        ]
    )


def submitted_text(ticket: TicketView, tz: ZoneInfo) -> str:
    return "\n".join(
        [
            _("✅ Your report has been filed."),
            _("Tracking code: {code}").format(code=ticket.code),
            _("Handled by: {department}").format(department=ticket.department_name),
            _("It will be accepted by {accept} and answered by {resolve}.").format(
                accept=local_time(ticket.accept_by, tz), resolve=local_time(ticket.resolve_by, tz)
            ),
            _("Check it any time by sending: 状态 {code}").format(code=ticket.code),
        ]
    )


def cancelled_text() -> str:
    return _("Report cancelled. Nothing was sent.")


def nothing_to_cancel() -> str:
    return _("There is no report in progress. Send any text to start one.")


def unknown_choice(count: int) -> str:
    return _("Please reply with a number from 1 to {count}.").format(count=count)


def not_understood(prompt: str) -> str:
    return "\n".join([_("That is not what this step needs."), prompt])


def unsupported_message() -> str:
    return _(
        "Voice, video, files and links cannot be taken here. "
        "Please send text, photos or a location."
    )


def photo_not_now() -> str:
    return _("Photos are taken at step 3; this photo was not kept.")


def location_not_now() -> str:
    return _("A location is taken at step 4; it was not kept.")


def place_length() -> str:
    return _("Please type an address of 2–256 characters, or reply 0 to skip.")


def name_length() -> str:
    return _("A name has 2–64 characters. Please type it again.")


def phone_invalid() -> str:
    return _("That does not look like a phone number. Please type digits only (5–20).")


def status_usage() -> str:
    return _("Send 状态 followed by your tracking code, e.g. 状态 SR-7K3Q-9XPA-X.")


def photo_download_failed() -> str:
    return _("The photo could not be fetched from WeChat. Please send it again.")


def too_many_photos(maximum: int) -> str:
    return _("At most {maximum} photos per report.").format(maximum=maximum)


def no_such_code() -> str:
    return _("No report with this code.")


def question_notice(code: str, question: str) -> str:
    return "\n".join(
        [
            _("The department handling {code} asks:").format(code=code),
            question,
            "",
            _("Reply here with your answer (as text); you stay anonymous."),
        ]
    )


# A template's `remark` is shown in full, but a long one reads badly on a phone's card.
TEMPLATE_REMARK_MAX = 180


def template_data(ticket: TicketView, notice: str, at: datetime, tz: ZoneInfo) -> dict[str, str]:
    """A template message's fields: the shape of WeChat's common 业务进度通知 templates."""
    remark = (
        notice if len(notice) <= TEMPLATE_REMARK_MAX else notice[: TEMPLATE_REMARK_MAX - 1] + "…"
    )
    return {
        "first": _("There is news on your report"),
        "keyword1": ticket.code,
        "keyword2": state_label(ticket.state),
        "keyword3": local_time(at, tz),
        "remark": _("{notice}\nWrite to us (for example 状态 {code}) to read it in full.").format(
            notice=remark, code=ticket.code
        ),
    }


def survey_prompt(code: str) -> str:
    return with_rating_choices(
        _("How was your report {code} handled? Please rate it:").format(code=code)
    )


def with_rating_choices(question: str) -> str:
    """A survey's question, then its answers numbered and how to give one."""
    return "\n".join([question, *numbered(rating_labels()), _("Reply 1, 2 or 3 (or the words).")])


def answer_passed(code: str) -> str:
    return _("✅ Your answer on {code} was passed on. You stay anonymous.").format(code=code)


def rated_text(code: str, rating_index: int, *, reopened: bool) -> str:
    lines = [
        _("Your answer on {code}: {rating}").format(
            code=code, rating=rating_labels()[rating_index]
        )
    ]
    if reopened:
        reopened_line = _("{code} has been reopened and sent back to the department.")
        lines.append(reopened_line.format(code=code))
    else:
        lines.append(_("Thank you!"))
    return "\n".join(lines)


def own_tickets_text(tickets: Sequence[TicketView], tz: ZoneInfo) -> str:
    """`我的举报`: the follower's latest reports, newest first, with how to look one up."""
    if not tickets:
        return _("You have no reports yet. Send any text to start one.")
    lines = [_("Your reports:")]
    lines += [
        f"{t.code} · {state_label(t.state)} · {local_time(t.created_at, tz)}" for t in tickets
    ]
    lines += ["", _("Send 状态 and a code for the details.")]
    return "\n".join(lines)


# -- 'me too' at the confirmation ----------------------------------------------------------------


def matches_prompt(matches: Sequence[Match]) -> str:
    """Open tickets like the draft: category, registered place, state; never more."""
    lines = [_("A similar report is already being handled:")]
    for number, match in enumerate(matches, start=1):
        facts = [category_label(match.category, PLAIN)]
        if match.place:
            facts.append(match.place)
        facts.append(state_label(match.state))
        lines.append(f"{number} " + " · ".join(facts))
    lines += [
        "",
        _(
            "If it is the same problem, reply with its number (我也遇到了): no new report is "
            "filed, and you will be told here how it is handled."
        ),
        _("Reply 确认 to file yours anyway, or 取消 to drop it."),
    ]
    return "\n".join(lines)


def joined_text(category: str) -> str:
    return _(
        "🙋 Thank you: you joined the report already being handled ({category}). "
        "No new report was filed. You will be told here how it is handled, and asked "
        "how it went."
    ).format(category=category_label(category, PLAIN))


def supporter_rated_text(rating_index: int) -> str:
    return "\n".join(
        [
            _("Your answer on the case you joined: {rating}").format(
                rating=rating_labels()[rating_index]
            ),
            _("Thank you!"),
        ]
    )


# -- praise (表扬) --------------------------------------------------------------------------------


def praise_step(step: int, title: str) -> str:
    return _("Praise {step}/{total} · {title}").format(step=step, total=PRAISE_STEPS, title=title)


def praise_unit_prompt(shown: Sequence[str], *, total: int) -> str:
    """The unit praised: listed by number, typing narrows; there is no 不清楚 here."""
    lines = [
        _("🌸 Praise good service"),
        praise_step(1, _("Which unit do you want to praise?")),
        _("Reply with the number, or type (part of) the unit's name:"),
        *numbered(list(shown)),
    ]
    if len(shown) < total:
        lines.insert(
            3, _("Showing {shown} of {total} units.").format(shown=len(shown), total=total)
        )
    if not shown:
        lines.append(_("There are no units to praise yet."))
    lines.append(praise_cancel_hint())
    return "\n".join(lines)


def praise_describe_prompt(unit: str) -> str:
    return "\n".join(
        [
            praise_step(2, _("What was good?")),
            _("Praise for {unit}: describe what was done well (5–2000 characters).").format(
                unit=unit
            ),
            praise_cancel_hint(),
        ]
    )


def praise_cancel_hint() -> str:
    return _("Reply 取消 at any time to drop this praise.")


def praise_photos_prompt(count: int) -> str:
    heading = praise_step(3, _("Photos (optional)"))
    return photos_step(heading, _("Send photos if you like."), count)


def praise_preview(data: dict[str, Any]) -> str:
    return "\n".join(
        [
            _("Please check your praise"),
            _("Unit praised: {unit}").format(unit=data.get("unit_name") or ""),
            _("Photos: {count}").format(count=len(data.get("photos", []))),
            _("The unit is not told who you are."),
            "",
            data.get("description") or "",
            "",
            *numbered([_("Confirm and send"), _("Cancel")]),
        ]
    )


def praise_thanks(praise: PraiseView) -> str:
    """The same thank-you as on Telegram, in plain text."""
    return praise_thanks_text(praise, PLAIN)


def praise_cancelled_text() -> str:
    return _("Praise cancelled. Nothing was sent.")


def praise_not_now() -> str:
    return _("You have a report in progress: finish it, or reply 取消 first.")


def praise_location_not_now() -> str:
    return _("A praise needs no location; it was not kept.")


def praise_photo_not_now() -> str:
    return _("Photos are taken at praise step 3; this photo was not kept.")


def praise_not_now_scanned() -> str:
    return _("You have a praise in progress: finish it, or reply 取消 first, then scan again.")
