"""The authorization matrix: every staff and administrator command and button × every role.

Roles (tests/hostile/authz_scene.py): a citizen; the home department's handler (the
ticket's handler once it is assigned); a supervisor of the home department; a supervisor of
another department; an administrator; a removed member of the home department; a
non-member in the group bound to the home department (who acts in that group). Buttons a
role never sees are forged (`press_data`). The tickets are filed up front in the home
department: an allowed cell of a row that changes the database has one of its own; the
other cells of a kind share one, which each of them is checked to leave as it was.

A cell reads OK (allowed: the answer is shown, and where the row says so the database
changed) or names the refusal the role gets. A refusal must be that exact answer, in the
user's language, and leave every table as it was (the refusal's security event, the raw
update and the sent message aside).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass

import pytest
import pytest_asyncio

from emulator.client import ChatUser
from handlers.admin import (
    BindPick,
    DeptInvite,
    DeptMembers,
    DeptPanel,
    InvitePick,
    ParentPick,
    RemoveMember,
    RoutePick,
)
from handlers.deadlines import DeadlinePick
from handlers.praise import PraiseNav
from handlers.reporter import Nav
from handlers.stats import PublishPreview, RankingPublish, RankingView, StatsView, TicketPublish
from handlers.status import JoinedStatus
from handlers.supervisor import AssignTo, OpenCard, QueuePage, ReplyPanel, RouteTo
from handlers.templates import TemplateEdit
from tests.conversations.staff import deliver
from tests.hostile.authz_scene import (
    ROLES,
    Case,
    Need,
    Scene,
    build_scene,
    changed_tables,
    next_text,
    press,
    snapshot,
    with_invite,
    with_merge,
    with_spare_member,
    with_supporter,
)
from tests.hostile.conftest import Shared, module_loop
from ui.keyboards import (
    FindingChoice,
    Moderate,
    RevealIdentity,
    RevokeInvite,
    SupporterSurveyAnswer,
    TicketAction,
)
from ui.reply_templates import TemplatePick

pytestmark = module_loop

OK = "ok"
# The exact refusals (English, the language every user of the scene chose).
REFUSALS = {
    "staff": "This is for department staff only.",
    "admin": "Only administrators can do this.",
    "dept": "This ticket belongs to another department.",
    "sup": "Only a supervisor of the department can do this.",
    "private": "Please send this to me in a private chat: everyone here would read the answer.",
    "spent": "This button is no longer active.",
    "draft": "This draft is no longer active.",
    "forbidden": "You are not allowed to do this.",
    "silent": None,  # no answer at all: the command is not one in a group
}
# What publishing answers an administrator on this bot, which has no channel to publish to.
NO_CHANNEL = "No transparency channel is set up: set PUBLIC_CHANNEL_ID first."

# fmt: off
# Columns, in order: citizen, handler, dept_supervisor, other_supervisor, admin,
# removed_member, group_stranger.
TABLE: dict[str, tuple[str, str, str, str, str, str, str]] = {
    # card buttons (TicketAction)
    "accept":          ("staff", "sup", OK,      "dept",  OK,      "staff", "staff"),
    "route":           ("staff", "sup", OK,      "dept",  OK,      "staff", "staff"),
    "assign":          ("staff", "sup", OK,      "dept",  OK,      "staff", "staff"),
    "ask":             ("staff", OK,    OK,      "dept",  OK,      "staff", "staff"),
    "reject":          ("staff", "sup", OK,      "dept",  OK,      "staff", "staff"),
    "duplicate":       ("staff", "sup", OK,      "dept",  OK,      "staff", "staff"),
    "resolve":         ("staff", OK,    OK,      "dept",  OK,      "staff", "staff"),
    # the card's follow-up buttons
    "route_to":        ("staff", "sup", OK,      "dept",  OK,      "staff", "staff"),
    "assign_to":       ("staff", "sup", OK,      "dept",  OK,      "staff", "staff"),
    "reveal":          ("staff", OK,    OK,      "dept",  OK,      "staff", "staff"),
    "open_card":       ("staff", OK,    OK,      "dept",  OK,      "staff", "staff"),
    "queue_page":      ("staff", OK,    OK,      OK,      OK,      "staff", "staff"),
    # resolving panels pressed with no resolving step of one's own: never a way in
    "finding":         ("staff", "spent", "spent", "spent", "spent", "staff", "staff"),
    "reply_panel":     ("staff", "spent", "spent", "spent", "spent", "staff", "staff"),
    "template_pick":   ("staff", "spent", "spent", "spent", "spent", "staff", "staff"),
    # staff commands
    "/ticket":         ("staff", OK,    OK,      "dept",  OK,      "staff", "private"),
    "/queue":          ("staff", OK,    OK,      OK,      OK,      "staff", "staff"),
    "/find":           ("staff", OK,    OK,      OK,      OK,      "staff", "private"),
    "/console":        ("staff", OK,    OK,      OK,      OK,      "staff", "silent"),
    # statistics: supervisors (their departments) and administrators
    "/stats":          ("staff", "sup", OK,      OK,      OK,      "staff", "staff"),
    "stats_view":      ("staff", "sup", OK,      OK,      OK,      "staff", "staff"),
    "/export":         ("staff", "sup", OK,      OK,      OK,      "staff", "private"),
    # administrators only
    "/audit":          ("admin", "admin", "admin", "admin", OK,    "admin", "private"),
    "/original":       ("admin", "admin", "admin", "admin", OK,    "admin", "private"),
    "/dept":           ("admin", "admin", "admin", "admin", OK,    "admin", "private"),
    "/route":          ("admin", "admin", "admin", "admin", OK,    "admin", "private"),
    "/dead":           ("admin", "admin", "admin", "admin", OK,    "admin", "private"),
    "/deadline":       ("admin", "admin", "admin", "admin", OK,    "admin", "private"),
    "/templates":      ("admin", "admin", "admin", "admin", OK,    "admin", "private"),
    "/ranking":        ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "/publish":        ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "/bind":           ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "/unbind":         ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "dept_panel":      ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "dept_invite":     ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "dept_members":    ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "remove_member":   ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "revoke_invite":   ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "parent_pick":     ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "invite_pick":     ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "route_pick":      ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "deadline_pick":   ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "template_retire": ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "ranking_view":    ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "ranking_publish": ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "publish_preview": ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "publish":         ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    # merge and split (supervisors of the ticket's department, administrators)
    "merge":           ("staff", "sup", OK,      "dept",  OK,      "staff", "staff"),
    "/split":          ("staff", "sup", OK,      "dept",  OK,      "staff", "staff"),
    # moderation before publishing: administrators, in a private chat (this bot has no
    # channel, so an administrator's press reaches the publishing checks and stops there)
    "moderate_redact": ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "moderate_hide":   ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "moderate_undo":   ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    "moderate_revert": ("admin", "admin", "admin", "admin", OK,    "admin", "admin"),
    # a citizen's: praise is anyone's, in a private chat; a forged draft button is nobody's
    "/praise":         (OK,      OK,    OK,      OK,      OK,      OK,      "silent"),
    "praise_confirm":  ("draft", "draft", "draft", "draft", "draft", "draft", "draft"),
    "me_too":          ("draft", "draft", "draft", "draft", "draft", "draft", "draft"),
    # a case joined with me too: only its supporter (the scene's citizen) rates or reads it
    "supporter_survey": (OK,     "forbidden", "forbidden", "forbidden", "forbidden",
                         "forbidden", "forbidden"),
    "joined_status":   (OK,      "forbidden", "forbidden", "forbidden", "forbidden",
                        "forbidden", "forbidden"),
    # binding is done in the group (the administrator presses there); pressed in a private
    # chat the button does nothing for anyone
    "bind_pick":       ("spent", "spent", "spent", "spent", OK,    "spent", "admin"),
}
# fmt: on

Do = Callable[[Scene, ChatUser, Case], Awaitable[str | None]]


NEW = Need()


@dataclass(frozen=True)
class Act:
    """How a row is performed, on which ticket, and what an allowed cell shows."""

    do: Do
    shows: str  # in the answer of an allowed cell
    then: str = ""  # in a later message of that answer (what a progress message becomes)
    need: Need = NEW  # what the row acts on
    changes: bool = False  # an allowed cell changes the database
    admin_in_group: bool = False


def button(make: Callable[[Scene, Case], object]) -> Do:
    async def do(scene: Scene, user: ChatUser, case: Case) -> str | None:
        return await press(user, make(scene, case))

    return do


def card(action: str) -> Do:
    return button(
        lambda s, c: TicketAction(ticket_id=c.ticket.id, action=action, state=c.ticket.state)
    )


def card_then_text(action: str, text: Callable[[Case], str]) -> Do:
    """A card button that asks for text: refused at the press, or the text is typed."""

    async def do(scene: Scene, user: ChatUser, case: Case) -> str | None:
        data = TicketAction(ticket_id=case.ticket.id, action=action, state=case.ticket.state)
        answer = await press(user, data)
        if answer in REFUSALS.values():
            return answer
        await user.send(text(case))
        return await next_text(user)

    return do


async def resolve_all_the_way(scene: Scene, user: ChatUser, case: Case) -> str | None:
    """Resolve, a finding, the official reply, Send reply."""
    ticket = case.ticket
    answer = await press(
        user, TicketAction(ticket_id=ticket.id, action="resolve", state=ticket.state)
    )
    if answer in REFUSALS.values():
        return answer
    await press(user, FindingChoice(ticket_id=ticket.id, finding="unverifiable"))
    await next_text(user)  # the reply's prompt
    await user.send("We checked the window and could not verify it.")
    await next_text(user)  # "Reply noted"
    return await press(user, ReplyPanel(ticket_id=ticket.id, send=True))


def command(name: str, args: Callable[[Scene, Case], str] = lambda s, c: "") -> Do:
    async def do(scene: Scene, user: ChatUser, case: Case) -> str | None:
        await user.command(name, args(scene, case))
        return await next_text(user, within=0.5 if user.chat_id < 0 else 10.0)

    return do


async def praise_then_cancel(scene: Scene, user: ChatUser, case: Case) -> str | None:
    """/praise, whose first step is the answer; then /cancel, so the draft stays no one's."""
    answer = await command("praise")(scene, user, case)
    if answer is not None and user.chat_id > 0:
        await user.command("cancel")
        await next_text(user)
    return answer


