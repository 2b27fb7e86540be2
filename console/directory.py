"""Settings: departments, their members and invites, as `/dept` runs them in the chat.

Every change is the chat's use case (`tickets.membership`), which checks the administrator
again; removing a member is `remove_member`, so their cards go as in the chat and their
console session ends at its next request (`console.web.signed_in` reads the roles anew).
"""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from console.backend import Staff, backend_of
from console.casework import PageDecorator
from console.changes import audited, done, settings_page
from tickets.actors import Role
from tickets.changes import Change
from tickets.membership import (
    DepartmentView,
    InviteView,
    add_department,
    archive_department,
    create_invite,
    department_ref,
    invite_payload,
    open_invites,
    remove_member,
    revoke_invite,
    set_parent,
)
from tickets.ports import UpdateWorkspace
from ui.qr import deep_link
from ui.render import local_time, role_label

HOME = "/console/config/departments"


def number(request: web.Request, key: str) -> int:
    text = request.match_info[key]
    if not text.isdigit():
        raise web.HTTPNotFound()
    return int(text)


async def invite_link(request: web.Request, invite: InviteView) -> str:
    """The link the chat would give, or what to send the bot when it has no @username."""
    payload = invite_payload(invite.token)
    username = await backend_of(request).bot_username()
    return deep_link(username, payload) if username else f"/start {payload}"


async def departments(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    listed = await ws.directory.list_departments()
    context = {
        "departments": listed,
        "names": {d.id: d.name for d in listed},
    }
    return settings_page(request, "config_departments.html", context)


async def department(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    unit = await department_ref(ws.directory, str(number(request, "id")))
    invites = [
        i
        for i in await open_invites(ws.directory, staff.actor, now=ws.clock.now())
        if i.department_id == unit.id
    ]
    tz = backend_of(request).settings.tz
    listed = await ws.directory.list_departments()
    context = {
        "department": unit,
        "members": await ws.directory.list_members(department_id=unit.id),
        "invites": [(i, await invite_link(request, i)) for i in invites],
        "parents": [d for d in listed if not d.archived and d.id != unit.id],
        "names": {d.id: d.name for d in listed},
        "roles": [Role.SUPERVISOR, Role.HANDLER],
        "role_label": role_label,
        "local_time": lambda moment: local_time(moment, tz),
    }
    return settings_page(request, "config_department.html", context)


def described(unit: DepartmentView) -> str:
    return f"#{unit.id} {unit.name}"


async def add(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    made = await add_department(
        ws.directory, staff.actor, name=str(form.get("name", "")), now=ws.clock.now()
    )
    parent = str(form.get("parent", ""))
    if parent.isdigit():
        await set_parent(ws.directory, staff.actor, ref=str(made.id), parent_ref=parent)
        await audited(ws, staff, Change.DEPARTMENT_PARENT, f"{described(made)} → #{parent}")
    await audited(ws, staff, Change.DEPARTMENT_ADD, described(made))
    message = _("Department {name} created.").format(name=made.name)
    return done(request, f"{HOME}/{made.id}", message)


async def parent(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    chosen = str(form.get("parent", "")) or "-"
    unit, office = await set_parent(
        ws.directory, staff.actor, ref=str(number(request, "id")), parent_ref=chosen
    )
    to = f"#{office.id}" if office else "-"
    await audited(ws, staff, Change.DEPARTMENT_PARENT, f"{described(unit)} → {to}")
    name = office.name if office else _("the supervision office")
    message = _("Reports about {name} now go to {parent}.").format(name=unit.name, parent=name)
    return done(request, f"{HOME}/{unit.id}", message)


async def archive(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    unit = await archive_department(ws.directory, staff.actor, ref=str(number(request, "id")))
    await audited(ws, staff, Change.DEPARTMENT_ARCHIVE, described(unit))
    message = _("{name} is archived: no new reports are routed there.").format(name=unit.name)
    return done(request, HOME, message)


async def invite(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    made, unit = await create_invite(
        ws.directory,
        staff.actor,
        ref=str(number(request, "id")),
        role=str(form.get("role", "")),
        now=ws.clock.now(),
    )
    await audited(ws, staff, Change.INVITE_CREATE, f"#{made.id} {described(unit)} {made.role}")
    message = _("Invite #{id} to {department} as {role}: {link}").format(
        id=made.id,
        department=unit.name,
        role=role_label(made.role),
        link=await invite_link(request, made),
    )
    return done(request, f"{HOME}/{unit.id}", message)


async def revoke(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    invite_id = number(request, "id")
    now = ws.clock.now()
    revoked = await revoke_invite(ws.directory, staff.actor, invite_id=invite_id, now=now)
    await audited(ws, staff, Change.INVITE_REVOKE, f"#{invite_id} #{revoked.department_id}")
    message = _("Invite #{id} revoked: its link no longer works.").format(id=invite_id)
    return done(request, f"{HOME}/{revoked.department_id}", message)


async def remove(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    member_id = number(request, "id")
    member = await remove_member(
        ws.directory, ws.notifier, staff.actor, member_id=member_id, now=ws.clock.now()
    )
    await audited(ws, staff, Change.MEMBER_REMOVE, f"#{member_id} #{member.department_id}")
    message = _("{name} is no longer a member.").format(name=member.display_name)
    return done(request, f"{HOME}/{member.department_id}", message)


def add_routes(app: web.Application, page: PageDecorator) -> None:
    view, form = page(admin=True), page(post=True, admin=True)  # settings: admins only
    app.router.add_get("/config/departments", view(departments))
    app.router.add_post("/config/departments", form(add))
    app.router.add_get(r"/config/departments/{id:\d+}", view(department))
    app.router.add_post(r"/config/departments/{id:\d+}/parent", form(parent))
    app.router.add_post(r"/config/departments/{id:\d+}/archive", form(archive))
    app.router.add_post(r"/config/departments/{id:\d+}/invite", form(invite))
    app.router.add_post(r"/config/invites/{id:\d+}/revoke", form(revoke))
    app.router.add_post(r"/config/members/{id:\d+}/remove", form(remove))
