"""What the intake refuses: descriptions out of bounds, and too many reports in an hour."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser
from tests.conversations.steps import (
    begin_with_photo,
    count_tickets,
    draft_data,
    file_report,
    go_to_description,
    to_preview,
)
from tickets.clock import ManualClock


async def test_description_over_2000_characters_is_refused_and_stays_in_the_step(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await begin_with_photo(citizen)
    await go_to_description(citizen)

    await citizen.send("x" * 2001)

    await citizen.expect("must be 5–2000 characters; yours has 2001")
    await citizen.expect_nothing()
    assert "description" not in await draft_data(app, citizen.id)
    await citizen.send("y" * 2000)  # exactly the limit is fine
    await citizen.expect("Step 3/5")
    assert (await draft_data(app, citizen.id))["description"] == "y" * 2000


async def test_description_too_short_is_refused(citizen: ChatUser) -> None:
    await begin_with_photo(citizen)
    await go_to_description(citizen)

    await citizen.send("bad")

    await citizen.expect("yours has 3")
    await citizen.expect_nothing()


async def test_photo_while_describing_is_not_a_description(citizen: ChatUser) -> None:
    await begin_with_photo(citizen)
    await go_to_description(citizen)

    await citizen.send_location(31.2, 121.4)

    await citizen.expect("describe what happened in text")


class TestRateLimit:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"reports_per_hour": 2})

    async def test_third_report_within_an_hour_is_refused_politely(
        self, citizen: ChatUser, app: SnapreportApp, clock: ManualClock
    ) -> None:
        await file_report(citizen, seed=1)
        clock.advance(timedelta(minutes=10))
        await file_report(citizen, seed=2)
        clock.advance(timedelta(minutes=10))
        await to_preview(citizen, seed=3)

        answer = await citizen.press("Confirm")

        assert answer.show_alert and answer.text is not None
        assert "You have sent 2 reports in the last hour" in answer.text
        assert await count_tickets(app) == 2
        assert (await draft_data(app, citizen.id))["photos"]  # the draft is kept for later

        clock.advance(timedelta(minutes=41))  # the first report is now over an hour old
        await citizen.press("Confirm")
        await citizen.expect("Tracking code")
        assert await count_tickets(app) == 3

    async def test_the_limit_is_per_person(
        self, citizen: ChatUser, client_user: ChatUser, app: SnapreportApp
    ) -> None:
        await file_report(citizen, seed=1)
        await file_report(citizen, seed=2)

        await file_report(client_user, seed=3)

        assert await count_tickets(app) == 3

    @pytest.fixture
    async def client_user(self, citizen: ChatUser) -> ChatUser:
        return await citizen.client.chat_user(first_name="Li", language_code="en")
