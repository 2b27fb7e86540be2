"""Staff merge and split: a report merged into another open one closes as its duplicate, and
its reporter follows that case as a supporter (its reply, its survey), never told its code;
/split undoes it. Each refusal says why. /mytickets lists the joined case without its code.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from handlers.status import JoinedStatus
from storage.models import FollowUp, Supporter
from tests.conversations.staff import (
    deliver,
    new_ticket,
    open_card,
    prefer_language,
    press_data,
    staff_action,
    staff_member,
    ticket_row,
)
from tests.conversations.steps import events_of
from tests.factories import add_department, rows_of
from tickets.views import TicketView

SECOND_WORDS = "Window 3 again: the clerk was watching videos while we queued"


async def supporter_rows(app: SnapreportApp, ticket_id: int) -> list[Supporter]:
    where = col(Supporter.ticket_id) == ticket_id
    return await rows_of(app.session_factory, Supporter, where=where)


async def open_follow_ups(app: SnapreportApp, ticket_id: int) -> list[str]:
    async with app.session_factory() as session:
        rows = await session.scalars(
            select(col(FollowUp.kind)).where(
                col(FollowUp.ticket_id) == ticket_id, col(FollowUp.done_at).is_(None)
            )
        )
        return sorted(rows)


async def begin_merge(supervisor: ChatUser, code: str) -> None:
    await supervisor.press_on(await open_card(supervisor, code), "Merge into")
    await supervisor.expect(f"Merge {code} into which open report?")


async def two_reports(
    app: SnapreportApp, client: EmulatorClient, citizen: ChatUser, supervisor: ChatUser
) -> tuple[TicketView, TicketView, ChatUser]:
    """The citizen's report (the target) and another citizen's of the same case."""
    second = await client.chat_user(first_name="Li", last_name="Na", language_code="en")
    await prefer_language(app, citizen, second, supervisor)
    target = await new_ticket(app, citizen)
    merged = await new_ticket(app, second, description=SECOND_WORDS)
    return target, merged, second


async def test_merged_reporter_follows_the_target_and_gets_its_reply_and_survey(
    app: SnapreportApp, client: EmulatorClient, citizen: ChatUser, supervisor: ChatUser
) -> None:
    target, merged, second = await two_reports(app, client, citizen, supervisor)

    await begin_merge(supervisor, merged.code)
    await supervisor.send(target.code)

    await supervisor.expect(f"{merged.code} is merged into {target.code}")
    assert (await ticket_row(app, merged.id)).state == "duplicate"
    assert (await ticket_row(app, merged.id)).duplicate_of_id == target.id
    assert await open_follow_ups(app, merged.id) == []
    assert [s.reporter_id for s in await supporter_rows(app, target.id)] == [
        (await ticket_row(app, merged.id)).reporter_id
    ]
    [*_, merge] = await events_of(app, merged.id)
    assert (merge.kind, merge.from_state, merge.to_state) == ("merge", "new", "duplicate")
    [*_, came_in] = await events_of(app, target.id)
    assert (came_in.kind, came_in.text) == ("merged_in", merged.code)  # the way to its evidence
    await deliver(app)
    told = await second.expect(f"Your report {merged.code} was joined with another report")
    assert target.code not in told.content
    mine = await citizen.expect("Another report of the same case was joined with your report")
    assert merged.code not in mine.content and "Li" not in mine.content
    # /mytickets lists the joined case without its code; its button shows its state.
    await second.command("mytickets")
    listing = await second.expect("🤝 joined")
    assert merged.code in listing.content and target.code not in listing.content
    await second.press("🤝 Status:")
    status = await second.expect("A case you joined")
    assert "Status: New" in status.content
    assert target.code not in status.content and "played games" not in status.content
    stranger = await client.chat_user(first_name="Mallory", language_code="en")
    await stranger.start()
    await stranger.expect("snap-a-photo")
    refused = await press_data(stranger, JoinedStatus(ticket_id=target.id))
    assert refused.show_alert and refused.text == "You are not allowed to do this."

    await staff_action(app, target.id, action="accept")
    await staff_action(app, target.id, action="resolve", text="The clerk was disciplined.")
    await deliver(app)
    reply = await second.expect("The case you joined (")
    reply = await second.expect("has been resolved")
    assert "The clerk was disciplined." in reply.content and target.code not in reply.content
    await second.expect("Please rate it")
    # Once, as a supporter: not a second time as the reporter of a linked duplicate.
    texts = [m.content for m in await second.messages() if m.from_bot]
    assert sum("The clerk was disciplined." in t for t in texts) == 1
    assert (await second.press("Satisfied")).text == "Thank you!"
    assert [s.satisfaction for s in await supporter_rows(app, target.id)] == ["satisfied"]
    assert (await ticket_row(app, target.id)).state == "resolved"  # the reporter's to close


async def test_split_reopens_the_merged_report_as_it_was_and_its_reporter_leaves(
    app: SnapreportApp, client: EmulatorClient, citizen: ChatUser, supervisor: ChatUser
) -> None:
    target, merged, second = await two_reports(app, client, citizen, supervisor)
    await staff_action(app, merged.id, action="accept")
    before = await open_follow_ups(app, merged.id)
    await begin_merge(supervisor, merged.code)
    await supervisor.send(target.code)
    await supervisor.expect("is merged into")

    await supervisor.command("split", merged.code)

    await supervisor.expect(f"{merged.code} is split off {target.code}")
    row = await ticket_row(app, merged.id)
    assert (row.state, row.duplicate_of_id, row.closed_at) == ("accepted", None, None)
    assert row.resolve_by == merged.resolve_by
    assert await open_follow_ups(app, merged.id) == before
    assert await supporter_rows(app, target.id) == []
    assert [e.kind for e in await events_of(app, merged.id)][-2:] == ["merge", "split"]
    assert (await events_of(app, target.id))[-1].kind == "split_out"
    await deliver(app)
    await second.expect(f"Your report {merged.code} is handled on its own again")
    # The target's reply no longer reaches them.
    await staff_action(app, target.id, action="accept")
    await staff_action(app, target.id, action="resolve", text="Handled for the first report.")
    await deliver(app)
    await citizen.expect("Handled for the first report.")
    texts = [m.content for m in await second.messages() if m.from_bot]
    assert not any("Handled for the first report." in t for t in texts)

    await supervisor.command("split", merged.code)
    await supervisor.expect(f"{merged.code} is not merged into another report")


async def test_merges_and_splits_that_would_mislead_are_refused_with_a_reason(
    app: SnapreportApp, client: EmulatorClient, citizen: ChatUser, supervisor: ChatUser
) -> None:
    target, merged, second = await two_reports(app, client, citizen, supervisor)
    closed = await new_ticket(app, second, description="A third report, rejected")
    await staff_action(app, closed.id, action="reject", text="Not ours.")
    elsewhere = await add_department(app.session_factory, "Tax office")
    foreign = await new_ticket(app, citizen, description="A report of another department")
    await staff_action(app, foreign.id, action="route", target_department_id=elsewhere)

    handler = await staff_member(app, client, "Han", target.department_id, "handler")
    await open_card(handler, merged.code)
    refused = await press_data(handler, f"t:{merged.id}:merge:new")
    assert refused.show_alert and "supervisor" in (refused.text or "")
    await begin_merge(supervisor, merged.code)
    for code, refusal in (
        (merged.code, "A report cannot be merged into itself."),
        (closed.code, f"{closed.code} is no longer open (Rejected)"),
        ("SR-0000-0000-0", "There is no report with the code SR-0000-0000-0"),
        ("SR-0000", "This code is not valid"),
        (foreign.code, f"You may not act on {foreign.code}"),
    ):
        await supervisor.send(code)
        await supervisor.expect(refusal)
    assert (await ticket_row(app, merged.id)).state == "new"
    assert await supporter_rows(app, target.id) == []

    # No chains: a merged report takes nothing in, and one with merged reports goes nowhere.
    await begin_merge(supervisor, merged.code)
    await supervisor.send(target.code)
    await supervisor.expect("is merged into")
    await handler.command("split", merged.code)
    await handler.expect("supervisor")
    assert (await ticket_row(app, merged.id)).state == "duplicate"
    third = await new_ticket(app, second, description="A fourth report of the same case")
    await begin_merge(supervisor, third.code)
    await supervisor.send(merged.code)
    await supervisor.expect(f"{merged.code} is itself merged into")
    await supervisor.command("cancel")
    await begin_merge(supervisor, target.code)
    await supervisor.send(third.code)
    await supervisor.expect(f"Other reports are merged into (or duplicates of) {target.code}")
    assert (await ticket_row(app, target.id)).state == "new"
