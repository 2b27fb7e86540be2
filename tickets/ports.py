"""What the use cases and the handlers need from the outside world, as Protocols.

`Workspace` is what a use case runs with; `UpdateWorkspace` extends it with the reads and
deliveries a handler needs around the use case (queues, history, the card's footer, the
statistics, the transparency channel, exports, the security log, the identity audit, the
sealed original uploads).
`storage/` implements the repositories and reads on SQLModel, `outbox/` the notifier,
channel and exports, and `bot/workspace.py` binds them all to one unit of work and hands the
result to every handler as `ws`. So a handler imports no query and builds no service: a new
need becomes a port here, a method in `storage/` (or `outbox/`), and a line in
`bot/workspace.py`. Tests can pass fakes. Every method runs inside the caller's unit of work
unless its docstring says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from tickets.actors import Actor
from tickets.categories import DEFAULTS, Categories, Category
from tickets.clock import Clock
from tickets.holiday_admin import CalendarDayStore
from tickets.membership import (
    CardAccess,
    DepartmentView,
    DirectoryPort,
    MemberView,
    RuleView,
    TagView,
)
from tickets.photos import ImageLimits
from tickets.privacy import ForgetReport
from tickets.publishing import Channel, PublicationStore
from tickets.quotas import DEFAULT_QUOTAS, Quotas
from tickets.reply_templates import ReplyTemplate, TemplateDraft
from tickets.supporters import SupporterStore
from tickets.views import (
    AuditEntry,
    CardContext,
    HistoryEntry,
    IdentityViewEntry,
    NewPraise,
    NewReport,
    PhotoRef,
    PraiseView,
    TicketStatus,
    TicketView,
)

if TYPE_CHECKING:  # these modules import this one
    from tickets.casework import FindQuery
    from tickets.custody import EvidenceVault
    from tickets.measures import Period, Ranking
    from tickets.records import CardedTicket, Stats
from tickets.escalation import DEFAULT_ESCALATION, Escalation
from tickets.holidays import PACKAGED, WorkingCalendar


class TicketRepository(Protocol):
    async def get(self, *, ticket_id: int) -> TicketView | None: ...

    async def get_by_code(self, *, code: str) -> TicketView | None: ...

    async def get_by_submit_key(self, *, submit_key: str) -> TicketView | None: ...

    async def add(
        self,
        *,
        draft: NewReport,
        code: str,
        department_id: int,
        state: str,
        accept_by: datetime,
        resolve_by: datetime,
        now: datetime,
    ) -> TicketView: ...

    async def update(self, *, ticket_id: int, changes: dict[str, Any]) -> TicketView: ...

    async def add_event(
        self,
        *,
        ticket_id: int,
        at: datetime,
        actor_kind: str,
        actor_id: int | None,
        kind: str,
        from_state: str | None = None,
        to_state: str | None = None,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None: ...

    async def count_submitted_since(self, *, reporter_user_id: int, since: datetime) -> int: ...

    async def event_times_since(
        self, *, ticket_id: int, kinds: Collection[str], since: datetime
    ) -> list[datetime]:
        """When the ticket's events of those kinds happened, after `since`."""
        ...

    async def similar_photo_codes(
        self, *, phashes: Sequence[str], like: TicketView, limit: int
    ) -> list[str]: ...


class DirectoryRepository(Protocol):
    async def routing_rules(self) -> list[Any]: ...

    async def intake_department_id(self) -> int: ...

    async def department_parents(self) -> dict[int, int | None]:
        """Every department's parent (None: the supervision office)."""
        ...

    async def department_name(self, *, department_id: int) -> str: ...

    async def get_department(self, *, department_id: int) -> DepartmentView | None: ...

    async def deadline_days(self, *, category: str) -> tuple[int, int] | None: ...


class FollowUpRepository(Protocol):
    async def schedule(self, *, ticket_id: int, plan: Sequence[tuple[str, datetime]]) -> None: ...

    async def cancel(
        self, *, ticket_id: int, at: datetime, kinds: Sequence[str] | None = None
    ) -> None: ...


