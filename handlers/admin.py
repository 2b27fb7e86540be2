"""Administrators run the directory in chat: `/dept`, invites, members, `/bind`, `/route`,
`/dead`; and anyone opening an invite link (`/start inv_<token>`) joins a department.

```mermaid
flowchart LR
  dept[/dept list/] --> panel[department panel] --> invite[invite link] --> join[/start inv_…/]
  panel --> members[members] --> remove[remove]
  bind[/bind DEPT in a group/] --> alerts[alerts go to the group]
  route[/route add DEPT category=… tag=…/] --> rules[routing rules]
  dead[/dead/] --> retry[/dead retry/]
```
Every command and button here is for administrators (`ADMIN_IDS`) only, except opening an
invite; `tickets.membership` checks the role again. DEPT is the number `/dept list` shows,
or the exact name.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from config.settings import Settings
from handlers.access import ADMIN, AccessMiddleware
from handlers.changes import audited
from handlers.errors import refusing
from handlers.redraw import edit_pressed
from handlers.routing import Blueprint
from tickets.actors import Actor
from tickets.changes import Change
from tickets.clock import Clock
from tickets.errors import NotFound
from tickets.membership import (
    INVITE_PREFIX,
    DepartmentView,
    MemberView,
    add_department,
    add_rule,
    archive_department,
    bind_group,
    clean_display_name,
    create_invite,
    delete_rule,
    department_ref,
    invite_payload,
    open_invites,
    parse_invite_payload,
    redeem_invite,
    register_tag,
    remove_member,
    rename_department,
    revoke_invite,
    set_parent,
    unbind_group,
)
from tickets.ports import StaffDirectory, UpdateWorkspace
from ui.categories import current_categories, offered
from ui.commands import set_staff_menu
from ui.keyboards import DataInt, RevokeInvite
from ui.render import category_label, local_time, role_label

router = Blueprint(__name__)  # built per Dispatcher by handlers.get_routers()
router.message.middleware(AccessMiddleware())
router.callback_query.middleware(AccessMiddleware())

DEAD_SHOWN = 20
ERROR_SHOWN = 120

Reply = tuple[str, InlineKeyboardMarkup | None]


class DeptPanel(CallbackData, prefix="adp"):
    department_id: DataInt


class DeptInvite(CallbackData, prefix="adi"):
    department_id: DataInt
    role: str


class DeptMembers(CallbackData, prefix="adm"):
    department_id: DataInt


class RemoveMember(CallbackData, prefix="adr"):
    member_id: DataInt


class BindPick(CallbackData, prefix="bnd"):
    """`/bind` without a department: the department chosen with a button."""

    department_id: DataInt


class ParentPick(CallbackData, prefix="apa"):
    """`/dept parent` without arguments: the department, then its parent (0: the
    supervision office; -1: not chosen yet)."""

    department_id: int
    parent_id: int = -1


class InvitePick(CallbackData, prefix="adv"):
    """`/dept invite` without a department: the department; the role comes next."""

    department_id: DataInt


class RoutePick(CallbackData, prefix="rtp"):
    """`/route add` without terms: a category, then a department (0: not chosen yet)."""

    category: str
    department_id: DataInt = 0


def choice_rows(buttons: list[InlineKeyboardButton], width: int = 2) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[buttons[i : i + width] for i in range(0, len(buttons), width)]
    )


async def department_choices(
    directory: StaffDirectory, pick: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup | None:
    """A button per department that can take work, each carrying `pick(department_id)`."""
    departments = [d for d in await directory.list_departments() if not d.archived]
    buttons = [
        InlineKeyboardButton(text=d.name, callback_data=pick(d.id).pack()) for d in departments
    ]
    return choice_rows(buttons) if buttons else None


def role_choices(department_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[invite_row(department_id)])


def category_choices(pick: Callable[[str], CallbackData]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=name, callback_data=pick(slug).pack())
        for slug, name in offered()
    ]
    return choice_rows(buttons)


@dataclass(frozen=True)
class AdminContext:
    """What every admin command works with, bound to one update."""

    ws: UpdateWorkspace
    actor: Actor
    settings: Settings
    bot: Bot

    @property
    def directory(self) -> StaffDirectory:
        return self.ws.directory

    @property
    def clock(self) -> Clock:
        return self.ws.clock


def admin_context(
    event: TelegramObject, ws: UpdateWorkspace, actor: Actor, settings: Settings, bot: Bot
) -> dict[str, AdminContext]:
    """Filter that always passes: hands the handler `ctx`, this update's `AdminContext`."""
    return {"ctx": AdminContext(ws, actor, settings, bot)}


