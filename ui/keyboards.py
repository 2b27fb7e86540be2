"""Callback data classes and inline keyboards shared by renderers and handlers."""

from __future__ import annotations

from collections.abc import Collection

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from tickets.findings import Finding, Sanction
from tickets.states import Action, TicketState, available_actions
from tickets.views import TicketView
from ui.render import finding_label, sanction_label


class TicketAction(CallbackData, prefix="t"):
    """A supervisor's button on a ticket card; `state` guards against stale cards."""

    ticket_id: int
    action: str
    state: str


class RevealIdentity(CallbackData, prefix="tid"):
    """ "View real-name info" on a real-name ticket's card: the identity, to the presser only."""

    ticket_id: int


class SurveyAnswer(CallbackData, prefix="sv"):
    ticket_id: int
    rating: str


# The actions offered as card buttons, in this order; the state table decides which show.
CARD_BUTTONS: tuple[Action, ...] = (
    Action.ACCEPT,
    Action.ROUTE,
    Action.ASSIGN,
    Action.ASK,
    Action.REJECT,
    Action.MARK_DUPLICATE,
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
        "route": _("🔀 Route"),
        "resolve": _("🏁 Resolve"),
    }
    return labels.get(action, action)


def card_keyboard(ticket: TicketView) -> InlineKeyboardMarkup | None:
    """The state's action buttons; a real-name ticket's card also offers its identity,
    which is never on the card itself (who may see it is checked at the press)."""
    ticket_id, state = ticket.id, ticket.state
    buttons = [
        InlineKeyboardButton(
            text=action_label(action),
            callback_data=TicketAction(ticket_id=ticket_id, action=action, state=state).pack(),
        )
        for action in card_actions(state)
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    if not ticket.anonymous:
        reveal = RevealIdentity(ticket_id=ticket_id).pack()
        rows.append([InlineKeyboardButton(text=_("🔐 View real-name info"), callback_data=reveal)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def survey_keyboard(ticket_id: int) -> InlineKeyboardMarkup:
    ratings = (
        ("satisfied", _("😊 Satisfied")),
        ("fair", _("🙂 Fairly satisfied")),
        ("unsatisfied", _("🙁 Unsatisfied")),
    )
    buttons = [
        InlineKeyboardButton(
            text=label, callback_data=SurveyAnswer(ticket_id=ticket_id, rating=rating).pack()
        )
        for rating, label in ratings
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


class ReporterReply(CallbackData, prefix="rr"):
    """The reporter's "Reply" under a department's question (anonymous relay)."""

    ticket_id: int


def reporter_reply_keyboard(ticket_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=_("💬 Reply"), callback_data=ReporterReply(ticket_id=ticket_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


# -- resolving: the finding, the actions taken, the people concerned --------------------------


class FindingChoice(CallbackData, prefix="tf"):
    """A finding pressed while resolving (`tickets.findings.Finding`)."""

    ticket_id: int
    finding: str


class SanctionToggle(CallbackData, prefix="tfs"):
    """An action taken, pressed to choose it or to drop it again."""

    ticket_id: int
    sanction: str


class SanctionsDone(CallbackData, prefix="tfd"):
    ticket_id: int


class PeopleCount(CallbackData, prefix="tfp"):
    """How many people are concerned; 0 asks for the number to be typed."""

    ticket_id: int
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

    invite_id: int
