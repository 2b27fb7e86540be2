"""The unit a report is about (被反映单位): who handles it, who oversees it, who sees whom.

A report is never left only to the unit it accuses. Every department has a supervising
office: its `parent`, else the supervision office (the intake department); the intake
department's own, when it has no parent, is the administrators (`None` here). A report
naming a unit goes to that unit's supervising office when routing would have left it with
the unit (or a unit under it) or had no rule for it (the intake department); a rule naming
an independent department keeps it. The supervising office keeps the ticket in view and
may act on it even after handing it down (转办) to the accused unit, whose members then
handle it without ever seeing who reported or the anonymous relay with the reporter.
Pure rules; the storage layer supplies the parents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from tickets.actors import Actor
from tickets.errors import ValidationError

Parents = Mapping[int, int | None]
# What the reporter says to a department (the relay): never sent to the unit reported on.
RELAY_KINDS = frozenset({"answer", "supplement", "survey_comment"})
# Events whose text is the reporter's or a question to them: left off that unit's copies.
REPORTER_TEXT_KINDS = RELAY_KINDS | {"ask", "reopened", "rated"}
# Longer chains than this are a configuration error, not an organisation chart.
CHAIN_MAX = 32


class AccusedTicket(Protocol):
    """What these rules read from a ticket; `TicketView` fits."""

    @property
    def department_id(self) -> int: ...

    @property
    def accused_department_id(self) -> int | None: ...

    @property
    def overseer_department_id(self) -> int | None: ...


def supervising_office(unit_id: int, *, parents: Parents, intake_id: int) -> int | None:
    """The department overseeing `unit_id`; None when it is the administrators."""
    parent = parents.get(unit_id)
    if parent is not None and parent != unit_id:
        return parent
    return intake_id if unit_id != intake_id else None


def chain_above(unit_id: int, *, parents: Parents, intake_id: int) -> list[int]:
    """The supervising offices above `unit_id`, nearest first, up to the administrators."""
    chain: list[int] = []
    current: int | None = unit_id
    while current is not None and len(chain) < CHAIN_MAX:
        current = supervising_office(current, parents=parents, intake_id=intake_id)
        if current is None or current in chain or current == unit_id:
            break
        chain.append(current)
    return chain


def is_within(department_id: int, unit_id: int, *, parents: Parents) -> bool:
    """Whether `department_id` is `unit_id` or a department under it (by `parent`)."""
    current: int | None = department_id
    for _ in range(CHAIN_MAX):
        if current is None:
            return False
        if current == unit_id:
            return True
        current = parents.get(current)
    return False


def handling_department(
    *, routed_id: int, accused_id: int | None, parents: Parents, intake_id: int
) -> int:
    """The department a new report goes to, given where routing put it and whom it accuses."""
    if accused_id is None:
        return routed_id
    if routed_id != intake_id and not is_within(routed_id, accused_id, parents=parents):
        return routed_id  # an independent department a rule chose: it stays in charge
    office = supervising_office(accused_id, parents=parents, intake_id=intake_id)
    # The intake department accused and above nobody: it holds the ticket, and the
    # administrators, who oversee it, see everything its members may not.
    return office if office is not None else routed_id


def check_parent(unit_id: int, parent_id: int | None, *, parents: Parents) -> None:
    """Refuse a parent that is the unit itself or one of the units under it (a loop)."""
    if parent_id is None:
        return
    if parent_id == unit_id or is_within(parent_id, unit_id, parents=parents):
        raise ValidationError("parent_loop")


def in_accused_unit(actor: Actor, ticket: AccusedTicket) -> bool:
    """Whether the actor belongs to the unit the report is about (administrators never)."""
    accused = ticket.accused_department_id
    return accused is not None and not actor.is_admin and actor.membership(accused) is not None


def oversees(actor: Actor, ticket: AccusedTicket) -> bool:
    """Whether the actor is a member of the ticket's supervising office."""
    office = ticket.overseer_department_id
    return office is not None and actor.membership(office) is not None


def may_handle(actor: Actor, ticket: AccusedTicket) -> bool:
    """Administrators, the handling department's members and the supervising office's."""
    return actor.can_handle(ticket.department_id) or oversees(actor, ticket)


def may_decide(actor: Actor, ticket: AccusedTicket) -> bool:
    """Supervisors of the handling department or of the supervising office, administrators."""
    office = ticket.overseer_department_id
    return actor.supervises(ticket.department_id) or (
        office is not None and actor.supervises(office)
    )


def units_kept_from_reporter(actor: Actor) -> frozenset[int]:
    """The units whose reports `actor` reads without the reporter's words (an export):
    their own departments, unless they are an administrator."""
    return frozenset() if actor.is_admin else actor.department_ids()


def sees_reporter(actor: Actor, ticket: AccusedTicket) -> bool:
    """Whether the actor may see the reporter's identity and the relay with them."""
    return may_handle(actor, ticket) and not in_accused_unit(actor, ticket)