def moderate(action: str, item: int = 0) -> Do:
    return button(lambda s, c: Moderate(action=action, ticket_id=c.ticket.id, item=item))


# No chat's draft has this id: every press of a draft button carrying it is a forgery.
FORGED_DRAFT = "forged00"


def code(scene: Scene, case: Case) -> str:
    return case.ticket.code


ACTS: dict[str, Act] = {
    "accept": Act(card("accept"), "Accepted", changes=True),
    "route": Act(card("route"), "Which department should handle"),
    "assign": Act(card("assign"), "Who should handle", need=Need("assigned")),
    "ask": Act(
        card_then_text("ask", lambda c: "Which window was it?"),
        "passed on to the reporter",
        need=Need("assigned"),
        changes=True,
    ),
    "reject": Act(
        card_then_text("reject", lambda c: "Not a matter for this office."),
        "is rejected",
        changes=True,
    ),
    "duplicate": Act(
        card_then_text("mark_duplicate", lambda c: c.original.code if c.original else ""),
        "is linked to",
        need=Need("assigned", original=True),
        changes=True,
    ),
    "resolve": Act(resolve_all_the_way, "Resolved", need=Need("assigned"), changes=True),
    "route_to": Act(
        button(lambda s, c: RouteTo(ticket_id=c.ticket.id, department_id=s.other, state="new")),
        "is routed to Other office",
        changes=True,
    ),
    "assign_to": Act(
        button(
            lambda s, c: AssignTo(
                ticket_id=c.ticket.id, member_id=s.supervisor_member, state=c.ticket.state
            )
        ),
        "is assigned to",
        need=Need("assigned"),
        changes=True,
    ),
    "reveal": Act(
        button(lambda s, c: RevealIdentity(ticket_id=c.ticket.id)),
        "Citizen",
        need=Need("real_name"),
        changes=True,
    ),
    "open_card": Act(button(lambda s, c: OpenCard(ticket_id=c.ticket.id)), "Resolve by"),
    "queue_page": Act(button(lambda s, c: QueuePage(page=0)), "pen tickets"),
    "finding": Act(
        button(lambda s, c: FindingChoice(ticket_id=c.ticket.id, finding="unsubstantiated")),
        "",
        need=Need("assigned"),
    ),
    "reply_panel": Act(
        button(lambda s, c: ReplyPanel(ticket_id=c.ticket.id, send=True)),
        "",
        need=Need("assigned"),
    ),
    "template_pick": Act(
        button(lambda s, c: TemplatePick(ticket_id=c.ticket.id, template_id=4)),
        "",
        need=Need("assigned"),
    ),
    "/ticket": Act(command("ticket", code), "History of"),
    "/queue": Act(command("queue"), "pen tickets"),  # another department's: none
    "/find": Act(command("find", lambda s, c: "idle new"), "ticket"),
    "/console": Act(command("console"), "web console"),
    "/stats": Act(command("stats"), "Computing the statistics", then="Statistics · "),
    "stats_view": Act(
        button(lambda s, c: StatsView(period="week")),
        "Computing the statistics",
        then="Statistics · ",
    ),
    "/export": Act(command("export"), "Preparing the export", then="Export ready"),
    "/audit": Act(command("audit", code), "Identity views of"),
    "/original": Act(
        command("original", lambda s, c: f"{c.ticket.code} 1"), "This report has no photos."
    ),
    "/dept": Act(command("dept"), "Other office"),
    "/route": Act(command("route"), "Routing rules"),
    "/dead": Act(command("dead"), "No undelivered messages"),
    "/templates": Act(command("templates"), "Reply templates"),
    "/deadline": Act(command("deadline"), "Deadlines in working days"),
    "/ranking": Act(command("ranking"), "Ranking the departments", then="Department ranking · "),
    "/publish": Act(command("publish", code), NO_CHANNEL),
    "/bind": Act(command("bind"), "group chat"),
    "/unbind": Act(command("unbind"), "group chat"),
    "dept_panel": Act(button(lambda s, c: DeptPanel(department_id=s.spare)), "Spare office"),
    "dept_invite": Act(
        button(lambda s, c: DeptInvite(department_id=s.spare, role="supervisor")),
        "Invite to Spare office as supervisor",
        changes=True,
    ),
    "dept_members": Act(
        button(lambda s, c: DeptMembers(department_id=s.home)), "DeptSupervisor · supervisor"
    ),
    "remove_member": Act(
        button(lambda s, c: RemoveMember(member_id=c.spare_member)),
        "Spare is no longer a member",
        changes=True,
        need=Need(extra=with_spare_member),
    ),
    "revoke_invite": Act(
        button(lambda s, c: RevokeInvite(invite_id=c.invite_id)),
        "revoked",
        changes=True,
        need=Need(extra=with_invite),
    ),
    "parent_pick": Act(
        button(lambda s, c: ParentPick(department_id=s.spare, parent_id=s.other)),
        "now go to Other office, which supervises it",
        changes=True,
    ),
    "invite_pick": Act(
        button(lambda s, c: InvitePick(department_id=s.spare)), "Invite to Spare office as what?"
    ),
    "route_pick": Act(
        button(lambda s, c: RoutePick(category="car", department_id=s.spare)),
        "Spare office",
        changes=True,
    ),
    "deadline_pick": Act(
        button(lambda s, c: DeadlinePick(category="banquet", accept=2, resolve=10)),
        "accept within 2 and resolve within 10 working days",
        changes=True,
    ),
    "template_retire": Act(
        button(lambda s, c: TemplateEdit(action="retire", template_id=1)),
        "Retired: 问题已核实处理",
        changes=True,
    ),
    "ranking_view": Act(
        button(lambda s, c: RankingView(year=2026, quarter=4)),
        "Ranking the departments",
        then="Department ranking · 2026 Q4",
    ),
    "ranking_publish": Act(button(lambda s, c: RankingPublish(year=2026, quarter=4)), NO_CHANNEL),
    "publish_preview": Act(button(lambda s, c: PublishPreview(ticket_id=c.ticket.id)), NO_CHANNEL),
    "publish": Act(
        button(lambda s, c: TicketPublish(ticket_id=c.ticket.id, photos="none")), NO_CHANNEL
    ),
    "merge": Act(
        card_then_text("merge", lambda c: c.original.code if c.original else ""),
        "is merged into",
        need=Need(original=True),
        changes=True,
    ),
    "/split": Act(
        command("split", code),
        "is split off",
        need=Need(original=True, extra=with_merge),
        changes=True,
    ),
    "moderate_redact": Act(moderate("redact"), NO_CHANNEL),
    "moderate_hide": Act(moderate("hide"), NO_CHANNEL),
    "moderate_undo": Act(moderate("undo"), NO_CHANNEL),
    "moderate_revert": Act(moderate("revert", item=1), NO_CHANNEL),
    "/praise": Act(praise_then_cancel, "Praise good service"),
    "praise_confirm": Act(
        button(lambda s, c: PraiseNav(draft=FORGED_DRAFT, action="confirm")), ""
    ),
    "me_too": Act(
        button(lambda s, c: Nav(draft=FORGED_DRAFT, action="join", value=str(c.ticket.id))),
        "",
    ),
    "supporter_survey": Act(
        button(lambda s, c: SupporterSurveyAnswer(ticket_id=c.ticket.id, rating="fair")),
        "Thank you!",
        need=Need(extra=with_supporter),
        changes=True,
    ),
    "joined_status": Act(
        button(lambda s, c: JoinedStatus(ticket_id=c.ticket.id)),
        "A case you joined",
        need=Need(extra=with_supporter),
    ),
    "bind_pick": Act(
        button(lambda s, c: BindPick(department_id=s.spare)),
        "now receives the alerts of Spare office",
        changes=True,
        admin_in_group=True,
    ),
}

