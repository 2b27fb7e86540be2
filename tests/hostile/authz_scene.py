"""The people and places of the authorization matrix, and what one cell observes.

One scene per module (departments, members, a bound group) on the hostile directory's
shared bot, with every ticket the cells act on filed up front in one transaction: a cell
that may change its ticket has one of its own, so no cell sees another's changes to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

from bot.app import SnapreportApp
from emulator.client import ChatUser
from emulator.views import CallbackAnswer
from storage.directory import SqlDirectory
from storage.supporters import SqlSupporters
from tests.conversations.staff import (
    add_member,
    deliver,
    draft_of,
    intake_id,
    prefer_language,
    press_data,
)
from tests.factories import add_department
from tests.hostile.conftest import Shared
from tickets.actors import Actor
from tickets.findings import Finding, Outcome
from tickets.membership import create_invite
from tickets.ports import Workspace
from tickets.reports import submit_report
from tickets.states import Action
from tickets.views import TicketView
from tickets.workflow import StaffCommand, perform
from ui.keyboards import TicketAction

ROLES = (
    "citizen",
    "handler",
    "dept_supervisor",
    "other_supervisor",
    "admin",
    "removed_member",
    "group_stranger",
)

# Rows a refusal may add or change: the refusal's own record, the raw update and the
# messages sent (the refusal itself). Everything else must read the same after a denial.
NOT_STATE = frozenset({"security_event", "inbox_update", "sent_message"})


@dataclass
class Scene:
    """Home (the intake department, where the cells' tickets land), another department, a
    spare one for configuration buttons to change, and one person per role."""

    shared: Shared
    home: int
    other: int
    spare: int
    handler_member: int
    supervisor_member: int
    people: dict[str, ChatUser]
    admin_in_group: ChatUser
    cases: dict[Hashable, Case] = field(default_factory=dict)

    @property
    def app(self) -> SnapreportApp:
        return self.shared.app

    async def admin_actor(self) -> Actor:
        return Actor(user_id=self.people["admin"].id, is_admin=True)


async def build_scene(shared: Shared, needs: Mapping[Hashable, Need]) -> Scene:
    """The scene, with a case filed for each of `needs` (by the key a cell finds it by)."""
    app, client = shared.app, shared.client
    home = await intake_id(app)
    other = await add_department(app.session_factory, "Other office")
    spare = await add_department(app.session_factory, "Spare office")
    people = {role: await shared.citizen(role.title().replace("_", "")) for role in ROLES}
    people["admin"] = await shared.admin()
    handler_member = await add_member(app, people["handler"], home, role="handler")
    supervisor_member = await add_member(app, people["dept_supervisor"], home)
    await add_member(app, people["other_supervisor"], other)
    removed = await add_member(app, people["removed_member"], home)
    async with app.session_factory() as session, session.begin():
        await SqlDirectory(session).remove_member(member_id=removed, at=shared.clock.now())
    await prefer_language(app, *people.values())
    # Filed before the group is bound, their alerts go to the supervisor's private chat,
    # which takes them twenty times faster than a group.
    cases = await file_cases(shared, people["citizen"], handler_member, needs)
    for user in people.values():  # a bot message in each chat, to press forged buttons on
        await user.command("help")
        await user.expect("How to report")
    # The real bind flow: an administrator binds the home department in the group.
    stranger = people["group_stranger"]
    group = await client.create_group("Intake staff", [people["admin"].id, stranger.id])
    admin_in_group = await people["admin"].in_chat(group.id)
    await admin_in_group.command("bind", str(home))
    await admin_in_group.expect("This group now receives the alerts")
    people["group_stranger"] = await stranger.in_chat(group.id)
    scene = Scene(
        shared, home, other, spare, handler_member, supervisor_member, people, admin_in_group
    )
    for key, need in needs.items():
        case = cases[key]
        scene.cases[key] = case if need.extra is None else await need.extra(scene, case)
    return scene


@dataclass
class Case:
    """One cell's ticket (and, for a duplicate, the report it duplicates)."""

    ticket: TicketView
    original: TicketView | None = None
    invite_id: int = 0
    spare_member: int = 0


Extra = Callable[[Scene, Case], Awaitable[Case]]


@dataclass(frozen=True)
class Need:
    """What a case holds: a ticket of the home department, `new`, `real_name` (new) or
    `assigned` (in progress with the handler); with `original`, a report it duplicates;
    `extra` adds more scene to it."""

    ticket: str = "new"
    original: bool = False
    extra: Extra | None = None


async def file_cases(
    shared: Shared, reporter: ChatUser, handler_member: int, needs: Mapping[Hashable, Need]
) -> dict[Hashable, Case]:
    """File every case's tickets through the domain in one transaction, then send their
    alerts, so that none goes out during a cell."""
    app = shared.app
    admin = Actor(user_id=next(iter(app.settings.admin_ids)), is_admin=True)
    async with app.session_factory() as session, session.begin():
        ws = app.workspace(session)
        with app.i18n.context():
            cases = {
                key: await file_case(ws, admin, reporter, handler_member, need)
                for key, need in needs.items()
            }
    await deliver(app)
    await app.lanes.idle()
    return cases


async def file_case(
    ws: Workspace, admin: Actor, reporter: ChatUser, handler_member: int, need: Need
) -> Case:
    async def filed(real_name: bool = False) -> TicketView:
        draft = draft_of(reporter, real_name=real_name)
        return (await submit_report(ws, draft, per_hour=10_000)).ticket

    ticket = await filed(real_name=need.ticket == "real_name")
    if need.ticket == "assigned":
        await perform(ws, admin, StaffCommand(ticket_id=ticket.id, action=Action.ACCEPT))
        assign = StaffCommand(
            ticket_id=ticket.id, action=Action.ASSIGN, handler_member_id=handler_member
        )
        ticket = await perform(ws, admin, assign)
    return Case(ticket, original=await filed() if need.original else None)


async def with_invite(scene: Scene, case: Case) -> Case:
    async with scene.app.session_factory() as session, session.begin():
        invite, _ = await create_invite(
            SqlDirectory(session),
            await scene.admin_actor(),
            ref=str(scene.spare),
            role="supervisor",
            now=scene.shared.clock.now(),
        )
    case.invite_id = invite.id
    return case


async def with_spare_member(scene: Scene, case: Case) -> Case:
    stranger = await scene.shared.citizen("Spare")
    case.spare_member = await add_member(scene.app, stranger, scene.spare)
    return case


async def snapshot(app: SnapreportApp) -> dict[str, list[str]]:
    """Every row of every table that holds state, as text, in a stable order."""
    found: dict[str, list[str]] = {}
    async with app.session_factory() as session:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in NOT_STATE:
                rows = (await session.execute(select(table))).all()
                found[table.name] = sorted(repr(tuple(row)) for row in rows)
    return found


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


async def next_text(user: ChatUser, within: float = 10.0) -> str | None:
    """The text of the bot's next send or edit in the user's chat, None if none comes."""
    actions = await user.client.wait_for_bot_message(user.chat_id, user.seq, within)
    if not actions:
        return None
    user.seq = actions[0].seq
    return actions[0].message.content


async def answer_text(user: ChatUser, answer: CallbackAnswer) -> str | None:
    """A press's alert or toast; else what the bot then wrote or edited in the chat."""
    assert answer.answered, "the press was not answered"
    return answer.text or await next_text(user)


async def press(user: ChatUser, data: Any) -> str | None:
    return await answer_text(user, await press_data(user, data))


async def with_merge(scene: Scene, case: Case) -> Case:
    """The case's ticket merged into its original, as an administrator does it in the chat."""
    assert case.original is not None
    admin, ticket = scene.people["admin"], case.ticket
    await admin.catch_up()
    await press(admin, TicketAction(ticket_id=ticket.id, action="merge", state=ticket.state))
    await admin.send(case.original.code)
    merged = await next_text(admin)
    assert merged is not None and "is merged into" in merged, merged
    await deliver(scene.app)
    await scene.app.lanes.idle()
    return case


async def with_supporter(scene: Scene, case: Case) -> Case:
    """A resolved ticket another citizen filed, which the scene's citizen joined (me too):
    the case's ticket is that one, its survey open to the citizen as a supporter."""
    app, citizen = scene.app, scene.people["citizen"]
    reporter = await scene.shared.citizen("Reporter")
    admin = await scene.admin_actor()
    async with app.session_factory() as session, session.begin():
        ws = app.workspace(session)
        with app.i18n.context():
            ticket = (await submit_report(ws, draft_of(reporter), per_hour=10_000)).ticket
            await SqlSupporters(session).add(
                ticket_id=ticket.id,
                reporter_user_id=citizen.id,
                channel="telegram",
                now=scene.shared.clock.now(),
                language="en",
            )
            accept = StaffCommand(ticket_id=ticket.id, action=Action.ACCEPT)
            await perform(ws, admin, accept)
            resolve = StaffCommand(
                ticket_id=ticket.id,
                action=Action.RESOLVE,
                text="The clerk was warned.",
                outcome=Outcome(Finding.UNVERIFIABLE),
            )
            ticket = await perform(ws, admin, resolve)
    await deliver(app)
    await app.lanes.idle()
    return Case(ticket)
