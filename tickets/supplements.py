"""A reporter adds material (text or a photo) to their own open ticket (补充材料)."""

from __future__ import annotations

from tickets.casework import clean_message, relay_to_department
from tickets.errors import Forbidden, IllegalTransition, NotFound
from tickets.ports import Workspace
from tickets.quotas import check_supplement_quota
from tickets.states import TicketState, is_open
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
    cleaned = clean_message(text, photo_file_id, maximum=SUPPLEMENT_MAX, code="supplement_length")
    await check_supplement_quota(ws, ticket)
    await relay_to_department(
        ws, ticket, kind="supplement", text=cleaned, photo_file_id=photo_file_id
    )
    return ticket
