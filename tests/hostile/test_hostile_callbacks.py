"""Forged, replayed and stale button presses: each is answered, none changes anything.

A Telegram client can be made to send any callback data on any message of the chat, so
the data is untrusted input: unknown prefixes, wrong field types, numbers past any
database column, other people's ticket ids, data past Telegram's 64 bytes.
"""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData

from emulator.client import ChatUser
from emulator.views import CallbackAnswer
from tests.conversations.staff import (
    deliver,
    new_ticket,
    open_card,
    press_card_button,
    press_data,
    staff_action,
)
from tests.conversations.steps import ticket_by_code, to_preview
from tests.hostile.checks import footprint
from tests.hostile.conftest import Shared, module_loop
from ui.keyboards import ReporterReply, SurveyAnswer, TicketAction

pytestmark = module_loop

BIG = "9" * 25  # past a 64-bit integer column

FORGED = {
    "unknown-prefix": "zz:1:2",
    "no-separator": "x",
    "ticket-id-not-a-number": "t:abc:accept:new",
    "unknown-card-action": "t:1:explode:new",
    "negative-ticket-id": "t:-5:accept:new",
    "huge-ticket-id": f"t:{BIG}:accept:new",
    "huge-card-to-open": f"toc:{BIG}",
    "huge-queue-page": f"tq:{BIG}",
    "negative-queue-page": "tq:-1",
    "huge-member-to-assign": f"tas:1:{BIG}:new",
    "huge-department-to-route-to": f"trt:1:{BIG}:new",
    "huge-survey-ticket": f"sv:{BIG}:satisfied",
    "huge-reply-ticket": f"rr:{BIG}",
    "huge-identity-ticket": f"tid:{BIG}",
    "huge-my-tickets-page": f"my:{BIG}",
    "huge-supplement-ticket": f"sup:{BIG}",
    "huge-status-ticket": f"sts:{BIG}",
    "huge-department-panel": f"adp:{BIG}",
    "huge-member-to-remove": f"adr:{BIG}",
    "huge-deadline": f"ddl:idle:{BIG}:{BIG}",
    "huge-ranking-year": f"rk:{BIG}:1",
    "huge-publish-preview": f"pbp:{BIG}",
    "huge-stats-department": f"st:week:{BIG}",
    "huge-supporter-survey-ticket": f"svm:{BIG}:fair",
    "unknown-supporter-rating": "svm:1:superb",
    "huge-joined-status-ticket": f"sjn:{BIG}",
    "huge-moderation-ticket": f"md:redact:{BIG}::0:0",
    "huge-moderation-record": f"md:revert:1::0:{BIG}",
    "unknown-moderation-photo-set": "md:photo:1:everything:1:0",
    "huge-reply-template": f"tpk:1:{BIG}",
    "praise-button-of-no-draft": "pr:nodraft:confirm:",
    "me-too-of-no-draft": f"rd:nodraft:join:{BIG}",
    "unknown-language": "lang:xx",
    "draft-step-path": "rd:nodraft:goto:../../etc",
    "overlong-data": "t:1:accept:" + "n" * 300,
}


async def press_forged(user: ChatUser, data: CallbackData | str) -> CallbackAnswer:
    answer = await press_data(user, data)
    assert answer.answered, f"{data!r} was not answered"
    return answer


@pytest.mark.parametrize("data", FORGED.values(), ids=FORGED.keys())
async def test_forged_data_pressed_by_an_administrator_changes_nothing(
    shared: Shared, data: str
) -> None:
    admin = await shared.admin()
    await admin.command("help")
    await admin.expect("How to report")
    before = await footprint(shared.app)

    await press_forged(admin, data)

    assert await footprint(shared.app) == before


