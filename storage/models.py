"""SQLModel tables: the durable truth of snapreport.

Tickets, their append-only events, follow-ups and outbox rows are written together in one
transaction per use case (see DESIGN.md §1). Telegram user and chat ids are 64-bit, hence
`BigInteger`; every timestamp is UTC and time-zone aware (`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Reporter(SQLModel, table=True):
    """A citizen as seen through one channel; identity fields only when they chose real name."""

    __table_args__ = (UniqueConstraint("channel", "channel_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(default="telegram", max_length=16)
    channel_user_id: int = Field(sa_type=BigInteger)
    language: str | None = Field(default=None, max_length=8)
    real_name: str | None = Field(default=None, max_length=128)
    phone: str | None = Field(default=None, max_length=32)
    reachable: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Department(SQLModel, table=True):
    """A handling department (承办部门); exactly one is the intake department."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, unique=True)
    is_intake: bool = False
    archived: bool = False
    group_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """A department's supervisor or handler, identified by their Telegram user id."""

    id: int | None = Field(default=None, primary_key=True)
    channel_user_id: int = Field(sa_type=BigInteger, index=True)
    display_name: str = Field(default="", max_length=128)
    role: str = Field(max_length=16)
    department_id: int = Field(foreign_key="department.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = _ts()


class Invite(SQLModel, table=True):
    """A single-use, expiring deep-link token that makes its opener a member."""

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    department_id: int = Field(foreign_key="department.id")
    role: str = Field(max_length=16)
    created_by: int = Field(sa_type=BigInteger)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = _ts()
    used_by: int | None = Field(default=None, sa_type=BigInteger)


class SourceTag(SQLModel, table=True):
    """A QR code / deep-link tag: the place it is posted at, and optionally its department."""

    __tablename__ = "source_tag"

    tag: str = Field(primary_key=True, max_length=64)
    place_text: str = Field(max_length=256)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoutingRule(SQLModel, table=True):
    """Maps a category and/or a QR source tag to a department."""

    __tablename__ = "routing_rule"

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id")
    category: str | None = Field(default=None, max_length=32)
    source_tag: str | None = Field(default=None, max_length=64)
    priority: int = 0


class DeadlinePolicyRow(SQLModel, table=True):
    """Per-category override of the accept/resolve deadlines, in working days."""

    __tablename__ = "deadline_policy"

    category: str = Field(primary_key=True, max_length=32)
    accept_days: int
    resolve_days: int


class Ticket(SQLModel, table=True):
    """One report (工单) and where it stands."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    submit_key: str = Field(max_length=64, unique=True)
    category: str = Field(max_length=32, index=True)
    description: str = Field(sa_type=Text)
    place_text: str | None = Field(default=None, max_length=256)
    latitude: float | None = None
    longitude: float | None = None
    source_tag: str | None = Field(default=None, max_length=64)
    department_id: int = Field(foreign_key="department.id", index=True)
    handler_member_id: int | None = Field(default=None, foreign_key="member.id")
    state: str = Field(max_length=16, index=True)
    anonymous: bool = True
    reporter_id: int = Field(foreign_key="reporter.id", index=True)
    duplicate_of_id: int | None = Field(default=None, foreign_key="ticket.id")
    card: str = Field(default="none", max_length=8)
    satisfaction: str | None = Field(default=None, max_length=16)
    satisfaction_default: bool = False
    survey_comment: str | None = Field(default=None, sa_type=Text)
    public_reply: str | None = Field(default=None, sa_type=Text)
    reject_reason: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    accepted_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    accept_by: datetime | None = _ts()
    resolve_by: datetime | None = _ts()


class Evidence(SQLModel, table=True):
    """A photo or file attached to a ticket, stored content-addressed in the media store."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(default="photo", max_length=16)
    sha256: str = Field(max_length=64, index=True)
    phash: str | None = Field(default=None, max_length=32, index=True)
    size_bytes: int = 0
    width: int = 0
    height: int = 0
    captured_at: datetime | None = _ts()
    gps_lat: float | None = None
    gps_lon: float | None = None
    telegram_file_id: str | None = Field(default=None, max_length=256)
    added_by: str = Field(default="reporter", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TicketEvent(SQLModel, table=True):
    """Append-only audit trail: who did what to a ticket, and when."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_kind: str = Field(max_length=16)
    actor_id: int | None = Field(default=None, sa_type=BigInteger)
    kind: str = Field(max_length=32)
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str | None = Field(default=None, max_length=16)
    text: str | None = Field(default=None, sa_type=Text)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class FollowUp(SQLModel, table=True):
    """A durable reminder, card or survey step; the scheduler only sweeps due rows."""

    __tablename__ = "follow_up"
    __table_args__ = (Index("ix_follow_up_due", "done_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=32)
    due_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = _ts()
    cancelled: bool = False
    # Done without acting: a reminder that came due only after its deadline (a late sweep).
    skipped: bool = False


class OutboxMessage(SQLModel, table=True):
    """A notification decided in a transaction and sent later by the dispatcher."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "state", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=128, unique=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    method: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    purpose: str = Field(default="", max_length=32)
    state: str = Field(default="pending", max_length=16)
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = _ts()
    result_message_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    # The administrators were told this row died: a `/dead retry` that dies again is not news.
    dead_noticed: bool = False


class CardMessage(SQLModel, table=True):
    """Where a ticket's summary card was posted, so it can be edited in place."""

    __tablename__ = "card_message"
    __table_args__ = (UniqueConstraint("ticket_id", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int = Field(sa_type=BigInteger)


class FsmRecord(SQLModel, table=True):
    """aiogram FSM state and data, so drafts survive restarts."""

    __tablename__ = "fsm_record"

    key: str = Field(primary_key=True, max_length=160)
    state: str | None = Field(default=None, max_length=128)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class InboxUpdate(SQLModel, table=True):
    """Every update, stored before Telegram is told it was received, until it is handled.

    Polling confirms an offset with the next getUpdates call: keeping the update here
    first means a crash mid-handler replays it instead of losing it, and a redelivered
    update id is recognised and handled once.
    """

    __tablename__ = "inbox_update"

    update_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    handled_at: datetime | None = _ts(index=True)


class SecurityEvent(SQLModel, table=True):
    """A refused action (forged callback, wrong role); the actor id is stored hashed."""

    __tablename__ = "security_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_hash: str = Field(max_length=16)
    kind: str = Field(max_length=32)
    detail: str = Field(default="", sa_type=Text)


class UserPref(SQLModel, table=True):
    """A Telegram user's chosen interface language (any role: citizen, supervisor, admin)."""

    __tablename__ = "user_pref"

    channel_user_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    language: str = Field(max_length=8)