def split_args(text: str | None) -> list[str]:
    """Words, with "quoted names" kept together."""
    try:
        return shlex.split(text or "")
    except ValueError:
        return (text or "").split()


# -- joining by invite ----------------------------------------------------------------------


@router.message(
    CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX)),
    F.chat.type == "private",
)
async def join_by_invite(
    message: Message,
    command: CommandObject,
    ws: UpdateWorkspace,
    bot: Bot,
    i18n: I18n,
    user_language: str | None = None,
) -> None:
    assert message.from_user is not None
    user = message.from_user
    token = parse_invite_payload(command.args)
    with refusing(detail="invite"):
        if token is None:
            raise NotFound("invite_unknown")
        joined = await redeem_invite(
            ws.directory,
            token=token,
            user_id=user.id,
            display_name=clean_display_name(user.first_name, user.last_name),
            now=ws.clock.now(),
        )
    if user_language is None:
        # Alerts are written for their recipient; keep the language this member uses now.
        await ws.people.set_language(user_id=user.id, language=i18n.current_locale)
    # A member before they are told so: the update's writes commit before the answer goes.
    await message.answer(
        _(
            "Welcome! You are now a {role} of {department}.\n"
            "New reports of the department reach you here. /queue lists its open tickets, "
            "/help shows more."
        ).format(role=role_label(joined.role), department=html.escape(joined.department.name))
    )
    await set_staff_menu(bot, message.chat.id)


# -- /dept ------------------------------------------------------------------------------------


def dept_usage() -> str:
    return "\n".join(
        [
            _("<b>Administration</b>"),
            _("/dept list — departments"),
            _("/dept add NAME — create a department"),
            _("/dept rename DEPT NEW NAME"),
            _("/dept archive DEPT — route nothing new there"),
            _(
                "/dept parent DEPT PARENT — reports about DEPT go to PARENT (- : the "
                "supervision office)"
            ),
            _("/dept invite DEPT supervisor|handler — a single-use link, valid 72 h"),
            _("/dept invites — the links not used yet, to revoke one"),
            _("/dept members DEPT — list and remove members"),
            _("/bind DEPT — in a group chat: send the department's alerts there; /unbind"),
            _("/route — routing rules and place tags"),
            _("/deadline — working days to accept and resolve, per category"),
            _("/categories — add, rename, retire or restore report categories"),
            _("/dead — messages that could not be delivered"),
            _("DEPT is the number from /dept list, or the exact name."),
        ]
    )


def department_line(department: DepartmentView) -> str:
    flags = []
    if department.is_intake:
        flags.append(_("intake"))
    if department.archived:
        flags.append(_("archived"))
    if department.group_chat_id is not None:
        flags.append(_("group bound"))
    if department.parent_id is not None:
        flags.append(_("under #{id}").format(id=department.parent_id))
    extra = f" ({', '.join(flags)})" if flags else ""
    members = _("{count} member(s)").format(count=department.members)
    return f"#{department.id} <b>{html.escape(department.name)}</b>{extra} · {members}"


