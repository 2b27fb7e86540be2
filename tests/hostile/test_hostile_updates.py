"""Hostile updates: one delivered twice, deep links with forged payloads, albums past the
photo limit, and a flood of messages."""

from __future__ import annotations

import asyncio

import pytest

from tests.conversations.steps import draft_data, fsm_records
from tests.hostile.checks import footprint, forged_message, receive
from tests.hostile.conftest import Shared, module_loop
from tests.imagefactory import jpeg_bytes
from tickets.reports import PHOTOS_MAX

pytestmark = module_loop


async def test_the_same_update_delivered_twice_is_handled_once(shared: Shared) -> None:
    citizen = await shared.citizen()
    update = forged_message(citizen, "/report")

    await shared.app.receive(update)
    await receive(shared.app, update)

    await citizen.expect("Step 1/5")
    await citizen.expect_nothing()
    assert len(await fsm_records(shared.app, citizen.id)) == 1


async def test_the_same_update_delivered_twice_at_once_is_handled_once(shared: Shared) -> None:
    citizen = await shared.citizen()
    update = forged_message(citizen, "/help")

    await asyncio.gather(shared.app.receive(update), shared.app.receive(update))
    await shared.app.lanes.idle()

    await citizen.expect("How to report")
    await citizen.expect_nothing()


PAYLOADS = {
    "overlong": "hall_" + "x" * 3000,
    "not-base64": "!!!@@@###",
    "unknown-place-tag": "hall_does_not_exist",
    "markup": "<b>hall</b>&amp;",
    "path": "../../etc/passwd",
    "bidi-and-zero-width": "hall\u202e_01\u200b",
    "nul-and-controls": "hall\x00\x07_01",
    "invite-prefix-garbage": "inv_" + "A" * 60,
    "invite-prefix-alone": "inv_",
}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
async def test_a_forged_deep_link_gets_an_answer_and_starts_nothing(
    shared: Shared, payload: str
) -> None:
    citizen = await shared.citizen()
    before = await footprint(shared.app)

    await citizen.start(payload)

    answer = await citizen.expect("")
    assert answer.content.strip()
    await citizen.expect_nothing()
    assert await fsm_records(shared.app, citizen.id) == []
    assert await footprint(shared.app) == before


async def test_an_album_past_the_photo_limit_keeps_the_first_ten(shared: Shared) -> None:
    citizen = await shared.citizen()
    await citizen.send_album([jpeg_bytes(160, 120, seed=100 + n) for n in range(PHOTOS_MAX)])
    await citizen.expect(f"Received: {PHOTOS_MAX} photo")
    files = (await footprint(shared.app)).files

    await citizen.send_album([jpeg_bytes(160, 120, seed=200 + n) for n in range(3)])

    await citizen.expect(f"At most {PHOTOS_MAX} photos per report")
    await shared.app.lanes.idle()
    assert len((await draft_data(shared.app, citizen.id))["photos"]) == PHOTOS_MAX
    assert (await footprint(shared.app)).files == files  # the extra photos were not stored


async def test_a_flood_of_messages_is_answered_within_the_rate_limits(shared: Shared) -> None:
    citizen = await shared.citizen()
    violations = (await shared.client.stats()).limit_violations

    await asyncio.gather(*(citizen.send(f"hello {n}") for n in range(30)))

    for _ in range(30):
        await citizen.expect("Send a photo to report")
    await citizen.expect_nothing()
    assert (await shared.client.stats()).limit_violations == violations
