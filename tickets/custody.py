"""Chain of custody for evidence photos: the original upload, for administrators only.

Everyone sees a ticket's photos as stripped copies (re-encoded, EXIF and GPS gone). The
upload exactly as received is kept too, sealed, and its sha256 was recorded on the evidence
row when it arrived. An administrator asks for it in a private chat; the bytes are
decrypted, hashed and compared with that record before they leave, so what is handed over
is provably what the citizen sent, and each retrieval is written to the identity audit
(`/audit CODE`) before the file goes out. Anyone else is refused with `Forbidden`; a
missing, undecryptable or altered original is refused with a stable code, never sent.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import Protocol

from tickets.actors import Actor
from tickets.errors import Conflict, Forbidden, NotFound
from tickets.ports import IdentityViews, Workspace

ORIGINAL_KIND = "original"
ADMIN_ROLE = "admin"
_EXTENSIONS = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"))


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of a ticket's evidence as custody sees it (`number` counts from 1)."""

    id: int
    number: int
    sha256: str
    original_sha256: str | None


class Unreadable(enum.StrEnum):
    MISSING = "missing"
    UNDECRYPTABLE = "undecryptable"


class OriginalUnreadable(Exception):
    """The sealed original is not in the media store, or does not decrypt."""

    def __init__(self, reason: Unreadable) -> None:
        super().__init__(reason.value)
        self.reason = reason


class EvidenceVault(Protocol):
    """Where the sealed originals are (implemented on the database and the media store)."""

    async def evidence(self, *, ticket_id: int) -> list[EvidenceItem]:
        """The ticket's evidence in the order it was filed."""
        ...

    async def open_original(self, *, original_sha256: str) -> bytes:
        """The decrypted original; `OriginalUnreadable` if it is missing or undecryptable."""
        ...


@dataclass(frozen=True)
class OriginalFile:
    """An original upload, verified, ready to hand to an administrator."""

    code: str
    number: int
    count: int
    sha256: str
    data: bytes

    @property
    def filename(self) -> str:
        extension = next((ext for magic, ext in _EXTENSIONS if self.data.startswith(magic)), "")
        if not extension and self.data[:4] == b"RIFF" and self.data[8:12] == b"WEBP":
            extension = ".webp"
        return f"{self.code}-original-{self.number}{extension or '.bin'}"


async def retrieve_original(
    ws: Workspace,
    vault: EvidenceVault,
    views: IdentityViews,
    actor: Actor,
    *,
    code: str,
    number: int,
    private_chat: bool,
) -> OriginalFile:
    """The original upload of photo `number` of ticket `code`, verified and audited."""
    if not actor.is_admin:
        raise Forbidden("not_admin")
    if not private_chat:
        raise Forbidden("original_private_only")
    ticket = await ws.tickets.get_by_code(code=code)
    if ticket is None:
        raise NotFound("ticket_not_found")
    items = await vault.evidence(ticket_id=ticket.id)
    if not items:
        raise NotFound("evidence_none")
    if not 1 <= number <= len(items):
        raise NotFound("evidence_number", count=len(items))
    item = items[number - 1]
    if item.original_sha256 is None:
        raise NotFound("original_not_kept")
    try:
        data = await vault.open_original(original_sha256=item.original_sha256)
    except OriginalUnreadable as error:
        if error.reason is Unreadable.MISSING:
            raise Conflict("original_missing") from None
        raise Conflict("original_unreadable") from None
    if hashlib.sha256(data).hexdigest() != item.original_sha256:
        raise Conflict("original_tampered")
    await views.record(
        ticket_id=ticket.id,
        viewer_user_id=actor.user_id,
        member_id=None,
        role=ADMIN_ROLE,
        at=ws.clock.now(),
        kind=ORIGINAL_KIND,
        evidence_id=item.id,
    )
    return OriginalFile(
        code=ticket.code,
        number=number,
        count=len(items),
        sha256=item.original_sha256,
        data=data,
    )
