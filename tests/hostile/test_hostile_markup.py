"""HTML and entities typed into every field that is rendered back: each reaches its reader
as the literal text that was typed, and is delivered (the Bot API's HTML parser would
refuse a message with a stray tag, so an unescaped field means a lost message).

Fields: description, place, real name, phone, a question and its answer, the official
reply, a reject reason, a department's name, a place tag's place, a member's name.
"""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser
from tests.conversations.staff import (
    add_member,
    answer_in_chat,
    ask_reporter,
    deliver,
    department_id_in,
    new_ticket,
    open_card,
    press_card_button,
    staff_action,
    staff_user,
)
from tests.conversations.steps import (
    ask_for_real_name,
    begin_with_photo,
    categorize,
    confirm,
    describe,
    stay_anonymous,
    to_identity,
)
from tests.hostile.checks import outbox_states
from tests.hostile.conftest import Shared, module_loop

pytestmark = module_loop

# A closing tag never opened, an unclosed one, a link, an entity, a bare ampersand.
MARKUP = '<b>bold</b> </code> <a href="http://x.example">link</a> &lt; & <i'
NAME = "<b>Bureau</b> & </code> <i"
# What a command's arguments keep (quotes are the command line's own).
TYPED = "<b>bold</b> </code> <a href=x>link</a> &lt; & <i"


async def all_sent(app: SnapreportApp, ticket_id: int | None) -> None:
    await deliver(app)
    states = await outbox_states(app, ticket_id)
    assert states and set(states.values()) == {"sent"}, states


async def test_markup_in_the_description_and_place_reaches_the_supervisor_as_typed(
    shared: Shared,
) -> None:
    supervisor = await shared.supervisor()
    citizen = await shared.citizen()
    await begin_with_photo(citizen, seed=60)
    await describe(citizen, f"Description {MARKUP}")
    await categorize(citizen)
    await citizen.send(f"Place {MARKUP}")
    await citizen.expect("Address noted")
    await citizen.expect("Step 5/5")
    preview = await stay_anonymous(citizen)
    assert f"Place: Place {MARKUP}" in preview.content
    assert f"Description {MARKUP}" in preview.content

    code = await confirm(citizen)
    await deliver(shared.app)

    card = await supervisor.expect("Reporter: anonymous")
    assert f"Place: Place {MARKUP}" in card.content
    assert f"Description {MARKUP}" in card.content
    card = await open_card(supervisor, code)
    assert f"Description {MARKUP}" in card.content


async def test_markup_in_a_real_name_and_phone_is_shown_as_typed(shared: Shared) -> None:
    supervisor = await shared.supervisor()
    citizen = await shared.citizen(first_name="<b>Li</b>", last_name="&amp; <i")
    await to_identity(citizen, seed=61)
    await ask_for_real_name(citizen)
    await citizen.share_contact("+86 <i>139</i> & 0013")
    await citizen.expect("Thank you, <b>Li</b> &amp; <i.")
    preview = await citizen.expect("Please check your report")
    assert "Identity: <b>Li</b> &amp; <i +86 <i>139</i> & 0013" in preview.content
    code = await confirm(citizen)
    await deliver(shared.app)
    await supervisor.expect("Reporter: real name")

    answer = await supervisor.press_on(await open_card(supervisor, code), "View real-name info")

    assert answer.text is not None
    assert "Real name: <b>Li</b> &amp; <i" in answer.text
    assert "Phone: +86 <i>139</i> & 0013" in answer.text


async def test_markup_in_a_question_and_its_answer_is_relayed_as_typed(shared: Shared) -> None:
    supervisor = await shared.supervisor()
    citizen = await shared.citizen()
    ticket = await new_ticket(shared.app, citizen)
    await open_card(supervisor, ticket.code)
    await ask_reporter(supervisor, f"Question {MARKUP}")
    await deliver(shared.app)
    await citizen.expect(f"Question {MARKUP}")

    await answer_in_chat(citizen, ticket.id, f"Answer {MARKUP}")

    await all_sent(shared.app, ticket.id)
    await supervisor.expect(f"Answer {MARKUP}")


