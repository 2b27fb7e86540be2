"""The transparency channel: `/ranking` names the best and the worst department and can be
published; `/publish CODE` posts a closed ticket anonymised, with photos only if chosen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from emulator.views import ChatMessage
from handlers.stats import PublishPreview, RankingPublish
from tests.conversations.staff import (
    DESCRIPTION,
    deliver,
    leaks,
    make_department_with_rule,
    new_ticket,
    outbox,
    press_data,
    staff_action,
)
from tests.conversations.steps import events_of, file_report, ticket_by_code
from tickets.clock import ManualClock
from tickets.findings import outcome
from ui.keyboards import SurveyAnswer

CHANNEL = "@snap_public"
REPLY = "The clerk was warned and the window now opens on time."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_channel_id": CHANNEL})


@pytest.fixture
async def channel(client: EmulatorClient) -> int:
    """The public channel, with the bot as its administrator."""
    return (await client.create_channel("Snap transparency", username=CHANNEL[1:])).id


async def channel_posts(client: EmulatorClient, channel: int) -> list[ChatMessage]:
    return [m for m in await client.transcript(channel) if m.from_bot]


async def closed_ticket(app: SnapreportApp, citizen: ChatUser) -> str:
    """A report filed in chat (with a photo), resolved, and rated satisfied."""
    code = await file_report(citizen)
    ticket = await ticket_by_code(app, code)
    assert ticket.id is not None
    await staff_action(app, ticket.id, action="accept")
    await staff_action(app, ticket.id, action="resolve", text=REPLY)
    await press_data(citizen, SurveyAnswer(ticket_id=ticket.id, rating="satisfied"))
    await citizen.expect("Your answer on")
    assert (await ticket_by_code(app, code)).state == "closed"
    return code


async def test_ranking_names_best_and_worst_and_publishes_once_a_day(
    app: SnapreportApp,
    admin: ChatUser,
    citizen: ChatUser,
    client: EmulatorClient,
    clock: ManualClock,
    channel: int,
) -> None:
    await make_department_with_rule(app, "Swift Office", category="car")
    await make_department_with_rule(app, "Slow Office", category="rude")
    swift = await new_ticket(app, citizen, category="car")
    slow = await new_ticket(app, citizen, category="rude")
    for ticket in (swift, slow):
        await staff_action(app, ticket.id, action="accept")
    found = outcome("substantiated", ["rectify", "censure"], 2)
    await staff_action(app, swift.id, action="resolve", text=REPLY, outcome=found)
    clock.advance(timedelta(days=10))  # past every deadline: the second reply is late
    await staff_action(app, slow.id, action="resolve", text=REPLY)

    await admin.command("ranking")
    table = await admin.expect("Department ranking · 2026 Q4 (to date)", timeout=10)
    assert "1. Swift Office — 100.0" in table.content
    assert "🥇 Best: Swift Office" in table.content and "🔻 Worst: Slow Office" in table.content
    assert "50% on-time resolution" in table.content
    assert "1 substantiated, 2 dealt with · substantiation rate 100%" in table.content
    assert "0 substantiated, 0 dealt with · substantiation rate 0%" in table.content  # 无法核实
    chart = await admin.expect("🏆 2026 Q4", timeout=10)
    assert chart.photo

    await admin.press("2026 Q3")
    await admin.expect("No department can be ranked yet", timeout=10)
    await admin.expect("🏆 2026 Q3", timeout=10)

    answer = await press_data(admin, RankingPublish(year=2026, quarter=4))
    assert answer.text == "📢 Published to the channel."
    again = await press_data(admin, RankingPublish(year=2026, quarter=4))
    assert again.text == "Already published today."
    rows = [r for r in await outbox(app) if r.purpose == "channel:ranking"]
    assert [r.method for r in rows] == ["sendPhoto", "sendMessage"]
    assert rows[0].payload["chat_id"] == CHANNEL
    await deliver(app)
    posts = await channel_posts(client, channel)
    # Channel posts are written in DEFAULT_LANGUAGE (zh_CN).
    assert posts[0].photo and "🏆 2026年第4季度" in posts[0].content
    assert "Swift Office" in posts[1].content  # in DEFAULT_LANGUAGE (zh_CN) otherwise
    assert "查处 1 件、处理 2 人 · 查实率 100%" in posts[1].content


async def test_publishing_a_closed_ticket_is_anonymous_and_once(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, client: EmulatorClient, channel: int
) -> None:
    code = await closed_ticket(app, citizen)

    await admin.command("publish", code)
    photos = await admin.expect(f"Photos of report {code}")
    assert photos.photo  # shown to the admin to decide, never sent without their choice
    preview = await admin.expect(f"Preview of {code}")
    assert REPLY in preview.content and DESCRIPTION not in preview.content
    buttons = [b.text for b in preview.inline_buttons]
    assert any("report's photos (1)" in text for text in buttons)
    await admin.press("report's photos")
    await admin.expect(f"{code} is published on the transparency channel")

    ticket = await ticket_by_code(app, code)
    assert [e.kind for e in await events_of(app, ticket.id)][-1] == "published"
    await deliver(app)
    posts = await channel_posts(client, channel)
    assert len(posts) == 2 and posts[1].photo
    texts = [m.content for m in posts]
    assert REPLY in texts[0] and code not in texts[0] and DESCRIPTION not in texts[0]
    assert not leaks(texts, citizen)

    await admin.command("publish", code)
    await admin.expect(f"{code} has already been published")


async def test_publish_refuses_open_tickets_and_non_admins(
    app: SnapreportApp, admin: ChatUser, supervisor: ChatUser, citizen: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen)
    await admin.command("publish", ticket.code)
    await admin.expect("Only closed tickets can be published; this one is: New")
    await admin.command("publish")
    await admin.expect("Send /publish followed by the tracking code")
    await press_data(admin, PublishPreview(ticket_id=ticket.id))  # a card's Publish button
    await admin.expect("Only closed tickets can be published")
    await supervisor.command("publish", ticket.code)
    await supervisor.expect("Only administrators can do this")
    assert not [r for r in await outbox(app) if r.purpose.startswith("channel:")]


async def test_a_closed_tickets_card_offers_publish_to_admins(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, channel: int
) -> None:
    code = await closed_ticket(app, citizen)
    await admin.command("ticket", code)
    card = await admin.expect(f"{code} · Closed")
    assert [b.text for b in card.inline_buttons] == ["📢 Publish"]
    await admin.press("Publish")
    await admin.expect(f"Preview of {code}")
