"""Names people choose (Telegram names, department names) render as text, never as markup."""

from __future__ import annotations

from emulator.client import ChatUser, EmulatorClient
from tests.conversations.staff import create_department
from tests.conversations.test_admin_directory import joined_by_invite


async def test_a_staff_member_named_like_markup_is_listed_literally(
    admin: ChatUser, client: EmulatorClient
) -> None:
    department_id = await create_department(admin, "Bureau <b>&amp;</b> Co")
    welcome = "You are now a handler of Bureau <b>&amp;</b> Co"
    await joined_by_invite(admin, client, department_id, "<x> & </i>", welcome)

    await admin.command("dept", f"members {department_id}")

    listing = (await admin.expect("Members of")).text or ""
    assert "Members of Bureau <b>&amp;</b> Co" in listing
    assert "<x> & </i> · handler" in listing
    await admin.press("Remove <x> & </i>")
