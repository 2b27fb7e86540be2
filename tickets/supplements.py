"""A reporter adds material (text or a photo) to their own open ticket (补充材料)."""

from __future__ import annotations

from tickets.errors import Forbidden, IllegalTransition, NotFound, ValidationError
from tickets.ports import Workspace
from tickets.quotas import check_supplement_quota
from tickets.states import TicketState, is_open
from tickets.text import clean_text
from tickets.views import TicketView

SUPPLEMENT_MAX = 2000


async def add_supplement(
    ws: Workspace,
    *,
    ticket_id: int,
    reporter_user_id: int,
    text: str | None,
    photo_file_id: str | None,
) -> TicketView:
    """Record the material as an event and pass it to the department (within the quota)."""
    ticket = await ws.tickets.get(ticket_id=ticket_id)
    if ticket is None:
        raise NotFound("ticket_not_found")
    if ticket.reporter_user_id != reporter_user_id:
        raise Forbidden()
    if not is_open(TicketState(ticket.state)):
        raise IllegalTransition(ticket.state, "supplement")
    cleaned = clean_text(text)
    if len(cleaned) > SUPPLEMENT_MAX or not (cleaned or photo_file_id):
        raise ValidationError("supplement_length", maximum=SUPPLEMENT_MAX)
    await check_supplement_quota(ws, ticket)
    await ws.tickets.add_event(
        ticket_id=ticket.id,
        at=ws.clock.now(),
        actor_kind="reporter",
        actor_id=None,
        kind="supplement",
        text=cleaned or None,
        payload={"photo": photo_file_id} if photo_file_id else {},
    )
    await ws.notifier.to_department(
        ticket, kind="supplement", text=cleaned or None, photo_file_id=photo_file_id
    )
    return ticket