async def test_markup_in_the_official_reply_reaches_the_reporter_as_typed(
    shared: Shared,
) -> None:
    await shared.supervisor()  # the card's reader: run first, the module has no staff yet
    citizen = await shared.citizen()
    ticket = await new_ticket(shared.app, citizen)
    await staff_action(shared.app, ticket.id, action="accept")
    await staff_action(shared.app, ticket.id, action="resolve", text=f"Reply {MARKUP}")

    await all_sent(shared.app, ticket.id)
    await citizen.expect(f"Reply {MARKUP}")
    await citizen.command("status", ticket.code)
    await citizen.expect(f"Reply {MARKUP}")


async def test_markup_in_a_reject_reason_reaches_the_reporter_as_typed(shared: Shared) -> None:
    supervisor = await shared.supervisor()
    citizen = await shared.citizen()
    ticket = await new_ticket(shared.app, citizen)
    await open_card(supervisor, ticket.code)
    await press_card_button(supervisor, ticket.id, "reject")
    await supervisor.expect("Why is")
    await supervisor.send(f"Reason {MARKUP}")
    await supervisor.expect("is rejected")

    await all_sent(shared.app, ticket.id)
    await citizen.expect(f"Reason {MARKUP}")


async def create_department(admin: ChatUser, name: str) -> int:
    await admin.command("dept", f"add {name}")
    return department_id_in(await admin.expect(f"{name} created"))


async def test_markup_in_a_department_name_is_shown_as_typed_everywhere(
    shared: Shared,
) -> None:
    admin = await shared.admin()
    department_id = await create_department(admin, f"{NAME} 1")

    await admin.command("dept", "list")
    await admin.expect(f"#{department_id} {NAME} 1")
    await admin.command("dept", f"invite {department_id} supervisor")
    await admin.expect(f"Invite to {NAME} 1 as")
    await admin.command("route", f"add {department_id} category=gifts")
    await admin.expect(f"→ {NAME} 1")
    await admin.command("route", "list")
    await admin.expect(f"→ {NAME} 1")
    await admin.command("dept", f"rename {department_id} {NAME} 2")
    await admin.expect(f"{NAME} 1 is now called {NAME} 2")
    ticket = await new_ticket(shared.app, await shared.citizen(), category="gifts")
    await admin.command("ticket", ticket.code)
    card = await admin.expect("Resolve by")
    assert f"Department: {NAME} 2" in card.content


async def test_markup_in_a_bound_departments_name_is_shown_on_unbind(shared: Shared) -> None:
    admin = await shared.admin()
    department_id = await create_department(admin, f"{NAME} 3")
    group = await shared.client.create_group("Hostile staff", [admin.id])
    in_group = await admin.in_chat(group.id)
    await in_group.command("bind", str(department_id))
    await in_group.expect(f"{NAME} 3")

    await in_group.command("unbind")

    await in_group.expect(f"Alerts of {NAME} 3 go to their supervisors again")


async def test_markup_in_a_place_tag_is_shown_as_typed(shared: Shared) -> None:
    admin = await shared.admin()
    await admin.command("route", f"tag hall_markup Hall {TYPED}")
    await admin.expect("Place tag hall_markup registered")
    await admin.command("route", "list")
    await admin.expect(f"hall_markup · Hall {TYPED}")

    citizen = await shared.citizen()
    await citizen.start("hall_markup")

    await citizen.expect(f"You are reporting about: Hall {TYPED}")
    await citizen.expect(f"Place: Hall {TYPED}")


async def test_markup_in_a_member_name_is_shown_as_typed_when_assigned(shared: Shared) -> None:
    supervisor = await shared.supervisor()
    member = await staff_user(shared.client, f"{NAME} member")
    department_id = await add_member_to_intake(shared, member)
    ticket = await new_ticket(shared.app, await shared.citizen())
    await staff_action(shared.app, ticket.id, action="accept")
    await supervisor.press_on(await open_card(supervisor, ticket.code), "Assign")

    answer = await supervisor.press(f"{NAME} member")

    assert answer.text == f"👤 {ticket.code} is assigned to {NAME} member."
    card = await supervisor.expect(f"Handler: {NAME} member")
    assert ticket.code in card.content
    assert department_id


async def add_member_to_intake(shared: Shared, member: ChatUser) -> int:
    from tests.conversations.staff import intake_id

    department_id = await intake_id(shared.app)
    await add_member(shared.app, member, department_id, role="handler")
    return department_id