assert set(TABLE) == set(ACTS), "every row of the table needs a way to perform it"
CELLS = [
    (row, role, expected)
    for row, outcomes in TABLE.items()
    for role, expected in zip(ROLES, outcomes, strict=True)
]


def case_key(row: str, role: str, expected: str) -> Hashable:
    """The case a cell acts on: its own where it may change it, else the one its row's kind
    of cells share (a refusal changes nothing, nor does a row that changes nothing)."""
    act = ACTS[row]
    return (row, role) if expected == OK and act.changes else act.need


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scene(shared_bot: Shared) -> AsyncIterator[Scene]:
    needs = {case_key(*cell): ACTS[cell[0]].need for cell in CELLS}
    yield await build_scene(shared_bot, needs)


@pytest.mark.parametrize(
    ("row", "role", "expected"),
    [
        pytest.param(*cell, id=f"{cell[0]}-{cell[1]}-{'allowed' if cell[2] == OK else 'denied'}")
        for cell in CELLS
    ],
)
async def test_cell(shared: Shared, scene: Scene, row: str, role: str, expected: str) -> None:
    act = ACTS[row]
    case = scene.cases[case_key(row, role, expected)]
    user = scene.admin_in_group if role == "admin" and act.admin_in_group else scene.people[role]
    await user.catch_up()
    before = await snapshot(shared.app)

    answer = await act.do(scene, user, case)
    await shared.app.lanes.idle()

    changed = changed_tables(before, await snapshot(shared.app))
    if changed:  # what the cell set going goes out now, not during the next cell
        await deliver(shared.app)
        await shared.app.lanes.idle()
    if expected != OK:
        assert answer == REFUSALS[expected]
        assert changed == [], f"a refusal changed {changed}"
        return
    assert answer is not None and answer not in REFUSALS.values(), answer
    assert act.shows in answer
    if act.then:
        answer = (await user.expect(act.then)).content
    assert bool(changed) == act.changes, f"changed: {changed}"
    if role == "other_supervisor":  # allowed, but only over its own department
        assert case.ticket.code not in answer
