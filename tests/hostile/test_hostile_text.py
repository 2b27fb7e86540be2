"""Hostile typed text in the report: far too long, invisible, bidi and control characters.

Telegram stops a message at 4096 characters; a forged update (a misbehaving Bot API
server, a forged webhook call) does not, so the 100 000-character cases arrive that way.
"""

from __future__ import annotations

import pytest

from emulator.client import ChatUser
from tests.conversations.steps import (
    begin_with_photo,
    categorize,
    confirm,
    describe,
    draft_data,
    go_to_description,
    skip_place,
    stay_anonymous,
    ticket_by_code,
    to_place,
)
from tests.hostile.checks import footprint, forged_message, receive
from tests.hostile.conftest import Shared, module_loop

pytestmark = module_loop

HUGE = "贪" * 100_000


async def to_description(citizen: ChatUser) -> None:
    await begin_with_photo(citizen, seed=50)
    await go_to_description(citizen)


@pytest.mark.parametrize("length", [4096, 100_000])
async def test_an_overlong_description_is_refused_and_the_step_stays(
    shared: Shared, length: int
) -> None:
    citizen = await shared.citizen()
    await to_description(citizen)
    text = HUGE[:length]

    if length > 4096:
        await receive(shared.app, forged_message(citizen, text))
    else:
        await citizen.send(text)

    await citizen.expect(f"The description must be 5–2000 characters; yours has {length}")
    assert "description" not in await draft_data(shared.app, citizen.id)
    await citizen.send("The clerk at window 3 asked for a red envelope")
    await citizen.expect("Step 3/5")


async def test_an_overlong_place_is_refused_and_the_step_stays(shared: Shared) -> None:
    citizen = await shared.citizen()
    await to_place(citizen, seed=51)

    await receive(shared.app, forged_message(citizen, HUGE))

    await citizen.expect("Please type an address of 2–256 characters")
    assert (await draft_data(shared.app, citizen.id)).get("place_text") is None


@pytest.mark.parametrize(
    "place",
    ["\u200b\u200b\u200b", "\u202e\u202d\u2066", "\x00\x07\x1b", " \n\t "],
    ids=["zero-width", "bidi-controls", "control-characters", "blank"],
)
async def test_a_place_of_nothing_visible_is_refused(shared: Shared, place: str) -> None:
    citizen = await shared.citizen()
    await to_place(citizen, seed=52)

    await receive(shared.app, forged_message(citizen, place))

    await citizen.expect("Please type an address of 2–256 characters")
    assert (await draft_data(shared.app, citizen.id)).get("place_text") is None


async def test_a_description_of_nothing_visible_is_refused(shared: Shared) -> None:
    citizen = await shared.citizen()
    await to_description(citizen)

    await citizen.send("\u200b\u200c\u200d\u2060\ufeff\u202e\u200b\u200b")

    await citizen.expect("yours has 0")
    assert "description" not in await draft_data(shared.app, citizen.id)


async def test_bidi_zero_width_and_control_characters_are_gone_from_what_is_shown_and_filed(
    shared: Shared,
) -> None:
    citizen = await shared.citizen()
    await begin_with_photo(citizen, seed=53)
    await describe(citizen, "The clerk\u202e took\u200b a gift\x07 at window\u2066 3")
    await categorize(citizen)
    await citizen.send("Hall\u202e 1\u200b, floor\x1b 2")
    await citizen.expect("Address noted")
    await citizen.expect("Step 5/5")
    preview = await stay_anonymous(citizen)

    assert "Place: Hall 1, floor 2" in preview.content
    assert "The clerk took a gift at window 3" in preview.content
    before = await footprint(shared.app)
    ticket = await ticket_by_code(shared.app, await confirm(citizen))
    assert ticket.description == "The clerk took a gift at window 3"
    assert ticket.place_text == "Hall 1, floor 2"
    assert (await footprint(shared.app)).tickets == before.tickets + 1


async def test_a_caption_full_of_invisible_characters_is_not_a_description(
    shared: Shared,
) -> None:
    citizen = await shared.citizen()
    await begin_with_photo(citizen, seed=54, caption="\u200b" * 40 + "\u202e")
    await citizen.press("Next")

    await citizen.expect("Step 2/5")  # asked for a description, not taken from the caption
    assert "description" not in await draft_data(shared.app, citizen.id)


async def test_an_anonymous_report_with_hostile_text_files_once(shared: Shared) -> None:
    """The whole way through with the worst a phone can type: the ticket is filed."""
    citizen = await shared.citizen()
    await begin_with_photo(citizen, seed=55)
    await describe(citizen, "\u202e" + "&<>" * 600)
    await categorize(citizen)
    await skip_place(citizen)
    await stay_anonymous(citizen)

    ticket = await ticket_by_code(shared.app, await confirm(citizen))

    assert ticket.description == "&<>" * 600
