"""Callback data classes and inline keyboards shared by renderers and handlers."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from tickets.findings import Finding, Sanction
from tickets.sources import OFFICE
from tickets.states import Action, TicketState, available_actions
from tickets.views import TicketView
from ui.render import finding_label, sanction_label

# Callback data is whatever a client sends. An id or a page past the database's integer
# columns must fail to unpack (the press then falls through to "no longer active") rather
# than reach SQL, which would overflow.
INT4_MAX = 2**31 - 1
DataInt = Annotated[int, Field(ge=0, le=INT4_MAX)]


class TicketAction(CallbackData, prefix="t"):
    """A supervisor's button on a ticket card; `state` guards against stale cards."""

    ticket_id: DataInt
    action: str
    state: str


class RevealIdentity(CallbackData, prefix="tid"):
    """ "View real-name info" on a real-name ticket's card: the identity, to the presser only."""

    ticket_id: DataInt


class Moderate(CallbackData, prefix="md"):
    """A moderation button under a publication's preview (`handlers.moderation`).

    `action`: `redact`, `hide` (list the photos), `photo` (hide photo `number` of the set
    `choice`), `undo` (list the active records), `revert` (record `item`).
    """

    action: str
    ticket_id: DataInt
    choice: str = ""
    number: DataInt = 0
    item: DataInt = 0


class SurveyAnswer(CallbackData, prefix="sv"):
    ticket_id: DataInt
    rating: str


class PraiseStart(CallbackData, prefix="prs"):
    """The 🌸 Praise button under the greeting: opens a praise draft (`handlers.praise`)."""


def greeting_keyboard() -> InlineKeyboardMarkup:
    """Under /start: praise good service (reporting starts with a photo or /report)."""
    button = InlineKeyboardButton(
        text=_("🌸 Praise good service"), callback_data=PraiseStart().pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


# The actions offered as card buttons, in this order; the state table decides which show.
CARD_BUTTONS: tuple[Action, ...] = (
    Action.ACCEPT,
    Action.ROUTE,
    Action.ASSIGN,
    Action.ASK,
    Action.REJECT,
    Action.MARK_DUPLICATE,
    Action.MERGE,
    Action.RESOLVE,
)


def card_actions(state: str) -> tuple[Action, ...]:
    allowed = set(available_actions(TicketState(state)))
    return tuple(action for action in CARD_BUTTONS if action in allowed)


def action_label(action: str) -> str:
    labels = {
        "accept": _("✅ Accept"),
        "assign": _("👤 Assign"),
        "ask": _("❓ Ask reporter"),
        "reject": _("↩️ Reject"),
        "mark_duplicate": _("🔁 Duplicate of…"),
        "merge": _("🔗 Merge into…"),
        "route": _("🔀 Route"),
        "resolve": _("🏁 Resolve"),
    }
    return labels.get(action, action)


def card_keyboard(ticket: TicketView, *, restricted: bool = False) -> InlineKeyboardMarkup | None:
    """The state's action buttons; a real-name ticket's card also offers its identity,
    which is never on the card itself (who may see it is checked at the press).

    `restricted`: the copy of the unit the report is about, without the ways to the
    reporter (asking them, their identity); the checks at the press refuse those anyway.
    """
    ticket_id, state = ticket.id, ticket.state
    # No asking the unit reported on, nor a report registered from a call or a letter.
    no_asking = restricted or ticket.channel == OFFICE
    actions = [a for a in card_actions(state) if not (no_asking and a is Action.ASK)]
    buttons = [
        InlineKeyboardButton(
            text=action_label(action),
            callback_data=TicketAction(ticket_id=ticket_id, action=action, state=state).pack(),
        )
        for action in actions
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    if ticket.reply_contact and not restricted:
        reveal = RevealIdentity(ticket_id=ticket_id).pack()
        rows.append([InlineKeyboardButton(text=_("🔐 View reply contact"), callback_data=reveal)])
    elif not ticket.anonymous and not restricted:
        reveal = RevealIdentity(ticket_id=ticket_id).pack()
        rows.append([InlineKeyboardButton(text=_("🔐 View real-name info"), callback_data=reveal)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def survey_keyboard(ticket_id: int) -> InlineKeyboardMarkup:
    return ratings_keyboard(lambda rating: SurveyAnswer(ticket_id=ticket_id, rating=rating))


def ratings_keyboard(answer: Callable[[str], CallbackData]) -> InlineKeyboardMarkup:
    """The three ratings in one row; `answer(rating)` is what a button sends."""
    ratings = (
        ("satisfied", _("😊 Satisfied")),
        ("fair", _("🙂 Fairly satisfied")),
        ("unsatisfied", _("🙁 Unsatisfied")),
    )
    buttons = [
        InlineKeyboardButton(text=label, callback_data=answer(rating).pack())
        for rating, label in ratings
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


class SupporterSurveyAnswer(CallbackData, prefix="svm"):
    """A supporter's rating of a case they joined with 'me too' (`tickets.supporters`)."""

    ticket_id: DataInt
    rating: str


def supporter_survey_keyboard(ticket_id: int) -> InlineKeyboardMarkup:
    return ratings_keyboard(
        lambda rating: SupporterSurveyAnswer(ticket_id=ticket_id, rating=rating)
    )


class ReporterReply(CallbackData, prefix="rr"):
    """The reporter's "Reply" under a department's question (anonymous relay)."""

    ticket_id: DataInt


def reporter_reply_keyboard(ticket_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=_("💬 Reply"), callback_data=ReporterReply(ticket_id=ticket_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


# -- resolving: the finding, the actions taken, the people concerned --------------------------


class FindingChoice(CallbackData, prefix="tf"):
    """A finding pressed while resolving (`tickets.findings.Finding`)."""

    ticket_id: DataInt
    finding: str


class SanctionToggle(CallbackData, prefix="tfs"):
    """An action taken, pressed to choose it or to drop it again."""

    ticket_id: DataInt
    sanction: str


class SanctionsDone(CallbackData, prefix="tfd"):
    ticket_id: DataInt


class PeopleCount(CallbackData, prefix="tfp"):
    """How many people are concerned; 0 asks for the number to be typed."""

    ticket_id: DataInt
    people: int


PEOPLE_BUTTONS = (1, 2, 3)


def finding_keyboard(ticket_id: int) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=finding_label(finding),
            callback_data=FindingChoice(ticket_id=ticket_id, finding=finding).pack(),
        )
        for finding in Finding
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[:2], buttons[2:]])


def sanctions_keyboard(ticket_id: int, chosen: Collection[str]) -> InlineKeyboardMarkup:
    """One toggle per sanction (✅ when chosen), then Done."""
    rows = [
        [
            InlineKeyboardButton(
                text=("✅ " if sanction in chosen else "▫️ ") + sanction_label(sanction),
                callback_data=SanctionToggle(ticket_id=ticket_id, sanction=sanction).pack(),
            )
        ]
        for sanction in Sanction
    ]
    done = SanctionsDone(ticket_id=ticket_id).pack()
    rows.append([InlineKeyboardButton(text=_("➡️ Done"), callback_data=done)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def people_keyboard(ticket_id: int) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=str(count), callback_data=PeopleCount(ticket_id=ticket_id, people=count).pack()
        )
        for count in PEOPLE_BUTTONS
    ]
    more = PeopleCount(ticket_id=ticket_id, people=0).pack()
    buttons.append(InlineKeyboardButton(text=_("More…"), callback_data=more))
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


class RevokeInvite(CallbackData, prefix="ivr"):
    """An administrator's "Revoke" beside an open invite in `/dept invites`."""

    invite_id: DataInt