class Notifier(Protocol):
    """Turns domain happenings into outbox messages (in the same transaction)."""

    async def ticket_filed(
        self, ticket: TicketView, *, duplicate_hints: Sequence[str]
    ) -> None: ...

    async def ticket_changed(
        self, ticket: TicketView, *, kind: str, text: str | None = None
    ) -> None:
        """Refresh the cards of chats that may see the ticket; take back all others."""
        ...

    async def to_department(
        self, ticket: TicketView, *, kind: str, text: str | None, photo_file_id: str | None = None
    ) -> None: ...

    async def to_admins(
        self, ticket: TicketView, *, kind: str, text: str | None = None
    ) -> None: ...

    async def to_office(self, ticket: TicketView, *, department_id: int, kind: str) -> None:
        """A notice about the ticket to another department's chats (an escalation)."""
        ...

    async def to_reporter(
        self, ticket: TicketView, *, kind: str, text: str | None = None
    ) -> None: ...


class CategoryStore(Protocol):
    """The category table: read whole (it is small), changed one row at a time."""

    async def list_categories(self) -> Categories: ...

    async def add_category(self, category: Category) -> None: ...

    async def update_category(
        self,
        *,
        slug: str,
        zh: str | None = None,
        en: str | None = None,
        retired: bool | None = None,
    ) -> None: ...


class FixedCategories:
    """A store holding `DEFAULTS` and nothing else: for use cases run without a database."""

    async def list_categories(self) -> Categories:
        return DEFAULTS

    async def add_category(self, category: Category) -> None:
        raise NotImplementedError

    async def update_category(
        self,
        *,
        slug: str,
        zh: str | None = None,
        en: str | None = None,
        retired: bool | None = None,
    ) -> None:
        raise NotImplementedError


FIXED_CATEGORIES: CategoryStore = FixedCategories()