async def dept_list(ctx: AdminContext, args: Sequence[str]) -> Reply:
    departments = await ctx.directory.list_departments()
    lines = [_("<b>Departments</b>")] + [department_line(d) for d in departments]
    lines += ["", _("Manage one with the buttons; /dept help lists the commands.")]
    buttons = [
        InlineKeyboardButton(
            text=f"⚙️ {d.name}", callback_data=DeptPanel(department_id=d.id).pack()
        )
        for d in departments
        if not d.archived
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def dept_add(ctx: AdminContext, args: Sequence[str]) -> Reply:
    department = await add_department(
        ctx.directory, ctx.actor, name=" ".join(args), now=ctx.clock.now()
    )
    await audited(ctx.ws, ctx.actor, Change.DEPARTMENT_ADD, f"#{department.id} {department.name}")
    text = _(
        "🏢 Department #{id} {name} created.\nInvite its supervisor: /dept invite {id} supervisor"
    ).format(id=department.id, name=html.escape(department.name))
    return text, panel_keyboard(department.id)


async def dept_rename(ctx: AdminContext, args: Sequence[str]) -> Reply:
    if len(args) < 2:
        return dept_usage(), None
    old, department = await rename_department(
        ctx.directory, ctx.actor, ref=args[0], name=" ".join(args[1:])
    )
    detail = f"#{department.id} {old} → {department.name}"
    await audited(ctx.ws, ctx.actor, Change.DEPARTMENT_RENAME, detail)
    return _("✏️ {old} is now called {name}.").format(
        old=html.escape(old), name=html.escape(department.name)
    ), None


async def dept_archive(ctx: AdminContext, args: Sequence[str]) -> Reply:
    if not args:
        return dept_usage(), None
    department = await archive_department(ctx.directory, ctx.actor, ref=" ".join(args))
    detail = f"#{department.id} {department.name}"
    await audited(ctx.ws, ctx.actor, Change.DEPARTMENT_ARCHIVE, detail)
    return _(
        "🗄 {name} is archived: no new reports are routed there; its open tickets stay."
    ).format(name=html.escape(department.name)), None


async def dept_parent(ctx: AdminContext, args: Sequence[str]) -> Reply:
    if not args:
        markup = await department_choices(ctx.directory, lambda d: ParentPick(department_id=d))
        return _("Set the supervising office of which department?"), markup
    if len(args) == 1:
        unit = await department_ref(ctx.directory, args[0])
        return await parent_choices(ctx.directory, unit)
    return await parent_text(ctx, ref=args[0], parent_ref=" ".join(args[1:])), None


async def parent_choices(directory: StaffDirectory, unit: DepartmentView) -> Reply:
    """The departments that may supervise `unit`, and the supervision office (the default)."""
    departments = [d for d in await directory.list_departments() if not d.archived]
    buttons = [
        InlineKeyboardButton(
            text=d.name, callback_data=ParentPick(department_id=unit.id, parent_id=d.id).pack()
        )
        for d in departments
        if d.id != unit.id
    ]
    buttons.append(
        InlineKeyboardButton(
            text=_("Supervision office (default)"),
            callback_data=ParentPick(department_id=unit.id, parent_id=0).pack(),
        )
    )
    text = _("Which office supervises {name}? Reports about it go there.").format(
        name=html.escape(unit.name)
    )
    return text, choice_rows(buttons)


async def parent_text(ctx: AdminContext, *, ref: str, parent_ref: str) -> str:
    unit, parent = await set_parent(ctx.directory, ctx.actor, ref=ref, parent_ref=parent_ref)
    await parent_audited(ctx.ws, ctx.actor, unit, parent)
    return parent_done(unit, parent)


async def parent_audited(
    ws: UpdateWorkspace, actor: Actor, unit: DepartmentView, parent: DepartmentView | None
) -> None:
    to = f"#{parent.id}" if parent else "-"
    await audited(ws, actor, Change.DEPARTMENT_PARENT, f"#{unit.id} {unit.name} → {to}")


def parent_done(unit: DepartmentView, parent: DepartmentView | None) -> str:
    if parent is None:
        return _("🏛 Reports about {name} now go to the supervision office.").format(
            name=html.escape(unit.name)
        )
    return _("🏛 Reports about {name} now go to {parent}, which supervises it.").format(
        name=html.escape(unit.name), parent=html.escape(parent.name)
    )


@router.callback_query(ParentPick.filter(), flags=ADMIN)
async def on_parent_pick(
    query: CallbackQuery, callback_data: ParentPick, ws: UpdateWorkspace, actor: Actor
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    cb = callback_data
    with refusing(logged=(), in_chat=True):
        if cb.parent_id < 0:
            unit = await department_ref(ws.directory, str(cb.department_id))
            text, markup = await parent_choices(ws.directory, unit)
            await query.message.answer(text, reply_markup=markup)
            return
        unit, parent = await set_parent(
            ws.directory, actor, ref=str(cb.department_id), parent_ref=str(cb.parent_id or "-")
        )
        await parent_audited(ws, actor, unit, parent)
    await query.message.answer(parent_done(unit, parent))


async def dept_invite(ctx: AdminContext, args: Sequence[str]) -> Reply:
    if not args:
        markup = await department_choices(ctx.directory, lambda d: InvitePick(department_id=d))
        return _("Invite someone to which department?"), markup
    if len(args) == 1:
        department = await department_ref(ctx.directory, args[0])
        return role_text(department), role_choices(department.id)
    return await invite_text(ctx, ref=" ".join(args[:-1]), role=args[-1]), None


def role_text(department: DepartmentView) -> str:
    return _("Invite to {department} as what?").format(department=html.escape(department.name))


async def invite_text(ctx: AdminContext, *, ref: str, role: str) -> str:
    invite, department = await create_invite(
        ctx.directory, ctx.actor, ref=ref, role=role, now=ctx.clock.now()
    )
    detail = f"#{invite.id} #{department.id} {department.name} {invite.role}"
    await audited(ctx.ws, ctx.actor, Change.INVITE_CREATE, detail)
    link = await create_start_link(ctx.bot, invite_payload(invite.token))
    return "\n".join(
        [
            _("🔗 Invite to {department} as {role}: it works once, until {time}.").format(
                department=html.escape(department.name),
                role=role_label(invite.role),
                time=local_time(invite.expires_at, ctx.settings.tz),
            ),
            link,
            _("Send it only to that person."),
        ]
    )


async def dept_invites(ctx: AdminContext, args: Sequence[str]) -> Reply:
    return await invites_text(ctx)


async def invites_text(ctx: AdminContext) -> Reply:
    """The open invites: department, role and until when, each with a Revoke button."""
    invites = await open_invites(ctx.directory, ctx.actor, now=ctx.clock.now())
    if not invites:
        return _("No open invites: every link has been used, has expired or was revoked."), None
    names = {d.id: d.name for d in await ctx.directory.list_departments()}
    lines = [_("<b>Open invites</b>")]
    rows = []
    for invite in invites:
        department = html.escape(names.get(invite.department_id, "—"))
        until = local_time(invite.expires_at, ctx.settings.tz)
        role = role_label(invite.role)
        lines.append(
            _("#{id} {department} · {role} · until {time}").format(
                id=invite.id, department=department, role=role, time=until
            )
        )
        revoke = RevokeInvite(invite_id=invite.id).pack()
        label = _("✖️ Revoke #{id}").format(id=invite.id)
        rows.append([InlineKeyboardButton(text=label, callback_data=revoke)])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def dept_members(ctx: AdminContext, args: Sequence[str]) -> Reply:
    if not args:
        return dept_usage(), None
    department = await department_ref(ctx.directory, " ".join(args))
    return await members_text(ctx, department)


async def members_text(ctx: AdminContext, department: DepartmentView) -> Reply:
    members = await ctx.directory.list_members(department_id=department.id)
    lines = [_("<b>Members of {name}</b>").format(name=html.escape(department.name))]
    if not members:
        lines.append(_("Nobody yet: /dept invite {id} supervisor").format(id=department.id))
    for member in members:
        since = local_time(member.joined_at, ctx.settings.tz)
        name = html.escape(member.display_name)
        lines.append(f"#{member.id} {name} · {role_label(member.role)} · {since}")
    rows = [
        [
            InlineKeyboardButton(
                text=_("✖️ Remove {name}").format(name=member.display_name),
                callback_data=RemoveMember(member_id=member.id).pack(),
            )
        ]
        for member in members
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def dept_remove(ctx: AdminContext, args: Sequence[str]) -> Reply:
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        return dept_usage(), None
    member = await remove_member(
        ctx.directory,
        ctx.ws.notifier,
        ctx.actor,
        member_id=int(args[0].lstrip("#")),
        now=ctx.clock.now(),
    )
    await member_audited(ctx.ws, ctx.actor, member)
    return _("{name} is no longer a member.").format(name=html.escape(member.display_name)), None


async def member_audited(ws: UpdateWorkspace, actor: Actor, member: MemberView) -> None:
    await audited(ws, actor, Change.MEMBER_REMOVE, f"#{member.id} #{member.department_id}")


async def dept_help(ctx: AdminContext, args: Sequence[str]) -> Reply:
    return dept_usage(), None


DEPT_VERBS: dict[str, Callable[[AdminContext, Sequence[str]], Awaitable[Reply]]] = {
    "list": dept_list,
    "add": dept_add,
    "rename": dept_rename,
    "archive": dept_archive,
    "parent": dept_parent,
    "invite": dept_invite,
    "invites": dept_invites,
    "members": dept_members,
    "remove": dept_remove,
    "help": dept_help,
}


async def run_verb(
    message: Message,
    ctx: AdminContext,
    verbs: dict[str, Callable[[AdminContext, Sequence[str]], Awaitable[Reply]]],
    args: list[str],
    default: str,
) -> None:
    verb = args[0].lower() if args else default
    action = verbs.get(verb, verbs["help"])
    # An administrator's typo, not an intrusion: say what is wrong, log nothing.
    with refusing(logged=()):
        text, markup = await action(ctx, args[1:])
    await message.answer(text, reply_markup=markup)  # done (committed) before reported done


def invite_row(department_id: int) -> list[InlineKeyboardButton]:
    """The two invite buttons: the same press as `/dept invite DEPT ROLE`."""
    return [
        InlineKeyboardButton(
            text=_("➕ Invite supervisor"),
            callback_data=DeptInvite(department_id=department_id, role="supervisor").pack(),
        ),
        InlineKeyboardButton(
            text=_("➕ Invite handler"),
            callback_data=DeptInvite(department_id=department_id, role="handler").pack(),
        ),
    ]


def panel_keyboard(department_id: int) -> InlineKeyboardMarkup:
    members = InlineKeyboardButton(
        text=_("👥 Members"), callback_data=DeptMembers(department_id=department_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[invite_row(department_id), [members]])


@router.callback_query(InvitePick.filter(), flags=ADMIN)
async def on_invite_pick(
    query: CallbackQuery, callback_data: InvitePick, ws: UpdateWorkspace
) -> None:
    department = await department_ref(ws.directory, str(callback_data.department_id))
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(role_text(department), reply_markup=role_choices(department.id))


@router.callback_query(DeptPanel.filter(), flags=ADMIN)
async def on_panel(query: CallbackQuery, callback_data: DeptPanel, ws: UpdateWorkspace) -> None:
    department = await ws.directory.get_department(department_id=callback_data.department_id)
    await query.answer()
    if department is not None and isinstance(query.message, Message):
        await query.message.answer(
            department_line(department), reply_markup=panel_keyboard(department.id)
        )


@router.callback_query(DeptInvite.filter(), admin_context, flags=ADMIN)
async def on_invite(
    query: CallbackQuery,
    callback_data: DeptInvite,
    ctx: AdminContext,
) -> None:
    text = await invite_text(ctx, ref=str(callback_data.department_id), role=callback_data.role)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(text)


@router.callback_query(DeptMembers.filter(), admin_context, flags=ADMIN)
async def on_members(
    query: CallbackQuery,
    callback_data: DeptMembers,
    ctx: AdminContext,
) -> None:
    department = await ctx.directory.get_department(department_id=callback_data.department_id)
    await query.answer()
    if department is not None and isinstance(query.message, Message):
        text, markup = await members_text(ctx, department)
        await query.message.answer(text, reply_markup=markup)


@router.callback_query(RemoveMember.filter(), admin_context, flags=ADMIN)
async def on_remove_member(
    query: CallbackQuery,
    callback_data: RemoveMember,
    ctx: AdminContext,
) -> None:
    member = await remove_member(
        ctx.directory,
        ctx.ws.notifier,
        ctx.actor,
        member_id=callback_data.member_id,
        now=ctx.clock.now(),
    )
    await member_audited(ctx.ws, ctx.actor, member)
    await query.answer(_("{name} is no longer a member.").format(name=member.display_name))
    department = await ctx.directory.get_department(department_id=member.department_id)
    if department is not None and isinstance(query.message, Message):
        await edit_pressed(query, *await members_text(ctx, department))


@router.callback_query(RevokeInvite.filter(), admin_context, flags=ADMIN)
async def on_revoke_invite(
    query: CallbackQuery,
    callback_data: RevokeInvite,
    ctx: AdminContext,
) -> None:
    with refusing(logged=()):  # already used or expired: an administrator's race, not a threat
        revoked = await revoke_invite(
            ctx.directory, ctx.actor, invite_id=callback_data.invite_id, now=ctx.clock.now()
        )
    detail = f"#{callback_data.invite_id} #{revoked.department_id}"
    await audited(ctx.ws, ctx.actor, Change.INVITE_REVOKE, detail)
    await query.answer(
        _("Invite #{id} revoked: its link no longer works.").format(id=callback_data.invite_id)
    )
    if isinstance(query.message, Message):
        await edit_pressed(query, *await invites_text(ctx))


# -- /bind ------------------------------------------------------------------------------------

in_group = F.chat.type.in_({"group", "supergroup"})
in_group_query = F.message.chat.type.in_({"group", "supergroup"})


@router.message(Command("bind"), in_group, flags=ADMIN)
async def bind(
    message: Message, command: CommandObject, ws: UpdateWorkspace, actor: Actor
) -> None:
    if not command.args:
        markup = await department_choices(ws.directory, lambda d: BindPick(department_id=d))
        await message.answer(
            _("Which department's alerts should come to this group?"), reply_markup=markup
        )
        return
    await bind_and_answer(message, ws, actor, ref=command.args, chat_id=message.chat.id)


@router.callback_query(BindPick.filter(), in_group_query, flags=ADMIN)
async def on_bind_pick(
    query: CallbackQuery, callback_data: BindPick, ws: UpdateWorkspace, actor: Actor
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        ref, chat_id = str(callback_data.department_id), query.message.chat.id
        await bind_and_answer(query.message, ws, actor, ref=ref, chat_id=chat_id)


async def bind_and_answer(
    message: Message, ws: UpdateWorkspace, actor: Actor, *, ref: str, chat_id: int
) -> None:
    """Bind the group to a department, typed or pressed, and say so in the group."""
    # A typo, not an intrusion; a pressed button's refusal is said in the group too.
    with refusing(logged=(), in_chat=True):
        department = await bind_group(ws.directory, ws.notifier, actor, ref=ref, chat_id=chat_id)
    await audited(ws, actor, Change.GROUP_BIND, f"#{department.id} {department.name}")
    await message.answer(
        _(
            "🔔 This group now receives the alerts of {name}. Its members act on them with "
            "the buttons; the reporter's identity is never shown."
        ).format(name=html.escape(department.name))
    )


@router.message(Command("unbind"), in_group, flags=ADMIN)
async def unbind(message: Message, ws: UpdateWorkspace, actor: Actor) -> None:
    unbound = await unbind_group(ws.directory, ws.notifier, actor, chat_id=message.chat.id)
    for department in unbound:
        await audited(ws, actor, Change.GROUP_UNBIND, f"#{department.id} {department.name}")
    if not unbound:
        await message.answer(_("No department sends its alerts to this group."))
        return
    names = ", ".join(html.escape(d.name) for d in unbound)
    await message.answer(
        _("🔕 Alerts of {names} go to their supervisors again.").format(names=names)
    )


@router.message(Command("bind", "unbind"), flags=ADMIN)
async def bind_outside_group(message: Message) -> None:
    await message.answer(_("Add me to the department's group chat and send /bind DEPT there."))


# -- /route -----------------------------------------------------------------------------------


def route_usage() -> str:
    return "\n".join(
        [
            _("<b>Routing</b>: which department gets which reports"),
            _("/route list — rules and place tags"),
            _("/route add DEPT category=SLUG tag=TAG priority=N — a rule (category or tag)"),
            _("/route del ID — remove a rule"),
            _("/route tag TAG PLACE — a QR/deep-link place tag; then /route add DEPT tag=TAG"),
            _(
                "Unmatched reports go to the intake department. `snapreport routes load` loads "
                "a YAML file."
            ),
        ]
    )


async def route_list(ctx: AdminContext, args: Sequence[str]) -> Reply:
    rules = await ctx.directory.list_rules()
    tags = await ctx.directory.list_tags()
    lines = [_("<b>Routing rules</b>")]
    if not rules:
        lines.append(_("None: every report goes to the intake department."))
    for rule in rules:
        what = []
        if rule.category:
            what.append(category_label(rule.category))
        if rule.source_tag:
            what.append(_("tag {tag}").format(tag=rule.source_tag))
        priority = f" · p{rule.priority}" if rule.priority else ""
        department = html.escape(rule.department_name)
        lines.append(f"#{rule.id} {' + '.join(what)} → {department}{priority}")
    if tags:
        lines += ["", _("<b>Place tags</b>")]
        lines += [f"<code>{tag.tag}</code> · {html.escape(tag.place_text)}" for tag in tags]
    return "\n".join(lines), None


async def route_add(ctx: AdminContext, args: Sequence[str]) -> Reply:
    if not args:
        return _("New rule: reports of which category?"), category_choices(
            lambda c: RoutePick(category=c)
        )
    if len(args) < 2:
        return route_usage(), None
    return await add_rule_text(ctx, ref=args[0], terms=args[1:]), None


async def add_rule_text(ctx: AdminContext, *, ref: str, terms: Sequence[str]) -> str:
    """Add a routing rule, typed or pressed, and describe it."""
    rule = await add_rule(
        ctx.directory, ctx.actor, ref=ref, terms=terms, categories=current_categories()
    )
    detail = f"#{rule.id} {' '.join(terms)} → #{rule.department_id}"
    await audited(ctx.ws, ctx.actor, Change.RULE_ADD, detail)
    what = " + ".join(
        part
        for part in (
            category_label(rule.category) if rule.category else "",
            _("tag {tag}").format(tag=rule.source_tag) if rule.source_tag else "",
        )
        if part
    )
    return _("➡️ Rule #{id}: {what} → {name}").format(
        id=rule.id, what=what, name=html.escape(rule.department_name)
    )


@router.callback_query(RoutePick.filter(), admin_context, flags=ADMIN)
async def on_route_pick(
    query: CallbackQuery,
    callback_data: RoutePick,
    ctx: AdminContext,
) -> None:
    category = callback_data.category
    if current_categories().get(category) is None or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer active."), show_alert=True)
        return
    if not callback_data.department_id:
        markup = await department_choices(
            ctx.directory, lambda d: RoutePick(category=category, department_id=d)
        )
        await query.answer()
        text = _("Reports of {category} go to which department?")
        await query.message.answer(
            text.format(category=category_label(category)), reply_markup=markup
        )
        return
    terms = [f"category={category}"]
    text = await add_rule_text(ctx, ref=str(callback_data.department_id), terms=terms)
    await query.answer()
    await query.message.answer(text)


async def route_del(ctx: AdminContext, args: Sequence[str]) -> Reply:
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        return route_usage(), None
    rule_id = int(args[0].lstrip("#"))
    await delete_rule(ctx.directory, ctx.actor, rule_id=rule_id)
    await audited(ctx.ws, ctx.actor, Change.RULE_DELETE, f"#{rule_id}")
    return _("Rule #{id} removed.").format(id=rule_id), None


async def route_tag(ctx: AdminContext, args: Sequence[str]) -> Reply:
    if len(args) < 2:
        return route_usage(), None
    place = " ".join(args[1:])
    tag = await register_tag(ctx.directory, ctx.actor, tag=args[0], place=place)
    await audited(ctx.ws, ctx.actor, Change.TAG_REGISTER, f"{tag}: {place}")
    link = await create_start_link(ctx.bot, tag)
    return "\n".join(
        [
            _("📍 Place tag {tag} registered. Its link (print it as a QR code):").format(tag=tag),
            link,
            _("Route its reports with /route add DEPT tag={tag}").format(tag=tag),
        ]
    ), None


async def route_help(ctx: AdminContext, args: Sequence[str]) -> Reply:
    return route_usage(), None


ROUTE_VERBS: dict[str, Callable[[AdminContext, Sequence[str]], Awaitable[Reply]]] = {
    "list": route_list,
    "add": route_add,
    "del": route_del,
    "delete": route_del,
    "tag": route_tag,
    "help": route_help,
}


VERBS_OF_COMMAND = {"dept": DEPT_VERBS, "route": ROUTE_VERBS}


@router.message(Command(*VERBS_OF_COMMAND), admin_context, flags=ADMIN)
async def dept_or_route(
    message: Message,
    command: CommandObject,
    ctx: AdminContext,
) -> None:
    """/dept and /route: a verb (list when none) and its arguments."""
    verbs = VERBS_OF_COMMAND[command.command.lower()]
    await run_verb(message, ctx, verbs, split_args(command.args), "list")


# -- /dead ------------------------------------------------------------------------------------


@router.message(Command("dead"), flags=ADMIN)
async def dead(message: Message, command: CommandObject, ws: UpdateWorkspace) -> None:
    """Undelivered messages: what and why, never to whom (a reporter's chat is their id)."""
    rows = await ws.dead_letters.newest(limit=DEAD_SHOWN)
    if (command.args or "").strip().lower() == "retry":
        count = await ws.dead_letters.requeue(ids=[r.id for r in rows], now=ws.clock.now())
        await message.answer(_("{count} message(s) queued again.").format(count=count))
        return
    if not rows:
        await message.answer(_("No undelivered messages. 👍"))
        return
    lines = [_("<b>Undelivered messages</b> (newest {count})").format(count=len(rows))]
    for row in rows:
        ticket = await ws.tickets.get(ticket_id=row.ticket_id) if row.ticket_id else None
        recipient = _("group") if row.to_group else _("person")
        error = (row.last_error or "")[:ERROR_SHOWN]
        lines.append(
            f"#{row.id} {row.method} · {row.purpose or '-'} · {recipient}"
            f" · {ticket.code if ticket else '-'} · {row.attempts}×\n    {html.escape(error)}"
        )
    lines.append(_("/dead retry sends them again."))
    await message.answer("\n".join(lines))


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
