"""Who may see a real-name reporter's name and phone (or the reply contact of a report staff
registered), and the audit of every look.

A ticket's card never carries the reporter's identity: cards go to department group chats,
get forwarded, stay in chat histories. A real-name reporter is revealed on request only, to
one person at a time, in a private chat: an active member (supervisor or handler) of the
ticket's current department or of the office overseeing the unit the report is about
(never a member of that unit: `tickets.accused`), or an administrator. Each look is
recorded (ticket, a keyed hash of the viewer, the membership that allowed it, the time)
before the identity leaves, and administrators read that record with `identity_audit`.
Anything else is refused with a `Forbidden` error, which the caller logs as a security
event. The department is checked before anonymity, so a stranger's refusal does not tell
whether a ticket is anonymous.
"""

from __future__ import annotations

from tickets.accused import may_handle, sees_reporter
from tickets.actors import Actor
from tickets.errors import Forbidden, NotFound
from tickets.ports import IdentityViews, Workspace
from tickets.views import IdentityViewEntry, ReporterIdentity, TicketView

ADMIN_ROLE = "admin"


async def reveal_identity(
    ws: Workspace,
    views: IdentityViews,
    actor: Actor,
    *,
    ticket_id: int,
    private_chat: bool,
) -> ReporterIdentity:
    """The reporter's name and phone for `actor`, recorded; `Forbidden` unless allowed."""
    if not private_chat:
        raise Forbidden("identity_private_only")
    ticket = await ws.tickets.get(ticket_id=ticket_id)
    if ticket is None:
        raise NotFound("ticket_not_found")
    if not may_handle(actor, ticket):
        raise Forbidden("not_your_department")
    if not sees_reporter(actor, ticket):
        raise Forbidden("accused_unit")
    membership = actor.membership(ticket.department_id) or (
        actor.membership(ticket.overseer_department_id)
        if ticket.overseer_department_id is not None
        else None
    )
    # A registered report's reply contact is identity too, revealed and recorded alike.
    if ticket.anonymous and not ticket.reply_contact:
        raise Forbidden("identity_anonymous")
    # A member who is also an administrator is recorded by the membership: it names them.
    await views.record(
        ticket_id=ticket.id,
        viewer_user_id=actor.user_id,
        member_id=membership.member_id if membership else None,
        role=str(membership.role) if membership else ADMIN_ROLE,
        at=ws.clock.now(),
    )
    return ReporterIdentity(
        code=ticket.code,
        real_name=ticket.real_name or "",
        phone=ticket.phone or "",
        reply_contact=ticket.reply_contact,
    )


async def identity_audit(
    ws: Workspace, views: IdentityViews, actor: Actor, *, code: str
) -> tuple[TicketView, list[IdentityViewEntry]]:
    """Who looked at the identity of that ticket's reporter, and when: administrators only."""
    if not actor.is_admin:
        raise Forbidden("not_admin")
    ticket = await ws.tickets.get_by_code(code=code)
    if ticket is None:
        raise NotFound("ticket_not_found")
    return ticket, await views.list_for(ticket_id=ticket.id)
