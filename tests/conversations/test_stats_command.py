"""`/stats` in chat: the administrator's view of every department, a supervisor's of their
own, refusals for everyone else, and the period buttons (week, month, quarter, custom)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import structlog.testing
from PIL import Image

import handlers.stats
import outbox.statistics
import ui.charts
from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from emulator.views import ChatMessage
from handlers.stats import RankingView, StatsView
from outbox.statistics import ChartOutage
from tests.conversations.staff import (
    intake_id,
    make_department_with_rule,
    new_ticket,
    press_data,
    security_events,
    staff_member,
)
from tests.conversations.steps import file_report, fsm_records


async def charts_after(user: ChatUser, summary: ChatMessage) -> list[ChatMessage]:
    """The album of charts the bot sent after the summary message."""
    caption = await user.expect("📊 ", timeout=10)  # the album's first photo carries it
    album = [
        m
        for m in await user.messages()
        if m.from_bot and m.photo and m.media_group_id == caption.media_group_id
    ]
    assert all(m.message_id > summary.message_id for m in album)
    return album


async def test_admin_sees_every_department_with_four_charts(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser
) -> None:
    await file_report(citizen)  # through the chat, as a citizen does
    await new_ticket(app, citizen, category="rude")
    traffic = await make_department_with_rule(app, "Traffic Police", category="car")
    assert traffic
    await new_ticket(app, citizen, category="car")

    await admin.command("stats")
    summary = await admin.expect("Statistics · all departments", timeout=10)
    assert "Tickets received 2026-11-23 – 2026-11-29" in summary.content
    assert "Received: 3" in summary.content
    assert "By department" in summary.content and "Traffic Police: 1 received" in summary.content
    assert summary.edits >= 1 and "⏳" not in summary.content  # the progress message, edited
    assert "• This week" in [b.text for b in summary.inline_buttons]

    album = await charts_after(admin, summary)
    assert len(album) == 4
    # Telegram (and the emulator) re-encode photos as JPEG: check it is a real chart.
    with Image.open(io.BytesIO(await admin.download(album[0]))) as picture:
        assert picture.width >= 800 and picture.height >= 400
    assert "2026-11-23 – 2026-11-29" in album[0].content


async def test_period_buttons_and_a_custom_period(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser
) -> None:
    await new_ticket(app, citizen)
    await new_ticket(app, citizen, category="rude")
    await admin.command("stats")
    summary = await admin.expect("Received: 2", timeout=10)
    await charts_after(admin, summary)

    await admin.press("This quarter")
    quarter = await admin.expect("2026-10-01 – 2026-12-31", timeout=10)
    assert quarter.message_id == summary.message_id  # the same message, edited
    assert "Received: 2" in quarter.content and "• This quarter" in str(quarter.inline_buttons)
    await charts_after(admin, quarter)

    await admin.press("Custom")
    await admin.expect("Type the first and the last day")
    await admin.send("yesterday")
    await admin.expect("These are not two days in order")
    await admin.send("2026-11-30 2026-11-01")
    await admin.expect("These are not two days in order")
    await admin.send("2026-11-24 2026-11-30")
    custom = await admin.expect("Statistics · all departments", timeout=10)
    assert "2026-11-24 – 2026-11-30" in custom.content and "Received: 0" in custom.content
    await admin.expect("📊 ", timeout=10)
    assert await fsm_records(app, admin.id) == []  # the custom step is over


async def test_buttons_pressed_on_a_chart_answer_in_a_new_message(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser
) -> None:
    """Charts carry no buttons, so only a forged press lands on one: a period or a
    quarter pressed there still gets its figures, in a new message (a photo has no text
    to edit into them)."""
    await new_ticket(app, citizen)
    await admin.command("ranking")
    ranking_chart = await admin.expect("🏆 2026 Q4", timeout=10)

    answer = await press_data(admin, StatsView(period="quarter"))  # on the ranking chart
    assert answer.answered and not answer.text
    await admin.expect("Computing the statistics")
    quarter = await admin.expect("2026-10-01 – 2026-12-31", timeout=10)
    assert quarter.message_id > ranking_chart.message_id and "Received: 1" in quarter.content
    album = await charts_after(admin, quarter)

    answer = await press_data(admin, RankingView(year=2026, quarter=3))  # on a stats chart
    assert answer.answered and not answer.text
    await admin.expect("Ranking the departments")
    table = await admin.expect("No department can be ranked yet", timeout=10)
    assert table.message_id > album[-1].message_id
    await admin.expect("🏆 2026 Q3", timeout=10)
    pressed = {ranking_chart.message_id, *(m.message_id for m in album)}
    assert [m.edits for m in await admin.messages() if m.message_id in pressed] == [0] * 5


async def test_supervisor_sees_only_their_department(
    app: SnapreportApp, supervisor: ChatUser, admin: ChatUser, citizen: ChatUser
) -> None:
    traffic = await make_department_with_rule(app, "Traffic Police", category="car")
    await new_ticket(app, citizen)  # the intake department, the supervisor's
    await new_ticket(app, citizen, category="car")
    await new_ticket(app, citizen, category="car")

    await supervisor.command("stats")
    summary = await supervisor.expect("Statistics · ", timeout=10)
    assert "Received: 1" in summary.content
    assert "Traffic Police" not in summary.content and "By department" not in summary.content
    await charts_after(supervisor, summary)

    answer = await press_data(supervisor, StatsView(period="week", department_id=traffic))
    assert answer.show_alert and "Only a supervisor" in (answer.text or "")
    assert [e.kind for e in await security_events(app)] == ["supervisor_only"]

    await admin.command("stats")
    await admin.expect("Received: 3", timeout=10)


async def test_citizens_and_handlers_are_refused_politely(
    app: SnapreportApp, citizen: ChatUser, client: EmulatorClient
) -> None:
    handler = await staff_member(app, client, "Hana", await intake_id(app), role="handler")

    await citizen.command("stats")
    await citizen.expect("This is for department staff only")
    await handler.command("stats")
    await handler.expect("Only a supervisor of the department can do this")
    await handler.command("export")
    await handler.expect("Only a supervisor of the department can do this")
    await handler.command("ranking")
    await handler.expect("Only administrators can do this")
    assert not [m for m in await citizen.messages() if m.photo or m.document]
    assert len(await security_events(app)) == 4


async def test_stats_without_charts_still_gives_the_figures_and_says_why(
    app: SnapreportApp,
    admin: ChatUser,
    citizen: ChatUser,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(ui.charts, "BUNDLED_FONT", tmp_path / "deleted-font.otf")
    ui.charts.cjk_font.cache_clear()
    monkeypatch.setattr(outbox.statistics, "CHART_OUTAGE", ChartOutage())
    monkeypatch.setattr(handlers.stats, "CHART_OUTAGE", outbox.statistics.CHART_OUTAGE)
    await new_ticket(app, citizen, category="rude")
    with structlog.testing.capture_logs() as logs:
        for _ in range(2):
            await admin.command("stats")
            summary = await admin.expect("Charts are unavailable", timeout=10)
            assert "Received: 1" in summary.content
            assert "Charts are unavailable: the Chinese font is missing." in summary.content
    ui.charts.cjk_font.cache_clear()
    assert not [m for m in await admin.messages() if m.from_bot and m.photo]
    outages = [entry for entry in logs if entry["event"] == "charts_unavailable"]
    assert len(outages) == 1  # the cause once, not per request
    assert "deleted-font.otf" in outages[0]["cause"]
