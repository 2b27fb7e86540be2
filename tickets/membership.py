"""Who works on which tickets: departments, invites, members, group chats and routing rules.

Administrators (`ADMIN_IDS`) run the directory; everyone else joins it through an invite:
a random, single-use token carried by a deep link (`/start inv_<token>`) that expires
after `INVITE_TTL` and makes whoever opens it a supervisor or handler of one department.
The rules here are pure; `DirectoryPort` is what they need from storage. Every use case
checks its actor itself, so a handler that forgot a filter still cannot do harm.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from tickets.accused import check_parent
from tickets.actors import Actor, Role
from tickets.categories import DEFAULTS, Categories, require_known
from tickets.errors import Conflict, Forbidden, NotFound, ValidationError
from tickets.text import one_line

INVITE_TTL = timedelta(hours=72)
INVITE_PREFIX = "inv_"
# 18 random bytes: 24 url-safe characters, 144 bits; with the prefix well under 64.
INVITE_TOKEN_BYTES = 18
NAME_MIN, NAME_MAX = 2, 64
PLACE_MAX = 256
TAG_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,60}$")
DISPLAY_NAME_MAX = 64


@dataclass(frozen=True)
class DepartmentView:
    id: int
    name: str
    is_intake: bool = False
    archived: bool = False
    group_chat_id: int | None = None
    members: int = 0
    # The supervising office (`tickets.accused`); None: the supervision office.
    parent_id: int | None = None


@dataclass(frozen=True)
class MemberView:
    id: int
    user_id: int
    display_name: str
    role: Role
    department_id: int
    joined_at: datetime


@dataclass(frozen=True)
class InviteView:
    token: str
    department_id: int
    role: Role
    expires_at: datetime
    used_at: datetime | None = None
    id: int = 0


@dataclass(frozen=True)
class RuleView:
    id: int
    department_id: int
    department_name: str
    category: str | None
    source_tag: str | None
    priority: int = 0


@dataclass(frozen=True)
class TagView:
    """A place tag (a QR code or deep link) and the place it names."""

    tag: str
    place_text: str


@dataclass(frozen=True)
class Joined:
    """The outcome of opening an invite."""

    department: DepartmentView
    role: Role


class DirectoryPort(Protocol):
    """What the directory use cases read and write; `storage.directory` implements it."""

    async def get_department(self, *, department_id: int) -> DepartmentView | None: ...

    async def department_by_name(self, *, name: str) -> DepartmentView | None: ...

    async def add_department(self, *, name: str, now: datetime) -> DepartmentView: ...

    async def update_department(
        self,
        *,
        department_id: int,
        name: str | None = None,
        archived: bool | None = None,
        group_chat_id: int | None = None,
        unbind: bool = False,
    ) -> DepartmentView: ...

    async def set_parent(self, *, department_id: int, parent_id: int | None) -> DepartmentView: ...

    async def department_parents(self) -> dict[int, int | None]:
        """Every department's parent (None: the supervision office)."""
        ...

    async def add_invite(
        self,
        *,
        token: str,
        department_id: int,
        role: Role,
        created_by: int,
        expires_at: datetime,
    ) -> int:
        """Store the invite; its id."""
        ...

    async def get_invite(self, *, token: str) -> InviteView | None: ...

    async def use_invite(self, *, token: str, user_id: int, at: datetime) -> bool: ...

    async def list_open_invites(self, *, now: datetime) -> list[InviteView]:
        """Invites neither used nor expired at `now`, oldest first."""
        ...

    async def expire_invite(self, *, invite_id: int, at: datetime) -> InviteView | None:
        """End an open invite at `at`, as if it had expired then; None if it was not open."""
        ...

    async def get_member(self, *, member_id: int) -> MemberView | None: ...

    async def active_member(self, *, user_id: int, department_id: int) -> MemberView | None: ...

    async def add_member(
        self, *, user_id: int, display_name: str, role: Role, department_id: int, now: datetime
    ) -> MemberView: ...

    async def set_role(self, *, member_id: int, role: Role) -> None: ...

    async def remove_member(self, *, member_id: int, at: datetime) -> None: ...

    async def departments_bound_to(self, *, chat_id: int) -> list[DepartmentView]: ...

    async def add_rule(
        self,
        *,
        department_id: int,
        category: str | None,
        source_tag: str | None,
        priority: int,
    ) -> RuleView: ...

    async def delete_rule(self, *, rule_id: int) -> bool: ...

    async def tag_exists(self, *, tag: str) -> bool: ...

    async def upsert_tag(
        self, *, tag: str, place_text: str, department_id: int | None
    ) -> None: ...


