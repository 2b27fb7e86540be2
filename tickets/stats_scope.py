"""Whose figures an actor may see: the rule `/stats`, `/export` and the console share."""

from __future__ import annotations

from dataclasses import dataclass

from tickets.actors import Actor, Role
from tickets.errors import Forbidden


@dataclass(frozen=True)
class StatsScope:
    """The departments whose figures an actor may see: all of them, or those supervised."""

    everything: bool
    department_ids: tuple[int, ...] = ()

    def department(self, requested: int) -> int | None:
        """The department to show (None: all); `requested` 0 asks for the default view."""
        if requested == 0:
            return None if self.everything else self.department_ids[0]
        if self.everything or requested in self.department_ids:
            return requested
        raise Forbidden("supervisor_only")

    @property
    def export_departments(self) -> tuple[int, ...] | None:
        return None if self.everything else self.department_ids

    def covers(self, department_id: int) -> bool:
        return self.everything or department_id in self.department_ids


def stats_scope(actor: Actor) -> StatsScope | None:
    """Administrators: everything; supervisors: their departments; anyone else: nothing."""
    if actor.is_admin:
        return StatsScope(everything=True)
    supervised = sorted(m.department_id for m in actor.memberships if m.role is Role.SUPERVISOR)
    return StatsScope(everything=False, department_ids=tuple(supervised)) if supervised else None
