"""Domain error codes → messages in the user's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from tickets.codes import CodeProblem, CodeReading
from tickets.errors import DomainError
from tickets.reply_templates import PLACEHOLDERS
from ui.render import state_label

UTC_ZONE = ZoneInfo("UTC")


def code_problem_text(reading: CodeReading | CodeProblem | None) -> str:
    """Say what is wrong with a typed tracking code, so the person knows what to fix."""
    problem = reading.problem if isinstance(reading, CodeReading) else reading
    if problem is CodeProblem.CHECK_MISSING:
        return _("This code is incomplete: one check character is missing at the end.")
    if problem is CodeProblem.CHECK_WRONG:
        return _("This code is not valid: please check it for a typo.")
    return _(
        "This code is not valid: a tracking code looks like SR-7K3Q-9XPA-X "
        "(letters and digits only)."
    )


_MESSAGES: dict[str, Callable[[], str]] = {
    "description_length": lambda: _(
        "The description must be {minimum}–{maximum} characters; yours has {length}."
    ),
    "unknown_category": lambda: _("Please choose a category with the buttons."),
    "category_slug": lambda: _(
        "A slug is 2–32 Latin letters, digits or _, starting with a letter, e.g. permits."
    ),
    "category_label": lambda: _("A label is one line of 1–{maximum} characters."),
    "category_exists": lambda: _("There is already a category {slug}; pick another slug."),
    "category_not_found": lambda: _("There is no category {slug}."),
    "template_placeholder": lambda: _(
        "Unknown placeholder {name}: a template may use only {allowed}. Nothing was saved."
    ),
    "template_braces": lambda: _(
        "A brace is not closed: placeholders are written like {example}, and a literal brace "
        "as {{ or }}. Nothing was saved."
    ),
    "template_finding_placeholder": lambda: _(
        "{finding} is only known when resolving: use it in official replies only. "
        "Nothing was saved."
    ),
    "template_finding_purpose": lambda: _("Only an official reply has a finding."),
    "template_title": lambda: _("A title is one line of 1–{maximum} characters."),
    "template_body": lambda: _("A template's text has 1–{maximum} characters."),
    "template_purpose": lambda: _("Please choose what the template is for with the buttons."),
    "template_not_found": lambda: _("This template is no longer available."),
    "too_many_photos": lambda: _("At most {maximum} photos per report."),
    "phone_required": lambda: _("A real-name report needs your phone number."),
    "no_reporter_chat": lambda: _(
        "This report was registered by staff: there is no chat to ask the reporter through. "
        "Use the reply contact."
    ),
    "unknown_source": lambda: _("Please choose where the report came from with the buttons."),
    "reply_contact_too_long": lambda: _(
        "The reply contact must be at most {maximum} characters: a name and a phone number, "
        "an address or an e-mail."
    ),
    "praises_per_hour": lambda: _(
        "You have sent {limit} praises in the last hour. Thank you! Please wait a little "
        "before sending another one."
    ),
    "reports_per_hour": lambda: _(
        "You have sent {limit} reports in the last hour. Thank you! Please wait a little "
        "before sending another one."
    ),
    "relay_per_hour": lambda: _(
        "You can send at most {limit} answers per hour on {ticket}. You can write again at {at}."
    ),
    "supplements_per_hour": lambda: _(
        "You can add at most {limit} supplements per hour to {ticket}. You can add more at {at}."
    ),
    "supplement_length": lambda: _(
        "Please send a photo, or a text of at most {maximum} characters."
    ),
    "ticket_not_found": lambda: _("No report with this code."),
    "illegal_transition": lambda: _("This ticket cannot do that now (it is {state})."),
    "forbidden": lambda: _("You are not allowed to do this."),
    "stale_card": lambda: _("This card is out of date: the ticket has moved on. Refreshed."),
    "not_found": lambda: _("Not found."),
    "route_target": lambda: _("Choose another department than the current one."),
    "department_not_found": lambda: _("There is no such department."),
    # Staff actions on tickets
    "not_your_department": lambda: _("This ticket belongs to another department."),
    "supervisor_only": lambda: _("Only a supervisor of the department can do this."),
    "accused_unit": lambda: _(
        "The report is about your unit: who reported it and the exchanges with them stay "
        "with the supervising office."
    ),
    "unknown_unit": lambda: _("That unit is not in the directory: choose one from the list."),
    "parent_loop": lambda: _("A department cannot be supervised by itself or a unit under it."),
    "not_staff_action": lambda: _("This action is not available to staff."),
    "not_staff": lambda: _("This is for department staff only."),
    "identity_private_only": lambda: _(
        "Real-name info is shown only in a private chat with me: open the ticket there "
        "with /ticket CODE."
    ),
    "identity_anonymous": lambda: _("This report is anonymous: its reporter is never identified."),
    # Custody of original uploads
    "original_private_only": lambda: _("Originals are sent only in a private chat with me."),
    "evidence_none": lambda: _("This report has no photos."),
    "evidence_number": lambda: _(
        "This report has {count} photo(s): give a number from 1 to {count}."
    ),
    "original_not_kept": lambda: _(
        "The original of this photo was not kept (it was filed before originals were kept)."
    ),
    "original_missing": lambda: _(
        "The original of this photo is missing from the media store. Nothing was sent; "
        "this has been logged."
    ),
    "original_unreadable": lambda: _(
        "The stored original of this photo failed its integrity check (altered, damaged or "
        "sealed with another key). Nothing was sent; this has been logged."
    ),
    "original_tampered": lambda: _(
        "The stored original of this photo does not match the fingerprint recorded when it "
        "arrived. Nothing was sent; this has been logged."
    ),
    "member_not_in_department": lambda: _(
        "That person is not a member of this ticket's department."
    ),
    "text_required": lambda: _("Please type some text."),
    "text_too_long": lambda: _("That is too long: at most {maximum} characters."),
    "duplicate_target": lambda: _("There is no other report with the code {code}."),
    "merge_target": lambda: _("There is no report with the code {code} to merge into."),
    "merge_into_itself": lambda: _("A report cannot be merged into itself."),
    "merge_target_department": lambda: _(
        "You may not act on {code}: a merge needs a supervisor of both reports' departments."
    ),
    "merge_chain": lambda: _(
        "{code} is itself merged into (or a duplicate of) another report: merge into that one."
    ),
    "merge_target_closed": lambda: _(
        "{code} is no longer open ({state}): only an open report can take another in."
    ),
    "merge_has_linked": lambda: _(
        "Other reports are merged into (or duplicates of) {code}: split or close them first."
    ),
    "not_merged": lambda: _("{code} is not merged into another report: nothing to split."),
    "finding_required": lambda: _("A resolution needs a finding: press Resolve on the card."),
    "finding_unknown": lambda: _("Please choose the finding with the buttons."),
    "sanction_unknown": lambda: _("Please choose the actions taken with the buttons."),
    "finding_needs_action": lambda: _(
        "A substantiated finding needs at least one action taken: choose one, then Done."
    ),
    "finding_no_action": lambda: _(
        "Actions and people concerned go only with a substantiated finding."
    ),
    "people_count": lambda: _("Type a whole number of people from 1 to {maximum}."),
    **{f"code_{problem}": partial(code_problem_text, problem) for problem in CodeProblem},
    "find_terms": lambda: _(
        "Not understood: {term}. Search by category, state or date (YYYY-MM-DD)."
    ),
    # The reporter's side
    "survey_answered": lambda: _("This survey has already been answered."),
    "not_joinable": lambda: _(
        "This case cannot be joined: it is no longer open, or it is not like your report. "
        "Your draft is kept."
    ),
    "not_resolved": lambda: _("This case has not been resolved yet."),
    "rating": lambda: _("Please answer with the buttons."),
    "not_reporter": lambda: _("Only the reporter of this ticket can do this."),
    "answer_length": lambda: _("Please send a text of at most {maximum} characters, or a photo."),
    # Administration
    "not_admin": lambda: _("Only administrators can do this."),
    "invite_unknown": lambda: _("This invite link is not valid."),
    "invite_used": lambda: _(
        "This invite link has already been used. Ask an administrator for a new one."
    ),
    "invite_expired": lambda: _(
        "This invite link has expired. Ask an administrator for a new one."
    ),
    "invite_not_open": lambda: _(
        "Invite #{invite} is no longer open: it was used, has expired or was revoked."
    ),
    "already_member": lambda: _("You are already a member of {name}."),
    "department_archived": lambda: _("The department {name} is archived."),
    "department_exists": lambda: _("A department called {name} already exists."),
    "department_name": lambda: _(
        "A department name has {minimum}–{maximum} characters and is not just a number."
    ),
    "department_unknown": lambda: _("No department {ref}: see /dept list."),
    "intake_required": lambda: _(
        "The intake department cannot be archived: unrouted reports land there."
    ),
    "member_unknown": lambda: _("No member #{member}."),
    "role": lambda: _("The role is supervisor or handler."),
    "group_only": lambda: _("Run this inside the department's group chat."),
    "rule_terms": lambda: _("Not understood: {term}. Use category=…, tag=… and priority=…"),
    "rule_empty": lambda: _("A rule needs a category, a tag, or both."),
    "rule_unknown": lambda: _("No routing rule #{rule}."),
    "tag_invalid": lambda: _("A tag is 1–64 characters of A–Z, a–z, 0–9, _ and -."),
    "tag_unknown": lambda: _("No place tag {tag}: register it first with /route tag."),
    "tag_place": lambda: _("Describe the place in 2–{maximum} characters."),
    "deadline_days": lambda: _(
        "Deadlines are whole working days: accept 1–{accept}, resolve from the accept days "
        "up to {resolve}."
    ),
    # Holidays set in the console
    "calendar_date": lambda: _("Not a date: “{value}”. Write it as YYYY-MM-DD, e.g. 2027-10-01."),
    "calendar_name": lambda: _("A name is one line of 1–{maximum} characters."),
    "calendar_range_backwards": lambda: _("The range ends before it begins: check “until”."),
    "calendar_range_too_long": lambda: _(
        "A range covers at most {maximum} days; a longer one is surely a typo."
    ),
    "calendar_day_taken": lambda: _(
        "{day} is already set in the console: remove it first to change it. Nothing was added."
    ),
    "calendar_day_not_found": lambda: _("No date {day} is set in the console."),
    # The transparency channel
    "no_public_channel": lambda: _(
        "No transparency channel is set up: set PUBLIC_CHANNEL_ID first."
    ),
    "publish_not_closed": lambda: _("Only closed tickets can be published; this one is: {state}."),
    "already_published": lambda: _("{code} has already been published."),
    "no_photos_left": lambda: _("Every photo of that set is hidden: publish the text only."),
    # Moderation before publishing
    "passage_not_found": lambda: _(
        "That passage is not in the text to be published (the official reply or the place); "
        "nothing was redacted."
    ),
    "moderation_reason_required": lambda: _(
        "A reason is required, in words; nothing was changed."
    ),
    "moderation_reason_too_long": lambda: _("A reason has at most {maximum} characters."),
    "photo_not_found": lambda: _("There is no photo {number} in that set."),
    "photo_already_hidden": lambda: _("Photo {number} is already hidden."),
    "moderation_not_active": lambda: _("That step is already undone."),
}


def retry_time(params: dict[str, object], tz: ZoneInfo) -> dict[str, object]:
    """`retry_at` (UTC) as the hour and minute it is then where the bot runs."""
    at = params.get("retry_at")
    shown = at.astimezone(tz).strftime("%H:%M") if isinstance(at, datetime) else "—"
    return {**params, "at": shown}


# Codes whose parameters are shown as a person reads them rather than as stored.
_SHOWN: dict[str, Callable[[dict[str, object], ZoneInfo], dict[str, object]]] = {
    "publish_not_closed": lambda p, tz: {**p, "state": state_label(str(p.get("state", "")))},
    "merge_target_closed": lambda p, tz: {**p, "state": state_label(str(p.get("state", "")))},
    "template_placeholder": lambda p, tz: {
        **p,
        "allowed": " ".join("{" + name + "}" for name in PLACEHOLDERS),
    },
    "template_braces": lambda p, tz: {**p, "example": "{code}"},
    "template_finding_placeholder": lambda p, tz: {**p, "finding": "{finding}"},
    "relay_per_hour": retry_time,
    "supplements_per_hour": retry_time,
}


def error_text(error: DomainError, tz: ZoneInfo = UTC_ZONE) -> str:
    """The error's message; times in it are read in `tz` (the bot's TIMEZONE)."""
    template = _MESSAGES.get(error.code)
    if template is None:
        return _("That did not work ({code}).").format(code=error.code)
    shown = _SHOWN.get(error.code)
    params = shown(error.params, tz) if shown else dict(error.params)
    try:
        return template().format(**params)
    except (KeyError, IndexError):
        return template()
