"""Who is asking: the roles a chat user holds, checked by every use case."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    SUPERVISOR = "supervisor"
    HANDLER = "handler"


@dataclass(frozen=True)
class Membership:
    department_id: int
    role: Role
    member_id: int


@dataclass(frozen=True)
class Actor:
    """A chat user with the roles the database and `ADMIN_IDS` give them."""

    user_id: int
    is_admin: bool = False
    memberships: tuple[Membership, ...] = field(default_factory=tuple)

    @property
    def is_staff(self) -> bool:
        return self.is_admin or bool(self.memberships)

    def department_ids(self) -> frozenset[int]:
        return frozenset(m.department_id for m in self.memberships)

    def membership(self, department_id: int) -> Membership | None:
        return next((m for m in self.memberships if m.department_id == department_id), None)

    def can_handle(self, department_id: int) -> bool:
        """Admins act everywhere; members only on their own department's tickets."""
        return self.is_admin or self.membership(department_id) is not None

    def supervises(self, department_id: int) -> bool:
        membership = self.membership(department_id)
        return self.is_admin or (membership is not None and membership.role is Role.SUPERVISOR)
