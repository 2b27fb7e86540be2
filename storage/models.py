"""SQLModel tables: the durable truth of snapreport.

Tickets, their append-only events, follow-ups and outbox rows are written together in one
transaction per use case (see DESIGN.md §1). Every timestamp is UTC and time-zone aware
(`UTCDateTime`). Who people are is stored encrypted (`storage.identity`): citizens' and
staff's channel ids, names, phones, the chats outbox rows and cards go to, FSM data and raw
updates; a `*_hash` column beside an encrypted id (kept in step by a mapper hook) is what
queries compare, so a lookup by id stays an index lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Index, Text, event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from storage.identity import (
    HASH_CHARS,
    EncryptedCompressedJSON,
    EncryptedInt,
    EncryptedJSON,
    EncryptedStr,
    keys_of,
)
from storage.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Reporter(SQLModel, table=True):
    """A citizen as seen through one channel; identity fields only when they chose real name."""

    # The hash leads: most lookups name the user alone (their tickets, their language).
    __table_args__ = (Index("uq_reporter_user_hash", "user_hash", "channel", unique=True),)
    lookup_hashes: ClassVar[tuple[tuple[str, str], ...]] = (("channel_user_id", "user_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(default="telegram", max_length=16)
    # The person's number on their channel: a Telegram user id, or for a channel that
    # addresses people by a string (WeChat's OpenID) a stable number derived from it.
    channel_user_id: int = Field(sa_type=EncryptedInt)
    # Keyed hash of channel_user_id: find a reporter by id without storing the id.
    user_hash: str = Field(default="", max_length=HASH_CHARS)
    # What the channel sends to when that is not `channel_user_id` (a WeChat OpenID).
    channel_address: str | None = Field(default=None, sa_type=EncryptedStr)
    language: str | None = Field(default=None, max_length=8)
    real_name: str | None = Field(default=None, sa_type=EncryptedStr)
    phone: str | None = Field(default=None, sa_type=EncryptedStr)
    reachable: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Department(SQLModel, table=True):
    """A handling department (承办部门); exactly one is the intake department."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, unique=True)
    is_intake: bool = False
    archived: bool = False
    # The supervising office (`tickets.accused`): reports about this unit go there. None:
    # the supervision office (the intake department, or for the intake itself the
    # administrators). No foreign key: added by a plain ADD COLUMN (see migration 0012).
    parent_id: int | None = None
    group_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """A department's supervisor or handler, identified by their Telegram user id."""

    lookup_hashes: ClassVar[tuple[tuple[str, str], ...]] = (("channel_user_id", "user_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    # Staff are citizens too (and may report): their ids and names are kept like reporters'.
    channel_user_id: int = Field(sa_type=EncryptedInt)
    user_hash: str = Field(default="", max_length=HASH_CHARS, index=True)
    display_name: str = Field(default="", sa_type=EncryptedStr)
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
    created_by: int = Field(sa_type=EncryptedInt)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = _ts()
    used_by: int | None = Field(default=None, sa_type=EncryptedInt)


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


class CalendarDayRow(SQLModel, table=True):
    """A holiday or make-up working day set in the console; it wins over the package and
    HOLIDAYS_FILE (`tickets.holidays`). `added_by` is the administrator's keyed hash."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    working: bool
    name: str = Field(max_length=100)
    added_by: str = Field(max_length=16)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CategoryRow(SQLModel, table=True):
    """A misconduct category (`tickets.categories`); retired rows stay for old tickets."""

    __tablename__ = "category"

    slug: str = Field(primary_key=True, max_length=32)
    zh: str = Field(max_length=64)
    en: str = Field(max_length=64)
    position: int = 0
    retired: bool = False


class ReplyTemplateRow(SQLModel, table=True):
    """A reply template (`tickets.reply_templates`); retired rows stay, inactive."""

    __tablename__ = "reply_template"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=32)
    body: str = Field(max_length=1000)
    purpose: str = Field(max_length=16)
    category: str | None = Field(default=None, max_length=32)
    finding: str | None = Field(default=None, max_length=16)
    active: bool = True


class Ticket(SQLModel, table=True):
    """One report (工单) and where it stands."""

    # `/queue` filters on state and department and orders by the current deadline: this
    # index alone answers its count and chooses its page (`storage.reads.open_queue`).
    __table_args__ = (
        Index("ix_ticket_open_queue", "state", "department_id", "accept_by", "resolve_by", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    # The channel it was filed on (its reporter's): "telegram", "wechat", or "office" for a
    # report staff registered (`tickets.intake`), whose reporter row is the registrar's.
    channel: str = Field(default="telegram", max_length=16)
    # Where it was received (`tickets.sources.IntakeSource`): the chat, the 12345 hotline…
    intake_source: str = Field(default="telegram", max_length=24, index=True)
    # Whom the office answers for a registered report: identity, stored encrypted.
    reply_contact: str | None = Field(default=None, sa_type=EncryptedStr)
    # Keyed hash of the draft's submit key (which names the reporter's id).
    submit_key: str = Field(max_length=64, unique=True)
    category: str = Field(max_length=32, index=True)
    description: str = Field(sa_type=Text)
    place_text: str | None = Field(default=None, max_length=256)
    latitude: float | None = None
    longitude: float | None = None
    source_tag: str | None = Field(default=None, max_length=64)
    department_id: int = Field(foreign_key="department.id", index=True)
    # The unit the report is about (被反映单位), None when the reporter did not know.
    accused_department_id: int | None = None
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
    # The last resolution's finding (`tickets.findings`): the sanctions' slugs as a JSON
    # list and how many people were concerned, never who.
    finding: str | None = Field(default=None, max_length=16)
    finding_actions: list[str] | None = Field(default=None, sa_type=JSON)
    people_concerned: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    accepted_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts(index=True)  # findings of a period (`storage.stats`)
    closed_at: datetime | None = _ts()
    accept_by: datetime | None = _ts()
    resolve_by: datetime | None = _ts()
    # Set when retention took its evidence, identity and relayed words (`storage.retention`):
    # what is left are the figures statistics count.
    purged_at: datetime | None = _ts()


class Evidence(SQLModel, table=True):
    """A photo or file attached to a ticket, stored content-addressed in the media store.

    `sha256` names the stripped copy everyone sees; `original_sha256` the upload exactly as
    received, recorded at arrival and kept sealed beside it (administrators only); None for
    evidence filed before originals were kept.
    """

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(default="photo", max_length=16)
    sha256: str = Field(max_length=64, index=True)
    original_sha256: str | None = Field(default=None, max_length=64, index=True)
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


class Praise(SQLModel, table=True):
    """A citizen's praise (表扬) of a unit's good service (`tickets.praise`): not a ticket.

    It names its sender only through their reporter row (the channel id encrypted there),
    and the draft's submit key only as its keyed hash, like a ticket.
    """

    id: int | None = Field(default=None, primary_key=True)
    submit_key: str = Field(max_length=64, unique=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    description: str = Field(sa_type=Text)
    channel: str = Field(default="telegram", max_length=16)
    reporter_id: int = Field(foreign_key="reporter.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Supporter(SQLModel, table=True):
    """A citizen who joined a ticket with 'me too' instead of filing (`tickets.supporters`).

    Named only by their reporter row (the channel id encrypted there), always anonymous to
    staff; `satisfaction` is their own survey answer, which never changes the ticket.
    """

    __table_args__ = (
        Index("uq_supporter_ticket_reporter", "ticket_id", "reporter_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    reporter_id: int = Field(foreign_key="reporter.id", index=True)
    satisfaction: str | None = Field(default=None, max_length=16)
    rated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PraisePhoto(SQLModel, table=True):
    """A photo sent with a praise, stored content-addressed in the media store like evidence."""

    __tablename__ = "praise_photo"

    id: int | None = Field(default=None, primary_key=True)
    praise_id: int = Field(foreign_key="praise.id", index=True)
    sha256: str = Field(max_length=64, index=True)
    original_sha256: str | None = Field(default=None, max_length=64, index=True)
    size_bytes: int = 0
    width: int = 0
    height: int = 0
    telegram_file_id: str | None = Field(default=None, max_length=256)


class TicketEvent(SQLModel, table=True):
    """Append-only audit trail: who did what to a ticket, and when."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_kind: str = Field(max_length=16)
    actor_id: int | None = Field(default=None, sa_type=EncryptedInt)
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
    lookup_hashes: ClassVar[tuple[tuple[str, str], ...]] = (("chat_id", "chat_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=128, unique=True)
    # Decrypted at send time; rows of one chat are ordered and found by chat_hash.
    chat_id: int = Field(sa_type=EncryptedInt)
    chat_hash: str = Field(default="", max_length=HASH_CHARS, index=True)
    # Which channel's dispatcher sends it ("telegram", "wechat"); `method` and `payload`
    # are that channel's wire (a Bot API call, a WeChat customer-service message).
    channel: str = Field(default="telegram", max_length=16)
    method: str = Field(max_length=32)
    # The Bot API parameters: they name the chat and quote real names on cards.
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=EncryptedJSON)
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
    __table_args__ = (Index("uq_card_message_chat", "ticket_id", "chat_hash", unique=True),)
    lookup_hashes: ClassVar[tuple[tuple[str, str], ...]] = (("chat_id", "chat_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    chat_id: int = Field(sa_type=EncryptedInt)
    chat_hash: str = Field(default="", max_length=HASH_CHARS)
    message_id: int = Field(sa_type=BigInteger)


class FsmRecord(SQLModel, table=True):
    """aiogram FSM state and data, so drafts survive restarts.

    `key` is the storage key with its chat and user ids replaced by their keyed hashes;
    `storage_key` is the original, encrypted, for the work a restart resumes.
    """

    __tablename__ = "fsm_record"

    key: str = Field(primary_key=True, max_length=160)
    storage_key: str | None = Field(default=None, sa_type=EncryptedStr)
    state: str | None = Field(default=None, max_length=128)
    # A draft holds the reporter's name and phone until it is filed. Compressed, a draft at
    # the preview is ~1,290 B stored, not ~2,940 B of base64 (bench/MISSED.md, Memory).
    data: dict[str, Any] = Field(default_factory=dict, sa_type=EncryptedCompressedJSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class InboxUpdate(SQLModel, table=True):
    """Every update, stored before Telegram is told it was received, until it is handled.

    Polling confirms an offset with the next getUpdates call: keeping the update here
    first means a crash mid-handler replays it instead of losing it, and a redelivered
    update id is recognised and handled once.
    """

    __tablename__ = "inbox_update"
    __table_args__ = (Index("ix_inbox_update_lane", "lane_hash", "update_id"),)

    update_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    # The raw update: ids, names, usernames, shared contacts' phones.
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=EncryptedJSON)
    # Keyed hash of the update's lane (its user, or lacking one its chat: `payload_lane`),
    # so a replica finds the older unhandled updates of a user before handling a newer one.
    lane_hash: str | None = Field(default=None, max_length=HASH_CHARS)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    handled_at: datetime | None = _ts(index=True)
    # Handlings that ended without marking it handled (counted when it is replayed): a
    # poison update is set aside after a few instead of crashing every restart.
    attempts: int = 0
    quarantined_at: datetime | None = _ts()


def payload_lane(payload: Mapping[str, Any]) -> int:
    """The lane of a raw update: its sender's id, else its chat's, else 0."""
    for name, body in payload.items():
        if name == "update_id" or not isinstance(body, Mapping):
            continue
        # Stored as dumped by aiogram (`from_user`); Telegram's own name is `from`.
        for part in ("from_user", "from", "chat"):
            found = body.get(part)
            if isinstance(found, Mapping) and isinstance(found.get("id"), int):
                return int(found["id"])
        return 0
    return 0


class SecurityEvent(SQLModel, table=True):
    """A refused action (forged callback, wrong role), or an administrator's configuration
    change (kind `config_…`, `tickets.views.CONFIG_CHANGE_PREFIX`); the actor id is hashed."""

    __tablename__ = "security_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_hash: str = Field(max_length=16)
    kind: str = Field(max_length=32)
    detail: str = Field(default="", sa_type=Text)


class IdentityView(SQLModel, table=True):
    """One look at a real-name reporter's identity (append-only audit, `/audit CODE`).

    Its own table rather than a ticket event: events feed the card's footer, `/ticket`'s
    history and exports, which every department member reads; who looked at a reporter's
    identity is for administrators. The viewer is their keyed log hash (as in
    `security_event`), and the membership that allowed the look when there was one.
    `kind` says what was seen: the name and phone ("identity"), or the original upload of
    one piece of evidence ("original", `evidence_id`; no foreign key, so the record
    outlives evidence that is purged).
    """

    __tablename__ = "identity_view"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    viewer_hash: str = Field(max_length=16)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    role: str = Field(max_length=16)
    kind: str = Field(default="identity", max_length=16)
    evidence_id: int | None = None


class ModerationRecord(SQLModel, table=True):
    """A passage redacted from, or a photo hidden in, a ticket's publication
    (`tickets.moderation`); the ticket's own text and evidence are never changed.

    `target` is the passage as typed, or the photo's key (`evidence:<id>`, `result:<n>`);
    the actor and whoever reverted it are keyed log pseudonyms, as in `security_event`. A
    revert fills `reverted_at` and keeps the row. Each action and revert is also a ticket
    event (`moderation_*`), which the audit log lists.
    """

    __tablename__ = "moderation"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=16)
    target: str = Field(sa_type=Text)
    reason: str = Field(sa_type=Text)
    actor_hash: str = Field(max_length=16)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reverted_at: datetime | None = _ts()
    reverted_by_hash: str | None = Field(default=None, max_length=16)


class SentMessage(SQLModel, table=True):
    """A message the bot sent into a private chat while handling an update (a direct answer).

    Outbox rows keep their own `result_message_ids`; these are the answers handlers send
    themselves, so `/forget` can delete them too. Kept only while Telegram lets a bot
    delete them (48 hours), then purged.
    """

    __tablename__ = "sent_message"
    lookup_hashes: ClassVar[tuple[tuple[str, str], ...]] = (("chat_id", "chat_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=EncryptedInt)
    chat_hash: str = Field(default="", max_length=HASH_CHARS, index=True)
    message_id: int = Field(sa_type=BigInteger)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class RetentionPurge(SQLModel, table=True):
    """The audit of retention: one row per kind of record a purge deleted, and how many."""

    __tablename__ = "retention_purge"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    kind: str = Field(max_length=32)
    count: int = 0
    # What ran it: "schedule" (the daily job, the hourly draft expiry) or "command".
    trigger: str = Field(max_length=16)


class UserPref(SQLModel, table=True):
    """A Telegram user's chosen interface language (any role: citizen, supervisor, admin).

    Keyed by the keyed hash of the user id; the id itself is kept encrypted only so that
    a key rotation can compute the new hash.
    """

    __tablename__ = "user_pref"

    user_hash: str = Field(primary_key=True, max_length=HASH_CHARS)
    channel_user_id: int | None = Field(default=None, sa_type=EncryptedInt)
    language: str = Field(max_length=8)


class ConsoleLogin(SQLModel, table=True):
    """A one-time web console login link: only the sha256 of its token is kept."""

    __tablename__ = "console_login"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(sa_type=EncryptedInt)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = _ts()


class ConsoleSession(SQLModel, table=True):
    """A signed-in web console browser: its cookie's sha256, who, CSRF token and language.

    The staff member's roles are read again on every request, so removing them ends it.
    """

    __tablename__ = "console_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(sa_type=EncryptedInt)
    csrf: str = Field(max_length=64)
    language: str = Field(max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


def _fill_lookup_hashes(_mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    """Keep each `*_hash` column the keyed hash of its encrypted id, on insert and change."""
    state = inspect(target)
    for source, hashed in target.lookup_hashes:
        value = getattr(target, source)
        if state.persistent and not state.attrs[source].history.has_changes():
            continue
        setattr(target, hashed, None if value is None else keys_of(connection).lookup_hash(value))


for _model in (Reporter, Member, OutboxMessage, CardMessage, SentMessage):
    event.listen(_model, "before_insert", _fill_lookup_hashes)
    event.listen(_model, "before_update", _fill_lookup_hashes)