class CardAccess(Protocol):
    """Which chats may hold cards of a department's tickets, and taking them back."""

    async def has_access(self, chat_id: int, department_id: int) -> bool: ...

    async def access_ended(self, *, chat_id: int, department_id: int) -> None:
        """Take the cards of the department's tickets back from a chat that lost them."""
        ...


# -- pure rules ---------------------------------------------------------------------------------


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("not_admin")


def new_invite_token() -> str:
    """A fresh unguessable invite token (deep-link safe)."""
    return secrets.token_urlsafe(INVITE_TOKEN_BYTES)


def invite_payload(token: str) -> str:
    return INVITE_PREFIX + token


def parse_invite_payload(payload: str | None) -> str | None:
    """The token of an `inv_<token>` deep-link payload, or None when it is not one."""
    if not payload or not payload.startswith(INVITE_PREFIX):
        return None
    token = payload.removeprefix(INVITE_PREFIX)
    return token if TOKEN_RE.match(token) else None


def check_invite(
    invite: InviteView | None, department: DepartmentView | None, now: datetime
) -> tuple[InviteView, DepartmentView]:
    """Return the invite and its department if it may still be used, else raise why not."""
    if invite is None or department is None:
        raise NotFound("invite_unknown")
    if invite.used_at is not None:
        raise Conflict("invite_used")
    if now >= invite.expires_at:
        raise Conflict("invite_expired")
    return invite, require_active(department)


def require_active(department: DepartmentView) -> DepartmentView:
    """Refuse an archived department as a place for anything new: a ticket routed there, an
    invite, a routing rule or place tag, a group's alerts."""
    if department.archived:
        raise Conflict("department_archived", name=department.name)
    return department


def parse_role(text: str) -> Role:
    aliases = {"supervisor": Role.SUPERVISOR, "sup": Role.SUPERVISOR, "handler": Role.HANDLER}
    role = aliases.get(text.strip().lower())
    if role is None:
        raise ValidationError("role", role=text)
    return role


def clean_department_name(text: str) -> str:
    name = one_line(text)
    if not NAME_MIN <= len(name) <= NAME_MAX or name.isdigit():
        raise ValidationError("department_name", minimum=NAME_MIN, maximum=NAME_MAX)
    return name


def clean_display_name(first: str, last: str | None) -> str:
    """Staff are known to staff by their Telegram name (never shown to reporters)."""
    name = one_line(" ".join(part for part in (first, last or "") if part))
    return name[:DISPLAY_NAME_MAX] or "—"