@pytest.mark.parametrize(
    "data",
    ["t:1:accept:new", f"tas:1:{BIG}:new", f"adp:{BIG}", "tf:1:substantiated", f"tid:{BIG}"],
    ids=["card", "assign", "department-panel", "finding", "identity"],
)
async def test_staff_buttons_forged_by_a_citizen_are_refused(shared: Shared, data: str) -> None:
    citizen = await shared.citizen()
    await citizen.start()
    await citizen.expect("snap-a-photo")
    before = await footprint(shared.app)

    answer = await press_forged(citizen, data)

    assert answer.show_alert and answer.text
    assert await footprint(shared.app) == before


async def test_a_citizen_cannot_rate_or_answer_on_someone_elses_ticket(shared: Shared) -> None:
    owner, stranger = await shared.citizen("Owner"), await shared.citizen("Stranger")
    ticket = await new_ticket(shared.app, owner)
    await staff_action(shared.app, ticket.id, action="accept")
    await staff_action(shared.app, ticket.id, action="resolve", text="Done and dusted.")
    await deliver(shared.app)
    await stranger.start()
    await stranger.expect("snap-a-photo")
    before = await footprint(shared.app)
    state = (await ticket_by_code(shared.app, ticket.code)).state

    survey = await press_forged(stranger, SurveyAnswer(ticket_id=ticket.id, rating="unsatisfied"))
    reply = await press_forged(stranger, ReporterReply(ticket_id=ticket.id))

    assert survey.text and reply.text
    assert await footprint(shared.app) == before
    assert (await ticket_by_code(shared.app, ticket.code)).state == state


async def test_confirm_pressed_twice_files_one_ticket(shared: Shared) -> None:
    citizen = await shared.citizen()
    await to_preview(citizen, seed=70)
    preview = await citizen.last()
    assert preview is not None
    confirm = next(b for b in preview.inline_buttons if "Confirm" in b.text)
    assert confirm.callback_data is not None
    before = await footprint(shared.app)

    for _ in range(2):
        await shared.client.press(
            citizen.id, citizen.chat_id, preview.message_id, confirm.callback_data
        )

    await citizen.expect("Tracking code")
    assert (await footprint(shared.app)).tickets == before.tickets + 1


async def test_accept_pressed_twice_accepts_once(shared: Shared) -> None:
    supervisor = await shared.supervisor()
    ticket = await new_ticket(shared.app, await shared.citizen())
    await open_card(supervisor, ticket.code)
    data = TicketAction(ticket_id=ticket.id, action="accept", state="new")

    first = await press_data(supervisor, data)
    events = (await footprint(shared.app)).events
    second = await press_data(supervisor, data)

    assert first.text == "✅ Accepted."
    assert second.show_alert and second.text
    assert (await footprint(shared.app)).events == events


async def test_a_draft_button_after_cancel_is_answered_and_files_nothing(
    shared: Shared,
) -> None:
    citizen = await shared.citizen()
    await to_preview(citizen, seed=71)
    preview = await citizen.last()
    assert preview is not None
    confirm = next(b.callback_data for b in preview.inline_buttons if "Confirm" in b.text)
    assert confirm is not None
    await citizen.command("cancel")
    await citizen.expect("Cancelled.")
    before = await footprint(shared.app)

    answer = await shared.client.press(citizen.id, citizen.chat_id, preview.message_id, confirm)

    assert answer.show_alert and answer.text == "This draft is no longer active."
    assert await footprint(shared.app) == before


async def test_a_card_button_after_the_ticket_moved_on_is_refused_and_the_card_redrawn(
    shared: Shared,
) -> None:
    supervisor = await shared.supervisor()
    ticket = await new_ticket(shared.app, await shared.citizen())
    await open_card(supervisor, ticket.code)
    await staff_action(shared.app, ticket.id, action="reject", text="Not our business.")
    before = await footprint(shared.app)

    answer = await press_card_button(supervisor, ticket.id, "accept")

    assert answer.show_alert and answer.text
    redrawn = await supervisor.expect("Rejected")
    assert not any("Accept" in b.text for b in redrawn.inline_buttons)
    assert await footprint(shared.app) == before
