"""Messages that cannot be delivered: administrators hear of dead rows, once per ticket and
chat and never of their own dead notices; a reporter who blocked the bot is reachable again
once they write to it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from outbox.dispatcher import purge_sent
from storage.models import Department
from tests.conftest import ADMIN_ID
from tests.conversations.staff import (
    deliver,
    make_department_with_rule,
    new_ticket,
    outbox,
    prefer_language,
    staff_action,
)
from tests.conversations.steps import file_report, reporter_of
from tickets.clock import ManualClock

MISSING_GROUP = -1_009_999_999  # a chat the emulator does not know: 400 "chat not found"
SECOND_ADMIN_ID = 700_000_009


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Two administrators, so that one's dead notice could become the other's news."""
    return settings.model_copy(update={"admin_ids": frozenset({ADMIN_ID, SECOND_ADMIN_ID})})


@pytest.fixture
async def second_admin(client: EmulatorClient, app: SnapreportApp) -> ChatUser:
    return await client.chat_user(user_id=SECOND_ADMIN_ID, first_name="Li", language_code="en")


async def department_in_a_missing_group(app: SnapreportApp) -> None:
    """Reports of the category "idle" go to a department bound to a group that is gone."""
    department_id = await make_department_with_rule(app, "Vehicle Office", category="idle")
    async with app.session_factory() as session, session.begin():
        await session.execute(
            update(Department)
            .where(col(Department.id) == department_id)
            .values(group_chat_id=MISSING_GROUP)
        )


async def test_administrators_hear_of_a_dead_message_once_per_ticket(
    app: SnapreportApp, admin: ChatUser, second_admin: ChatUser, citizen: ChatUser
) -> None:
    await prefer_language(app, admin, second_admin, citizen)
    await department_in_a_missing_group(app)
    code = await file_report(citizen)  # its photo and its card both die at once
    await deliver(app)

    for administrator in (admin, second_admin):
        notice = await administrator.expect(f"⚠️ Messages for {code} could not be delivered")
        assert "sendPhoto → group: TelegramBadRequest: Bad Request: chat not found" in (
            notice.content
        )
        assert "/dead — messages that could not be delivered" in notice.content
        await administrator.expect_nothing()
    rows = await outbox(app)
    assert sorted(r.purpose or r.method for r in rows if r.state == "dead") == [
        "card",
        "sendPhoto",
    ]
    assert [r.state for r in rows if r.purpose == "admin:dead_letter"] == ["sent", "sent"]

    await admin.command("dead")
    listed = await admin.expect("Undelivered messages")
    assert f"sendMessage · card · group · {code}" in listed.content


async def test_a_dead_notice_to_an_administrator_is_never_reported(
    app: SnapreportApp, admin: ChatUser, second_admin: ChatUser, citizen: ChatUser
) -> None:
    await prefer_language(app, admin, second_admin, citizen)
    await department_in_a_missing_group(app)
    await admin.block()
    await second_admin.block()
    await new_ticket(app, citizen)  # no photo: only its card dies
    await deliver(app)
    await deliver(app)

    dead = [r.purpose for r in await outbox(app) if r.state == "dead"]
    # The card, and one notice to each administrator: nothing about the notices.
    assert sorted(dead) == ["admin:dead_letter", "admin:dead_letter", "card"]
    assert [r.purpose for r in await outbox(app) if r.state != "dead"] == []


async def test_a_reporter_who_blocked_the_bot_is_reachable_again_after_start(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, supervisor: ChatUser
) -> None:
    await prefer_language(app, admin, citizen, supervisor)
    ticket = await new_ticket(app, citizen)
    await citizen.block()
    await staff_action(app, ticket.id, action="accept")
    await deliver(app)
    reporter = await reporter_of(app, citizen.id)
    assert reporter is not None and not reporter.reachable
    notice = await admin.expect(f"Messages for {ticket.code} could not be delivered")
    assert "reporter:accepted → person: TelegramForbiddenError" in notice.content
    assert str(citizen.id) not in notice.content  # a person's chat id is who they are

    await citizen.unblock()
    await citizen.start()
    await citizen.expect("snap-a-photo")
    reporter = await reporter_of(app, citizen.id)
    assert reporter is not None and reporter.reachable
    await staff_action(app, ticket.id, action="resolve", text="The clerk was warned.")
    await deliver(app)
    await citizen.expect(f"Your report {ticket.code} has been resolved")


async def test_a_dead_message_retried_and_dead_again_is_not_announced_twice(
    app: SnapreportApp,
    admin: ChatUser,
    second_admin: ChatUser,
    citizen: ChatUser,
    clock: ManualClock,
) -> None:
    await prefer_language(app, admin, second_admin, citizen)
    await department_in_a_missing_group(app)
    ticket = await new_ticket(app, citizen)  # no photo: only its card dies
    await deliver(app)
    await admin.expect(f"Messages for {ticket.code} could not be delivered")
    # Housekeeping forgets sent notices once they are old (as if that time had come; the
    # clock stays, or the ticket's deadlines would fire): the dead row must remember.
    async with app.session_factory() as session, session.begin():
        await purge_sent(session, older_than=clock.now() + timedelta(seconds=1))

    await admin.command("dead", "retry")
    await admin.expect("1 message(s) queued again")
    await deliver(app)

    rows = await outbox(app)
    assert [r.state for r in rows if r.purpose == "card"] == ["dead"]
    assert [r for r in rows if r.purpose == "admin:dead_letter"] == []
    await admin.expect_nothing()
    await second_admin.expect(f"Messages for {ticket.code} could not be delivered")
    await second_admin.expect_nothing()
