"""Cancelling a draft at any step, by its button or by /cancel, leaves nothing behind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.media import LocalMediaStore
from tests.conversations.steps import (
    ask_for_real_name,
    begin_with_photo,
    categorize,
    count_tickets,
    describe,
    draft_data,
    evidence_of,
    file_report,
    fsm_records,
    go_to_description,
    skip_place,
    stay_anonymous,
    ticket_by_code,
)

STEPS = [
    "no_photo_yet",
    "photos",
    "describing",
    "category",
    "place",
    "identity",
    "contact",
    "preview",
    "edit_menu",
]


async def start_by_command(citizen: ChatUser) -> None:
    await citizen.command("report")
    await citizen.expect("Step 1/5")


async def categorize_to_place(citizen: ChatUser) -> None:
    await categorize(citizen)
    await citizen.expect("Or use the button")


async def open_edit_menu(citizen: ChatUser) -> None:
    await citizen.press("Edit")
    await citizen.expect("What would you like to change?")


# The main path: each step's panel and the move that shows it, from a fresh chat.
WALK: list[tuple[str, Callable[[ChatUser], Awaitable[Any]]]] = [
    ("photos", begin_with_photo),
    ("category", describe),
    ("place", categorize_to_place),
    ("identity", skip_place),
    ("preview", stay_anonymous),
    ("edit_menu", open_edit_menu),
]
# Steps off the main path: the step of it they branch from, and the move that shows them.
BRANCHES: dict[str, tuple[str | None, Callable[[ChatUser], Awaitable[Any]]]] = {
    "no_photo_yet": (None, start_by_command),
    "describing": ("photos", go_to_description),
    "contact": ("identity", ask_for_real_name),
}


async def reach(citizen: ChatUser, step: str) -> None:
    """Walk a fresh draft up to `step` and wait until its panel is shown."""
    along, branch = BRANCHES.get(step, (step, None))
    for name, move in WALK if along else []:
        await move(citizen)
        if name == along:
            break
    if branch is not None:
        await branch(citizen)


async def reply_keyboard(citizen: ChatUser) -> list[str]:
    """The reply keyboard a phone would show now ([] when none or removed)."""
    for message in reversed(await citizen.messages()):
        markup = message.reply_markup or {}
        if message.from_bot and "remove_keyboard" in markup:
            return []
        if message.from_bot and "keyboard" in markup:
            return [b.text for b in message.keyboard_buttons]
    return []


async def assert_nothing_kept(citizen: ChatUser, app: SnapreportApp) -> None:
    assert await count_tickets(app) == 0
    assert await fsm_records(app, citizen.id) == []
    assert await reply_keyboard(citizen) == []
    assert isinstance(app.media_store, LocalMediaStore)  # the default without MEDIA_URL
    assert [p for p in app.media_store.root.rglob("*") if p.is_file()] == []  # photos deleted


@pytest.mark.parametrize("step", STEPS)
async def test_cancel_command_at_every_step_keeps_nothing(
    citizen: ChatUser, app: SnapreportApp, step: str
) -> None:
    await reach(citizen, step)

    await citizen.command("cancel")
    await citizen.expect("Cancelled.")

    await assert_nothing_kept(citizen, app)


@pytest.mark.parametrize("step", [s for s in STEPS if s != "edit_menu"])
async def test_cancel_button_at_every_step_keeps_nothing(
    citizen: ChatUser, app: SnapreportApp, step: str
) -> None:
    await reach(citizen, step)

    await citizen.press("Cancel")
    await citizen.expect("Report cancelled")

    await assert_nothing_kept(citizen, app)


async def test_confirm_on_a_cancelled_preview_files_nothing(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await reach(citizen, "preview")
    preview = next(m for m in await citizen.messages() if "Please check" in m.content)
    await citizen.command("cancel")
    await citizen.expect("Cancelled.")

    answer = await citizen.press_on(preview, "Confirm")

    assert answer.text is not None and "no longer active" in answer.text
    assert await count_tickets(app) == 0
    assert await fsm_records(app, citizen.id) == []


async def test_cancel_with_nothing_to_cancel_says_so(citizen: ChatUser) -> None:
    await citizen.command("cancel")
    await citizen.expect("Nothing to cancel")


async def test_cancel_keeps_a_photo_that_is_evidence_of_a_filed_ticket(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    code = await file_report(citizen, seed=1)
    await begin_with_photo(citizen, seed=1)  # the same picture again, in a new draft

    await citizen.command("cancel")
    await citizen.expect("Cancelled.")

    [evidence] = await evidence_of(app, (await ticket_by_code(app, code)).id)
    assert app.media_store.exists(evidence.sha256)


async def test_report_command_mid_draft_carries_on_with_it(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await reach(citizen, "category")

    await citizen.command("report")

    await citizen.expect("You have a report in progress")
    await citizen.expect("Step 3/5")
    assert len((await draft_data(app, citizen.id))["photos"]) == 1