class TemplateStore(Protocol):
    """The reply templates: read whole (a few dozen at most), changed one row at a time."""

    async def list_templates(self) -> list[ReplyTemplate]:
        """Every template, retired ones included, oldest first."""
        ...

    async def get_template(self, *, template_id: int) -> ReplyTemplate | None: ...

    async def add_template(self, draft: TemplateDraft) -> ReplyTemplate: ...

    async def update_template(
        self,
        *,
        template_id: int,
        title: str | None = None,
        body: str | None = None,
        active: bool | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class Workspace:
    """The ports one use case runs with, all bound to one unit of work."""

    tickets: TicketRepository
    directory: DirectoryRepository
    followups: FollowUpRepository
    notifier: Notifier
    clock: Clock
    timezone: str = "Asia/Shanghai"
    survey_window: timedelta = timedelta(days=7)
    calendar: WorkingCalendar = PACKAGED
    quotas: Quotas = DEFAULT_QUOTAS
    escalation: Escalation = DEFAULT_ESCALATION
    categories: CategoryStore = FIXED_CATEGORIES


# -- what handlers need beyond a use case's ports ------------------------------------------------


class StaffDirectory(DirectoryRepository, DirectoryPort, Protocol):
    """The directory as staff screens read it: routing facts, members and departments."""

    async def list_members(self, *, department_id: int) -> list[MemberView]: ...

    async def list_departments(self) -> list[DepartmentView]: ...

    async def list_rules(self) -> list[RuleView]: ...

    async def list_tags(self) -> list[TagView]: ...

    async def get_tag(self, *, tag: str) -> TagView | None:
        """The place tag a QR code or deep link carries, if registered."""
        ...

    async def list_deadline_days(self) -> dict[str, tuple[int, int]]:
        """The per-category overrides: category → (accept days, resolve days)."""
        ...

    async def set_deadline_days(
        self, *, category: str, accept_days: int, resolve_days: int
    ) -> None: ...


class StaffNotifier(Notifier, CardAccess, Protocol):
    """The notifier with the messages only staff and directory actions cause."""

    async def to_member(self, ticket: TicketView, *, user_id: int, kind: str) -> None: ...

    async def sees_ticket(self, chat_id: int, ticket: TicketView) -> bool:
        """Whether the chat may hold the ticket's card (its department, its overseer)."""
        ...

    async def restricted(self, chat_id: int, ticket: TicketView) -> bool:
        """Whether the chat is the unit reported on's: no identity, no relay there."""
        ...

    async def result_photos(self, ticket: TicketView, *, file_ids: Sequence[str]) -> None: ...

    async def praise_received(self, praise: PraiseView) -> None:
        """An informational notice of a praise to the praised unit's chats (no buttons)."""
        ...


class PraiseRepository(Protocol):
    """Praises (`tickets.praise`): stored with their photos, counted per sender."""

    async def get_by_submit_key(self, *, submit_key: str) -> PraiseView | None: ...

    async def add(self, *, draft: NewPraise, department_id: int, now: datetime) -> PraiseView: ...

    async def count_since(self, *, reporter_user_id: int, channel: str, since: datetime) -> int:
        """How many praises that sender filed since `since`."""
        ...


class CaseReads(Protocol):
    """The read side: staff queues, search, history, a card's footer, delivered messages;
    a reporter's own tickets and `/status` by code."""

    async def open_queue(
        self, *, department_ids: Collection[int] | None, offset: int, limit: int
    ) -> tuple[list[TicketView], int]: ...

    async def find(
        self, *, department_ids: Collection[int] | None, query: FindQuery
    ) -> tuple[list[TicketView], int]: ...

    async def history(self, *, ticket_id: int) -> list[HistoryEntry]: ...

    async def card_context(self, ticket: TicketView) -> CardContext: ...

    async def is_tracked_card(self, *, ticket_id: int, chat_id: int, message_id: int) -> bool:
        """Whether that message is a card the outbox keeps up to date itself."""
        ...

    async def question_ticket(self, *, chat_id: int, message_id: int) -> int | None:
        """The ticket whose question to the reporter was delivered as that message."""
        ...

    async def reporter_tickets(
        self, *, reporter_user_id: int, offset: int, limit: int
    ) -> list[TicketView]:
        """A reporter's own tickets, newest first."""
        ...

    async def ticket_status(self, *, code: str) -> TicketStatus | None:
        """What `/status` shows of the ticket with this code (one query, no identity)."""
        ...


@dataclass(frozen=True)
class DeadMessage:
    """An outbox message the dispatcher gave up on: what and why, not to whom."""

    id: int
    method: str
    purpose: str
    to_group: bool
    ticket_id: int | None
    attempts: int
    last_error: str | None


class DeadLetters(Protocol):
    async def newest(self, *, limit: int) -> list[DeadMessage]: ...

    async def requeue(self, *, ids: Collection[int], now: datetime) -> int:
        """Give those dead messages a fresh set of attempts; how many there were."""
        ...


class SecurityLog(Protocol):
    async def record(self, *, actor_hash: str, kind: str, detail: str, at: datetime) -> None: ...


class AuditLog(Protocol):
    """The audit records for administrators: identity views, moderation, purges, refusals."""

    async def page(
        self, *, kinds: Collection[str], offset: int, limit: int
    ) -> tuple[list[AuditEntry], int]:
        """Newest first: one page of the records of `kinds` (`AUDIT_KINDS`), and how many."""
        ...


class IdentityViews(Protocol):
    """The audit of who looked at a real-name reporter's identity (append-only)."""

    async def record(
        self,
        *,
        ticket_id: int,
        viewer_user_id: int,
        member_id: int | None,
        role: str,
        at: datetime,
        kind: str = "identity",
        evidence_id: int | None = None,
    ) -> None:
        """Note one look; the viewer is stored as a keyed hash, never as the raw id.

        `kind` "original" with `evidence_id`: an original upload was handed over.
        """
        ...

    async def list_for(self, *, ticket_id: int) -> list[IdentityViewEntry]:
        """Every look at that ticket's reporter or its original uploads, oldest first."""
        ...


class People(Protocol):
    async def set_language(self, *, user_id: int, language: str) -> None: ...

    async def get_language(self, *, user_id: int) -> str | None: ...

    async def actor(self, *, user_id: int, admin_ids: frozenset[int]) -> Actor:
        """Who that user is now: `ADMIN_IDS` and their current (not removed) memberships."""
        ...


@dataclass(frozen=True)
class ConsoleSessionView:
    """A signed-in web console browser, as the console reads it on each request."""

    user_id: int
    csrf: str
    language: str
    expires_at: datetime


class ConsoleAccess(Protocol):
    """The web console's logins, sessions and evidence files (tokens only as sha256)."""

    async def issue_login(
        self, *, user_id: int, token_hash: str, now: datetime, expires_at: datetime
    ) -> None: ...

    async def redeem_login(self, *, token_hash: str, now: datetime) -> int | None:
        """Spend an unexpired, unused login link; whose it was, or None (never twice)."""
        ...

    async def open_session(
        self,
        *,
        token_hash: str,
        user_id: int,
        csrf: str,
        language: str,
        now: datetime,
        expires_at: datetime,
    ) -> None: ...

    async def session(self, *, token_hash: str, now: datetime) -> ConsoleSessionView | None: ...

    async def end_session(self, *, token_hash: str) -> None: ...

    async def set_language(self, *, token_hash: str, language: str) -> None: ...

    async def evidence(self, *, ticket_id: int) -> list[str]:
        """The sha256 names of a ticket's stripped photos, in the order they were filed."""
        ...

    async def photo(self, *, sha256: str) -> bytes:
        """A stripped photo's bytes (read off the event loop); never an original upload."""
        ...


class ChatHistory(Protocol):
    """The bot's own messages in a private chat (`/forget`)."""

    async def forget(self, *, chat_id: int, since: datetime) -> ForgetReport:
        """Queue deleting the bot's messages in `chat_id` sent since `since`, so that a
        second call finds nothing left; count the older ones."""
        ...


class Drafts(Protocol):
    async def release_photos(self, data: Mapping[str, Any]) -> int:
        """Delete the photos of a discarded draft that nothing else uses; how many went."""
        ...


class PhotoIntake(Protocol):
    """Where a citizen's upload becomes evidence: checked, made safe and stored (files only)."""

    @property
    def limits(self) -> ImageLimits:
        """What is accepted, so a caller can refuse a file before fetching it."""
        ...

    async def store(self, data: bytes, *, telegram_file_id: str | None) -> PhotoRef:
        """Normalise an upload off the event loop and store it; `ImageRejected` if unusable.

        The photo keeps its capture time and position, the time made aware in the bot's
        time zone unless the camera recorded its own offset.
        """
        ...


class StatsReads(Protocol):
    """The figures; they may read on sessions of their own, in parallel."""

    async def stats(
        self, period: Period, *, as_of: datetime, department_id: int | None
    ) -> Stats: ...

    async def ranking(self, period: Period, *, as_of: datetime) -> Ranking: ...

    async def department_names(self) -> dict[int, tuple[str, bool]]: ...

    async def carded(self) -> list[CardedTicket]:
        """Every open ticket with a yellow or red card: the daily overdue lists' rows."""
        ...


class ChartFile(Protocol):
    @property
    def filename(self) -> str: ...

    @property
    def png(self) -> bytes: ...


class ChannelPort(Channel, Protocol):
    """The transparency channel: each post goes through the outbox once per key."""

    async def text(self, text: str, *, key: str, purpose: str) -> bool: ...

    async def post_chart(
        self, chart: ChartFile, caption: str, *, key: str, purpose: str
    ) -> bool: ...


class ExportFiles(Protocol):
    @property
    def tickets(self) -> int: ...

    @property
    def files(self) -> dict[str, bytes]: ...

    def filename(self, fmt: str, tz: ZoneInfo) -> str: ...


class Exports(Protocol):
    async def build(
        self,
        period: Period,
        *,
        as_of: datetime,
        formats: Collection[str],
        tr: Callable[[str], str],
        department_ids: Sequence[int] | None,
        include_identity: bool,
        moderation_reasons: bool,
        without_reporter_words_in: Collection[int] = (),
    ) -> ExportFiles: ...


@dataclass(frozen=True, kw_only=True)
class UpdateWorkspace(Workspace):
    """Every port a handler needs, bound to the update's unit of work: handed over as `ws`.

    A subclass, so a handler passes `ws` straight to a use case. Ports with a session or
    connection of their own say so (`stats`, `exports`).
    """

    directory: StaffDirectory
    notifier: StaffNotifier
    cases: CaseReads
    security: SecurityLog
    audit: AuditLog
    identity_views: IdentityViews
    vault: EvidenceVault
    people: People
    drafts: Drafts
    photos: PhotoIntake
    stats: StatsReads
    publications: PublicationStore
    channel: ChannelPort
    exports: Exports
    dead_letters: DeadLetters
    chat_history: ChatHistory
    console: ConsoleAccess
    templates: TemplateStore
    praises: PraiseRepository
    supporters: SupporterStore
    calendar_days: CalendarDayStore
