"""Plain values the use cases read and return: no ORM rows cross the domain boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PhotoRef:
    """A photo already normalised and stored in the media store."""

    sha256: str
    phash: str | None
    size_bytes: int
    width: int
    height: int
    telegram_file_id: str | None = None
    captured_at: datetime | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    # The sha256 of the upload as received, kept sealed beside the stripped copy.
    original_sha256: str | None = None


@dataclass(frozen=True)
class NewReport:
    """Everything a citizen entered before pressing Confirm: the value a ticket is filed from.

    Not `handlers.reporter.ReportDraft`, the FSM states that collect it.
    """

    submit_key: str
    # The reporter's number on `channel` (see `reporter_address` for who it really is).
    reporter_user_id: int
    category: str
    description: str
    photos: tuple[PhotoRef, ...]
    place_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    source_tag: str | None = None
    anonymous: bool = True
    real_name: str | None = None
    phone: str | None = None
    language: str | None = None
    # Which channel the report came through, and that channel's address of the reporter
    # when it is not the number (an opaque string such as an OpenID); never interpreted here.
    channel: str = "telegram"
    reporter_address: str | None = None
    # The unit the report is about (被反映单位); None: the reporter did not know.
    accused_department_id: int | None = None
    # Where it was received (`tickets.intake.IntakeSource`); None: the chat `channel` itself.
    intake_source: str | None = None
    # Whom the office answers for a staff-registered report: identity, kept like a name.
    reply_contact: str | None = None


@dataclass(frozen=True)
class NewPraise:
    """What a citizen entered before pressing Confirm on a praise."""

    submit_key: str
    reporter_user_id: int
    # The unit praised; None when the sender named none (refused).
    department_id: int | None
    description: str
    photos: tuple[PhotoRef, ...] = ()
    language: str | None = None
    channel: str = "telegram"
    # The channel's address of the sender when it is not the number (a WeChat OpenID).
    reporter_address: str | None = None


@dataclass(frozen=True)
class PraiseView:
    """A stored praise as notices render it: the unit and the words, never the sender."""

    id: int
    department_id: int
    department_name: str
    description: str
    channel: str
    created_at: datetime
    photos: tuple[PhotoRef, ...] = ()


@dataclass(frozen=True)
class TicketView:
    """A ticket as the use cases and renderers see it."""

    id: int
    code: str
    category: str
    description: str
    state: str
    department_id: int
    department_name: str
    anonymous: bool
    reporter_id: int
    reporter_user_id: int
    created_at: datetime
    place_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    source_tag: str | None = None
    accept_by: datetime | None = None
    resolve_by: datetime | None = None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    card: str = "none"
    public_reply: str | None = None
    reject_reason: str | None = None
    duplicate_of_id: int | None = None
    satisfaction: str | None = None
    handler_member_id: int | None = None
    real_name: str | None = None
    phone: str | None = None
    channel: str = "telegram"
    # The finding of the last resolution (`tickets.findings`), never who was concerned.
    finding: str | None = None
    finding_actions: tuple[str, ...] = ()
    people_concerned: int | None = None
    # The unit the report is about, and its supervising office, which keeps the ticket in
    # view (`tickets.accused`); None there with a unit named: the administrators.
    accused_department_id: int | None = None
    accused_department_name: str | None = None
    overseer_department_id: int | None = None
    # Where it was received (`tickets.intake`), and for a staff-registered ticket whom to
    # answer: identity, never put on a card or in a group.
    intake_source: str = "telegram"
    reply_contact: str | None = None


@dataclass(frozen=True)
class TicketStatus:
    """What `/status` shows whoever holds the code: never identity, evidence or words."""

    code: str
    state: str
    category: str
    department_name: str
    created_at: datetime
    accept_by: datetime | None = None
    resolve_by: datetime | None = None
    public_reply: str | None = None
    reject_reason: str | None = None
    finding: str | None = None
    finding_actions: tuple[str, ...] = ()

    @classmethod
    def of(cls, ticket: TicketView) -> TicketStatus:
        """The status part of a ticket already loaded whole."""
        return cls(
            code=ticket.code,
            state=ticket.state,
            category=ticket.category,
            department_name=ticket.department_name,
            created_at=ticket.created_at,
            accept_by=ticket.accept_by,
            resolve_by=ticket.resolve_by,
            public_reply=ticket.public_reply,
            reject_reason=ticket.reject_reason,
            finding=ticket.finding,
            finding_actions=ticket.finding_actions,
        )


@dataclass(frozen=True)
class Submission:
    """The outcome of submitting a draft (the same ticket if it was submitted before)."""

    ticket: TicketView
    created: bool
    duplicate_hints: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a ticket's history, staff named, the reporter never identified."""

    at: datetime
    kind: str
    actor_kind: str
    actor_name: str | None  # staff only; None for the reporter and the system
    from_state: str | None
    to_state: str | None
    text: str | None


@dataclass(frozen=True)
class CardContext:
    """A card's footer facts beyond the ticket: the last action, the handler, links."""

    last: HistoryEntry | None
    handler_name: str | None
    duplicates: tuple[str, ...] = ()
    original_code: str | None = None
    # Citizens who joined with 'me too' (`tickets.supporters`), counted, never named.
    supporters: int = 0


@dataclass(frozen=True)
class ReporterIdentity:
    """Who filed a real-name ticket, shown to one authorised person at a time."""

    code: str
    real_name: str
    phone: str
    # For a report staff registered (`tickets.intake`): whom the office answers instead.
    reply_contact: str | None = None


@dataclass(frozen=True)
class IdentityViewEntry:
    """One look at a real-name reporter's identity: when, and who (never by raw id).

    `viewer_hash` is the viewer's keyed pseudonym (as in the security log); a department
    member is also named by the membership that allowed the look.
    """

    at: datetime
    viewer_hash: str
    role: str  # "admin", or the member's role
    member_id: int | None = None
    member_name: str | None = None
    department_name: str | None = None
    kind: str = "identity"  # or "original": an original upload was handed over
    evidence_number: int | None = None  # which photo of the ticket, for "original"


AUDIT_KINDS = ("identity", "moderation", "purge", "security", "config")
# An administrator's configuration change is a security event of this kind prefix (what
# changed, by whom); the audit log shows them as their own kind, "config".
CONFIG_CHANGE_PREFIX = "config_"


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log, from whichever record it came (never a reporter's id).

    `kind` is one of `AUDIT_KINDS`; `what` the record's own word (an identity view's
    "identity" or "original", a moderation's action, a purge's kind of record, a refusal's
    code); `who` a staff member's keyed pseudonym, or the trigger of a purge.
    """

    at: datetime
    kind: str
    what: str
    who: str = ""
    ticket_code: str | None = None
    detail: str = ""