def clean_tag(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    if not TAG_RE.match(text):
        raise ValidationError("tag_invalid", tag=text)
    return text


# -- use cases -------------------------------------------------------------------------------


async def department_ref(directory: DirectoryPort, ref: str) -> DepartmentView:
    """Find a department by its number (`/dept list`) or its exact name."""
    text = ref.strip().removeprefix("#")
    found = (
        await directory.get_department(department_id=int(text))
        if text.isdigit()
        else await directory.department_by_name(name=" ".join(text.split()))
    )
    if found is None:
        raise NotFound("department_unknown", ref=ref)
    return found


async def add_department(
    directory: DirectoryPort, actor: Actor, *, name: str, now: datetime
) -> DepartmentView:
    require_admin(actor)
    cleaned = clean_department_name(name)
    if await directory.department_by_name(name=cleaned) is not None:
        raise Conflict("department_exists", name=cleaned)
    return await directory.add_department(name=cleaned, now=now)


# Typed for "no parent": the supervision office oversees the department again.
NO_PARENT = frozenset({"-", "none", "无", "0"})


async def set_parent(
    directory: DirectoryPort, actor: Actor, *, ref: str, parent_ref: str
) -> tuple[DepartmentView, DepartmentView | None]:
    """Make `parent_ref` the supervising office of `ref` (`-`: the supervision office)."""
    require_admin(actor)
    unit = await department_ref(directory, ref)
    parent = (
        None
        if parent_ref.strip().casefold() in NO_PARENT
        else require_active(await department_ref(directory, parent_ref))
    )
    parent_id = parent.id if parent else None
    check_parent(unit.id, parent_id, parents=await directory.department_parents())
    return await directory.set_parent(department_id=unit.id, parent_id=parent_id), parent


async def rename_department(
    directory: DirectoryPort, actor: Actor, *, ref: str, name: str
) -> tuple[str, DepartmentView]:
    """Rename; returns the old name and the department as it is now."""
    require_admin(actor)
    department = await department_ref(directory, ref)
    cleaned = clean_department_name(name)
    other = await directory.department_by_name(name=cleaned)
    if other is not None and other.id != department.id:
        raise Conflict("department_exists", name=cleaned)
    renamed = await directory.update_department(department_id=department.id, name=cleaned)
    return department.name, renamed


async def archive_department(
    directory: DirectoryPort, actor: Actor, *, ref: str
) -> DepartmentView:
    """Archive: no new reports are routed there; its open tickets stay where they are."""
    require_admin(actor)
    department = await department_ref(directory, ref)
    if department.is_intake:
        raise Conflict("intake_required")
    return await directory.update_department(department_id=department.id, archived=True)


async def create_invite(
    directory: DirectoryPort,
    actor: Actor,
    *,
    ref: str,
    role: str,
    now: datetime,
    ttl: timedelta = INVITE_TTL,
) -> tuple[InviteView, DepartmentView]:
    require_admin(actor)
    department = await department_ref(directory, ref)
    require_active(department)
    invite = InviteView(
        token=new_invite_token(),
        department_id=department.id,
        role=parse_role(role),
        expires_at=now + ttl,
    )
    invite_id = await directory.add_invite(
        token=invite.token,
        department_id=department.id,
        role=invite.role,
        created_by=actor.user_id,
        expires_at=invite.expires_at,
    )
    return replace(invite, id=invite_id), department


async def open_invites(
    directory: DirectoryPort, actor: Actor, *, now: datetime
) -> list[InviteView]:
    """The invite links that still work: unused and unexpired."""
    require_admin(actor)
    return await directory.list_open_invites(now=now)


async def revoke_invite(
    directory: DirectoryPort, actor: Actor, *, invite_id: int, now: datetime
) -> InviteView:
    """Make an open invite's link refuse from now on, as an expired one does."""
    require_admin(actor)
    revoked = await directory.expire_invite(invite_id=invite_id, at=now)
    if revoked is None:
        raise NotFound("invite_not_open", invite=invite_id)
    return revoked


async def redeem_invite(
    directory: DirectoryPort, *, token: str, user_id: int, display_name: str, now: datetime
) -> Joined:
    """Make the opener a member; an invite works once, before it expires."""
    invite = await directory.get_invite(token=token)
    department = (
        await directory.get_department(department_id=invite.department_id) if invite else None
    )
    invite, department = check_invite(invite, department, now)
    existing = await directory.active_member(user_id=user_id, department_id=department.id)
    if existing is not None and existing.role is invite.role:
        raise Conflict("already_member", name=department.name)
    # Conditional: of two people opening the same link at once, one wins.
    if not await directory.use_invite(token=token, user_id=user_id, at=now):
        raise Conflict("invite_used")
    if existing is not None:
        await directory.set_role(member_id=existing.id, role=invite.role)
    else:
        await directory.add_member(
            user_id=user_id,
            display_name=display_name,
            role=invite.role,
            department_id=department.id,
            now=now,
        )
    return Joined(department=department, role=invite.role)


async def remove_member(
    directory: DirectoryPort, cards: CardAccess, actor: Actor, *, member_id: int, now: datetime
) -> MemberView:
    """End a membership; the cards the member holds of the department's tickets go with it."""
    require_admin(actor)
    member = await directory.get_member(member_id=member_id)
    if member is None:
        raise NotFound("member_unknown", member=member_id)
    await directory.remove_member(member_id=member_id, at=now)
    await cards.access_ended(chat_id=member.user_id, department_id=member.department_id)
    return member


async def bind_group(
    directory: DirectoryPort, cards: CardAccess, actor: Actor, *, ref: str, chat_id: int
) -> DepartmentView:
    """Send the department's alerts to this group chat instead of each supervisor."""
    require_admin(actor)
    if chat_id >= 0:
        raise ValidationError("group_only")
    department = await department_ref(directory, ref)
    require_active(department)
    bound = await directory.update_department(department_id=department.id, group_chat_id=chat_id)
    replaced = department.group_chat_id
    if replaced is not None and replaced != chat_id:
        await cards.access_ended(chat_id=replaced, department_id=department.id)
    return bound


async def unbind_group(
    directory: DirectoryPort, cards: CardAccess, actor: Actor, *, chat_id: int
) -> list[DepartmentView]:
    """Send the alerts back to the supervisors; the group keeps no card of those tickets."""
    require_admin(actor)
    bound = await directory.departments_bound_to(chat_id=chat_id)
    for department in bound:
        await directory.update_department(department_id=department.id, unbind=True)
        await cards.access_ended(chat_id=chat_id, department_id=department.id)
    return bound


@dataclass(frozen=True)
class RuleSpec:
    """A routing rule as typed in chat: `category=car tag=hall_01 priority=1`."""

    category: str | None = None
    source_tag: str | None = None
    priority: int = 0


def parse_rule_terms(terms: Sequence[str], categories: Categories = DEFAULTS) -> RuleSpec:
    values: dict[str, str] = {}
    for term in terms:
        key, sep, value = term.partition("=")
        if not sep or key not in {"category", "tag", "priority"} or key in values:
            raise ValidationError("rule_terms", term=term)
        values[key] = value
    try:
        priority = int(values.get("priority", "0"))
    except ValueError:
        raise ValidationError("rule_terms", term=values["priority"]) from None
    spec = RuleSpec(
        category=require_known(categories, values.get("category")),
        source_tag=clean_tag(values.get("tag")),
        priority=priority,
    )
    if spec.category is None and spec.source_tag is None:
        # A rule naming neither would swallow every report meant for the intake department.
        raise ValidationError("rule_empty")
    return spec


async def add_rule(
    directory: DirectoryPort,
    actor: Actor,
    *,
    ref: str,
    terms: Sequence[str],
    categories: Categories,
) -> RuleView:
    require_admin(actor)
    department = await department_ref(directory, ref)
    require_active(department)
    spec = parse_rule_terms(terms, categories)
    if spec.source_tag is not None and not await directory.tag_exists(tag=spec.source_tag):
        raise NotFound("tag_unknown", tag=spec.source_tag)
    return await directory.add_rule(
        department_id=department.id,
        category=spec.category,
        source_tag=spec.source_tag,
        priority=spec.priority,
    )


async def delete_rule(directory: DirectoryPort, actor: Actor, *, rule_id: int) -> None:
    require_admin(actor)
    if not await directory.delete_rule(rule_id=rule_id):
        raise NotFound("rule_unknown", rule=rule_id)


async def register_tag(directory: DirectoryPort, actor: Actor, *, tag: str, place: str) -> str:
    """Register (or re-describe) a QR/deep-link place tag; route it with `add_rule`."""
    require_admin(actor)
    cleaned = clean_tag(tag)
    place_text = " ".join(place.split())
    if cleaned is None or not 2 <= len(place_text) <= PLACE_MAX:
        raise ValidationError("tag_place", maximum=PLACE_MAX)
    await directory.upsert_tag(tag=cleaned, place_text=place_text, department_id=None)
    return cleaned
