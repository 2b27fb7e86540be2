"""A citizen files a report through the emulator, photo first, as on a phone."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.models import Evidence, Ticket
from tests.imagefactory import jpeg_bytes


async def file_report(citizen: ChatUser, *, description: str = "Clerk at window 3 is playing "
                      "games on his phone for an hour") -> str:
    await citizen.send_photo(jpeg_bytes(seed=1))
    await citizen.expect("Received: 1 photo")
    await citizen.press("Next")
    await citizen.expect("Step 2/5")
    await citizen.send(description)
    await citizen.expect("Step 3/5")
    await citizen.press("Phone or private business")
    await citizen.expect("Step 4/5")
    await citizen.press("Skip")
    await citizen.expect("Step 5/5")
    await citizen.press("Anonymous")
    await citizen.expect("Please check your report")
    await citizen.press("Confirm")
    filed = await citizen.expect("Tracking code")
    code = filed.content.split("Tracking code: ")[1].split()[0]
    return code


async def test_happy_path_with_one_photo_files_a_ticket(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    code = await file_report(citizen)
    async with app.session_factory() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
        assert ticket is not None
        assert ticket.state == "new" and ticket.category == "idle" and ticket.anonymous
        evidence = list(await session.scalars(select(Evidence).where(Evidence.ticket_id == ticket.id)))
        assert len(evidence) == 1
    await citizen.command("status", code)
    await citizen.expect("Status: New")
