"""The domain's `Notifier` on the outbox: renders per recipient, writes OutboxMessage rows.

Rows are written in the caller's transaction, so a notification exists exactly when the
change that caused it does. Recipients of a department are its bound group chat, else
its supervisors, else the administrators: a report always lands in front of someone.
Cards follow access: a chat that may no longer see a ticket (`has_access`) gets its copy
replaced once by a neutral line, and nothing more about the ticket is sent or edited there.
Staff are on Telegram; a reporter hears on the channel their ticket came through, in that
channel's rendering: WeChat rows are plain customer-service texts to their OpenID, with
numbered answers where Telegram has buttons.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import structlog
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from config.settings import Settings
from outbox.dispatcher import DeadHook
from outbox.telegram import CHANNEL as TELEGRAM
from outbox.wechat import CHANNEL as WECHAT
from storage.identity import lookup_hash
from storage.models import (
    CardMessage,
    Department,
    Evidence,
    Member,
    OutboxMessage,
    Reporter,
    Ticket,
    UserPref,
)
from storage.reads import card_context, duplicate_tickets
from storage.repositories import ticket_view
from storage.supporters import supporter_reporters
from tickets.accused import RELAY_KINDS, REPORTER_TEXT_KINDS
from tickets.actors import Role
from tickets.clock import Clock, SystemClock
from tickets.sources import OFFICE
from tickets.views import CardContext, PraiseView, TicketView
from ui import wechat_text
from ui.keyboards import (
    card_keyboard,
    reporter_reply_keyboard,
    supporter_survey_keyboard,
    survey_keyboard,
)
from ui.render import (
    HTML,
    PLAIN,
    Markup,
    card_footer,
    card_withdrawn,
    category_label,
    finding_lines,
    local_time,
    pass_on_notice,
    praise_notice,
    state_label,
    ticket_card,
)

log = structlog.get_logger(__name__)

# Updates on an original ticket that also reach the reporters of its linked duplicates.
LINKED_KINDS = frozenset({"accepted", "rejected", "resolved", "overdue"})
# What the citizens who joined a ticket with 'me too' hear of it (`tickets.supporters`).
SUPPORTER_KINDS = frozenset(
    {"accepted", "rejected", "resolved", "overdue", "reopened", "closed", "survey"}
    | {"merged", "split"}  # the joined case was merged into another, or split off again
)
# What the registrar of a report received elsewhere passes on (`_to_registrar`).
PASS_ON_KINDS = frozenset({"rejected", "resolved", "duplicate"})
ADMIN_PURPOSE = "admin:"  # the purpose of every notice to administrators starts so
DEAD_LETTER_PURPOSE = f"{ADMIN_PURPOSE}dead_letter"
DEAD_ERROR_SHOWN = 120
REVOKED_PURPOSE = "card_revoked"
PRAISE_PURPOSE = "praise"  # a praise's notice to the praised unit (`tickets.praise`)
# A deletion asked for with /forget: one that fails (too old by then) is no one's to fix.
FORGET_PURPOSE = "forget"
# What a department's chats receive about a ticket (not its reporter's or the admins' rows):
# dropped from the queue when the chat loses the ticket.
DEPARTMENT_PURPOSES = ("card", "card_edit", "")
QUEUED = ("pending", "sending")


def markup_json(markup: InlineKeyboardMarkup | None) -> dict[str, Any] | None:
    return markup.model_dump(mode="json", exclude_none=True) if markup else None


class OutboxNotifier:
    """Writes notifications for one unit of work."""

    def __init__(
        self,
        session: AsyncSession,
        i18n: I18n,
        settings: Settings,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._session = session
        self._i18n = i18n
        self._settings = settings
        # Rows are due "now" by the caller's clock: under a test's ManualClock, wall time
        # would put them in the future and nothing would ever be sent.
        self._clock = clock or SystemClock()

    @contextlib.contextmanager
    def _speaking(self, locale: str) -> Iterator[None]:
        """Translate for one recipient, whether or not an update's i18n context is active."""
        with self._i18n.context(), self._i18n.use_locale(locale):
            yield

    # -- recipients ------------------------------------------------------------------

    async def department_chats(self, department_id: int) -> list[int]:
        department = await self._session.get(Department, department_id)
        if department is not None and department.group_chat_id is not None:
            return [department.group_chat_id]
        rows = await self._session.scalars(
            select(col(Member.channel_user_id)).where(
                col(Member.department_id) == department_id,
                col(Member.role) == Role.SUPERVISOR,
                col(Member.removed_at).is_(None),
            )
        )
        supervisors = sorted(set(rows))
        return supervisors or sorted(self._settings.admin_ids)

    async def language_of(self, chat_id: int) -> str:
        if chat_id < 0:
            return self._settings.default_language
        pref = await self._session.get(UserPref, lookup_hash(self._session, chat_id))
        if pref is not None:
            return pref.language
        # The language the reporter wrote in (their Telegram client's), kept at filing.
        reporter_language = await self._session.scalar(
            select(col(Reporter.language)).where(
                col(Reporter.user_hash) == lookup_hash(self._session, chat_id)
            )
        )
        return reporter_language or self._settings.default_language

    # -- writing rows -----------------------------------------------------------------

    def enqueue(
        self,
        chat_id: int,
        method: str,
        params: dict[str, Any],
        *,
        key: str,
        ticket_id: int | None = None,
        purpose: str = "",
        channel: str = TELEGRAM,
    ) -> OutboxMessage:
        now = self._clock.now()
        row = OutboxMessage(
            # Unique per decision: the key names what it is for, the suffix keeps two
            # decisions of the same kind (two questions on one ticket) apart. The chat is
            # named by a prefix of its keyed hash: the key is stored in the clear.
            idempotency_key=f"{key}:{lookup_hash(self._session, chat_id)[:16]}:"
            f"{uuid.uuid4().hex[:12]}",
            chat_id=chat_id,
            channel=channel,
            method=method,
            # A Bot API call names its chat; a WeChat message its OpenID (`touser`).
            payload={"chat_id": chat_id, **params} if channel == TELEGRAM else dict(params),
            ticket_id=ticket_id,
            purpose=purpose,
            not_before=now,
            created_at=now,
        )
        self._session.add(row)
        return row

    async def text_to(
        self,
        chat_id: int,
        text: str,
        *,
        key: str,
        ticket_id: int | None = None,
        markup: InlineKeyboardMarkup | None = None,
        purpose: str = "",
    ) -> None:
        params: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
        if markup is not None:
            params["reply_markup"] = markup_json(markup)
        self.enqueue(chat_id, "sendMessage", params, key=key, ticket_id=ticket_id, purpose=purpose)

    async def to_reporter_text(
        self,
        ticket: TicketView,
        text: str,
        *,
        key: str,
        markup: InlineKeyboardMarkup | None = None,
        purpose: str,
        template: dict[str, Any] | None = None,
    ) -> None:
        """A text to the ticket's reporter on its channel (`text` already rendered for it).

        `template` is a WeChat template message to send instead when the follower's 48-hour
        window for customer-service messages has closed.
        """
        if ticket.channel != WECHAT:
            await self.text_to(
                ticket.reporter_user_id,
                text,
                key=key,
                ticket_id=ticket.id,
                markup=markup,
                purpose=purpose,
            )
            return
        reporter = await self._session.get(Reporter, ticket.reporter_id)
        if reporter is None or not reporter.channel_address:
            log.warning("reporter_without_address", ticket_id=ticket.id)
            return
        payload: dict[str, Any] = {"touser": reporter.channel_address, "content": text}
        if template is not None:
            payload["template"] = template
        self.enqueue(
            ticket.reporter_user_id,
            "text",
            payload,
            key=key,
            ticket_id=ticket.id,
            purpose=purpose,
            channel=WECHAT,
        )

    # -- Notifier protocol --------------------------------------------------------------

    async def ticket_filed(self, ticket: TicketView, *, duplicate_hints: Sequence[str]) -> None:
        evidence = list(
            await self._session.scalars(
                select(Evidence)
                .where(col(Evidence.ticket_id) == ticket.id)
                .order_by(col(Evidence.id))
            )
        )
        for chat_id in await self.ticket_chats(ticket):
            restricted = await self.restricted(chat_id, ticket)
            with self._speaking(await self.language_of(chat_id)):
                self._enqueue_evidence(chat_id, ticket, evidence)
                if ticket.latitude is not None and ticket.longitude is not None:
                    self.enqueue(
                        chat_id,
                        "sendLocation",
                        {"latitude": ticket.latitude, "longitude": ticket.longitude},
                        key=f"t{ticket.id}:loc",
                        ticket_id=ticket.id,
                    )
                await self.text_to(
                    chat_id,
                    ticket_card(
                        ticket,
                        self._settings.tz,
                        hints=tuple(duplicate_hints),
                        restricted=restricted,
                    ),
                    key=f"t{ticket.id}:card",
                    ticket_id=ticket.id,
                    markup=card_keyboard(ticket, restricted=restricted),
                    purpose="card",
                )

    def _enqueue_evidence(
        self, chat_id: int, ticket: TicketView, evidence: list[Evidence]
    ) -> None:
        # Telegram photos are re-sent by file id; images that came as files (with their
        # original metadata) never are: the stripped copy goes from the media store.
        photos = [e.telegram_file_id or f"media:{e.sha256}" for e in evidence]
        caption = _("Evidence for {code}").format(code=ticket.code)
        if len(photos) == 1:
            self.enqueue(
                chat_id,
                "sendPhoto",
                {"photo": photos[0], "caption": caption},
                key=f"t{ticket.id}:photo",
                ticket_id=ticket.id,
            )
        elif photos:
            media: list[dict[str, Any]] = [{"type": "photo", "media": p} for p in photos[:10]]
            media[0]["caption"] = caption
            self.enqueue(
                chat_id,
                "sendMediaGroup",
                {"media": media},
                key=f"t{ticket.id}:album",
                ticket_id=ticket.id,
            )

    async def ticket_changed(
        self, ticket: TicketView, *, kind: str, text: str | None = None
    ) -> None:
        """Refresh the copies of the card its chats may still see; take back the others.

        Sent cards are edited, queued ones rewritten. A chat that lost the ticket (转办, a
        removed member, an unbound group) gets its card replaced once and then forgotten.
        """
        context = await card_context(self._session, ticket)
        # The queued copies first, locked: a card the dispatcher is sending now is then
        # either still queued here (its mark as sent waits for this commit and sees the new
        # payload, so it edits what went out) or already sent and found among the cards
        # below. Read the other way round, a card sent in between was in neither.
        queued = await self._queued(ticket_id=ticket.id, purposes=("card",), lock=True)
        cards = await self._session.scalars(
            select(CardMessage).where(col(CardMessage.ticket_id) == ticket.id)
        )
        revoked: set[int] = set()
        for card in cards:
            if not await self.sees_ticket(card.chat_id, ticket):
                revoked.add(card.chat_id)
                continue
            self.enqueue(
                card.chat_id,
                "editMessageText",
                {
                    "message_id": card.message_id,
                    "parse_mode": "HTML",
                    **await self._card_as_seen(card.chat_id, ticket, context, kind, text),
                },
                key=f"t{ticket.id}:edit:{kind}",
                ticket_id=ticket.id,
                purpose="card_edit",
            )
        for row in queued:
            if row.chat_id in revoked or not await self.sees_ticket(row.chat_id, ticket):
                revoked.add(row.chat_id)
                continue
            seen = await self._card_as_seen(row.chat_id, ticket, context, kind, text)
            row.payload = {**row.payload, **seen}
        for chat_id in sorted(revoked):
            await self._take_back(chat_id, ticket_id=ticket.id, code=ticket.code)

    async def access_ended(self, *, chat_id: int, department_id: int) -> None:
        """Take back the cards of the department's tickets from a chat that lost them."""
        if await self.has_access(chat_id, department_id):
            return  # say, an administrator removed from a department: they oversee all
        chat_hash = lookup_hash(self._session, chat_id)
        of_department = col(Ticket.department_id) == department_id
        carded = await self._session.execute(
            select(col(Ticket.id), col(Ticket.code))
            .join(CardMessage, col(CardMessage.ticket_id) == col(Ticket.id))
            .where(of_department, col(CardMessage.chat_hash) == chat_hash)
        )
        queued = await self._session.execute(
            select(col(Ticket.id), col(Ticket.code))
            .join(OutboxMessage, col(OutboxMessage.ticket_id) == col(Ticket.id))
            .where(
                of_department,
                col(OutboxMessage.chat_hash) == chat_hash,
                col(OutboxMessage.purpose).in_(DEPARTMENT_PURPOSES),
                col(OutboxMessage.state).in_(QUEUED),
            )
        )
        for ticket_id, code in sorted({(row[0], row[1]) for row in [*carded, *queued]}):
            await self._take_back(chat_id, ticket_id=ticket_id, code=code)

    async def ticket_chats(self, ticket: TicketView) -> list[int]:
        """Where the ticket's alerts go: its department's chats, and when the report names a
        unit, its supervising office's (the administrators when that is nobody)."""
        chats = await self.department_chats(ticket.department_id)
        if ticket.accused_department_id is None:
            return chats
        office = ticket.overseer_department_id
        if office is None:
            more = sorted(self._settings.admin_ids)
        elif office != ticket.department_id:
            more = await self.department_chats(office)
        else:
            more = []
        return chats + [chat for chat in more if chat not in chats]

    async def sees_ticket(self, chat_id: int, ticket: TicketView) -> bool:
        """Whether the chat may see the ticket: its department's, or its supervising office's."""
        if await self.has_access(chat_id, ticket.department_id):
            return True
        office = ticket.overseer_department_id
        return (
            ticket.accused_department_id is not None
            and office is not None
            and await self.has_access(chat_id, office)
        )

    async def restricted(self, chat_id: int, ticket: TicketView) -> bool:
        """Whether the chat belongs to the unit the report is about (`tickets.accused`): it
        gets the card without the reporter's identity and without the relay."""
        accused = ticket.accused_department_id
        if accused is None or chat_id in self._settings.admin_ids:
            return False
        return await self.has_access(chat_id, accused)

    async def has_access(self, chat_id: int, department_id: int) -> bool:
        """Whether the chat may still see the department's tickets.

        Its bound group; its members, whatever their role (an assigned handler has a card
        of their own); the administrators, who oversee every department. Every chat
        `department_chats` alerts is among them.
        """
        if chat_id < 0:
            department = await self._session.get(Department, department_id)
            return department is not None and department.group_chat_id == chat_id
        if chat_id in self._settings.admin_ids:
            return True
        member = await self._session.scalar(
            select(col(Member.id))
            .where(
                col(Member.department_id) == department_id,
                col(Member.user_hash) == lookup_hash(self._session, chat_id),
                col(Member.removed_at).is_(None),
            )
            .limit(1)
        )
        return member is not None

    async def _queued(
        self,
        *,
        ticket_id: int,
        purposes: Sequence[str],
        chat_id: int | None = None,
        lock: bool = False,
    ) -> list[OutboxMessage]:
        statement = select(OutboxMessage).where(
            col(OutboxMessage.ticket_id) == ticket_id,
            col(OutboxMessage.purpose).in_(purposes),
            # "sending" too: the dispatcher re-edits a card whose payload changed in flight.
            col(OutboxMessage.state).in_(QUEUED),
        )
        if chat_id is not None:
            statement = statement.where(
                col(OutboxMessage.chat_hash) == lookup_hash(self._session, chat_id)
            )
        statement = statement.order_by(col(OutboxMessage.id))
        if lock:
            statement = statement.with_for_update()
        return list(await self._session.scalars(statement))

    async def _take_back(self, chat_id: int, *, ticket_id: int, code: str) -> None:
        """Replace the chat's card by a neutral line, forget it, and drop what is queued."""
        with self._speaking(await self.language_of(chat_id)):
            notice = card_withdrawn(code)
        card = await self._session.scalar(
            select(CardMessage).where(
                col(CardMessage.ticket_id) == ticket_id,
                col(CardMessage.chat_hash) == lookup_hash(self._session, chat_id),
            )
        )
        if card is not None:
            # No reply_markup: the edit takes the buttons away with the text.
            self.enqueue(
                chat_id,
                "editMessageText",
                {"message_id": card.message_id, "text": notice},
                key=f"t{ticket_id}:revoked",
                ticket_id=ticket_id,
                purpose=REVOKED_PURPOSE,
            )
            await self._session.delete(card)
        queued = await self._queued(
            ticket_id=ticket_id, purposes=DEPARTMENT_PURPOSES, chat_id=chat_id
        )
        for row in queued:
            if row.state == "pending":
                await self._session.delete(row)
            elif row.purpose == "card":
                # Already on its way: what arrives is edited to this (the dispatcher
                # re-edits a card rewritten in flight), and taken back once more later.
                row.payload = {"chat_id": row.payload["chat_id"], "text": notice}

    async def _card_as_seen(
        self, chat_id: int, ticket: TicketView, context: CardContext, kind: str, text: str | None
    ) -> dict[str, Any]:
        """The card's text and buttons as `chat_id` may see them after `kind`, in its language."""
        restricted = await self.restricted(chat_id, ticket)
        shown = None if restricted and kind in REPORTER_TEXT_KINDS else text
        with self._speaking(await self.language_of(chat_id)):
            return {
                "text": ticket_card(
                    ticket,
                    self._settings.tz,
                    footer=self._footer(context, shown),
                    restricted=restricted,
                ),
                "reply_markup": markup_json(card_keyboard(ticket, restricted=restricted)),
            }

    def _footer(self, context: CardContext, text: str | None) -> str:
        """Who acted last and when, the handler, linked tickets; rendered in the locale."""
        last = context.last
        return card_footer(
            tz=self._settings.tz,
            last=(last.kind, last.actor_kind, last.actor_name, last.at) if last else None,
            handler_name=context.handler_name,
            duplicates=context.duplicates,
            original_code=context.original_code,
            supporters=context.supporters,
            text=text,
        )

    async def to_department(
        self, ticket: TicketView, *, kind: str, text: str | None, photo_file_id: str | None = None
    ) -> None:
        """Relay the reporter's words to the department, never who they are.

        The supervising office of a unit reported on hears too; the unit's own chats hear
        of deadlines, never the reporter's words.
        """
        for chat_id in await self.ticket_chats(ticket):
            shown = text
            if await self.restricted(chat_id, ticket):
                if kind in RELAY_KINDS:
                    continue
                shown = None if kind in REPORTER_TEXT_KINDS else text
            with self._speaking(await self.language_of(chat_id)):
                body = department_notice(ticket, kind, shown, self._settings)
                if photo_file_id:
                    self.enqueue(
                        chat_id,
                        "sendPhoto",
                        {"photo": photo_file_id, "caption": body[:1024], "parse_mode": "HTML"},
                        key=f"t{ticket.id}:{kind}",
                        ticket_id=ticket.id,
                    )
                else:
                    await self.text_to(
                        chat_id, body, key=f"t{ticket.id}:{kind}", ticket_id=ticket.id
                    )

    async def to_admins(self, ticket: TicketView, *, kind: str, text: str | None = None) -> None:
        """Escalations and reopenings reach the supervision office (ADMIN_IDS)."""
        for chat_id in sorted(self._settings.admin_ids):
            with self._speaking(await self.language_of(chat_id)):
                body = admin_notice(ticket, kind, text)
                await self.text_to(
                    chat_id,
                    body,
                    key=f"t{ticket.id}:a:{kind}",
                    ticket_id=ticket.id,
                    purpose=f"{ADMIN_PURPOSE}{kind}",
                )

    async def to_office(self, ticket: TicketView, *, department_id: int, kind: str) -> None:
        """A red card climbing (督办): the supervising office's chats hear of the ticket."""
        for chat_id in await self.department_chats(department_id):
            with self._speaking(await self.language_of(chat_id)):
                await self.text_to(
                    chat_id,
                    admin_notice(ticket, kind, None),
                    key=f"t{ticket.id}:o{department_id}:{kind}",
                    ticket_id=ticket.id,
                    purpose=f"office:{kind}",
                )

    async def dead_letter(self, row: OutboxMessage) -> None:
        """Tell the administrators that `row` could not be delivered (`/dead` lists it).

        Never about a notice to administrators, this one included: when their own chat is
        what fails, the notice would fail the same way and queue the next, without end. Nor
        about a `/forget` deletion, which fails only once Telegram no longer allows it.
        Once per ticket and chat: when a group has removed the bot, a ticket's photo and
        card die together; when a reporter has blocked it, so does every later update. And
        at most once per row, marked on the row itself: a row given another go with
        `/dead retry` that dies again is not news, even once older notices were purged.
        """
        if row.purpose.startswith(ADMIN_PURPOSE) or row.purpose == FORGET_PURPOSE:
            return
        if row.dead_noticed:
            return
        row.dead_noticed = True
        # The chat by a prefix of its keyed hash: a reporter who blocked the bot is a chat too.
        about = f"dead:{row.ticket_id or '-'}:{lookup_hash(self._session, row.chat_id)[:16]}"
        told = await self._session.scalar(
            select(col(OutboxMessage.id))
            .where(col(OutboxMessage.idempotency_key).startswith(f"{about}:"))
            .limit(1)
        )
        if told is not None:
            return
        found = await self._session.get(Ticket, row.ticket_id) if row.ticket_id else None
        ticket = await ticket_view(self._session, found) if found else None
        for chat_id in sorted(self._settings.admin_ids - {row.chat_id}):
            with self._speaking(await self.language_of(chat_id)):
                what = dead_letter_detail(row)
                body = (
                    admin_notice(ticket, "dead_letter", what)
                    if ticket is not None
                    else _("⚠️ A message could not be delivered: {text}").format(
                        text=html.escape(what)
                    )
                )
                await self.text_to(
                    chat_id,
                    f"{body}\n{_('/dead — messages that could not be delivered')}",
                    key=about,
                    ticket_id=row.ticket_id,
                    purpose=DEAD_LETTER_PURPOSE,
                )

    async def to_reporter(self, ticket: TicketView, *, kind: str, text: str | None = None) -> None:
        """Tell the reporter what happened to their ticket, in their language."""
        if ticket.channel == OFFICE:
            await self._to_registrar(ticket, kind, text)
        else:
            await self._to_citizen(ticket, kind, text)
        if kind in LINKED_KINDS:
            await self._to_linked_reporters(ticket, kind, text)
        if kind in SUPPORTER_KINDS:
            await self._to_supporters(ticket, kind, text)

    async def _to_registrar(self, ticket: TicketView, kind: str, text: str | None) -> None:
        """A report staff registered (`/new`) has no citizen chat: the registrar hears the
        outcome to pass on; the rest (acceptance, survey, closing) is for nobody."""
        if kind not in PASS_ON_KINDS:
            return
        chat_id = ticket.reporter_user_id
        with self._speaking(await self.language_of(chat_id)):
            body = pass_on_notice(ticket, kind, text)
        await self.text_to(
            chat_id, body, key=f"t{ticket.id}:r:{kind}", ticket_id=ticket.id, purpose="pass_on"
        )

    async def _to_citizen(self, ticket: TicketView, kind: str, text: str | None) -> None:
        chat_id = ticket.reporter_user_id
        with self._speaking(await self.language_of(chat_id)):
            markup, template = None, None
            if ticket.channel == WECHAT:
                body = wechat_reporter_notice(ticket, kind, text)
                template = self._wechat_template(ticket, kind, body)
            else:
                body = reporter_notice(ticket, kind, text)
                if kind == "survey":
                    markup = survey_keyboard(ticket.id)
                elif kind == "question":
                    markup = reporter_reply_keyboard(ticket.id)
            await self.to_reporter_text(
                ticket,
                body,
                key=f"t{ticket.id}:r:{kind}",
                markup=markup,
                purpose=f"reporter:{kind}",
                template=template,
            )

    def _wechat_template(self, ticket: TicketView, kind: str, body: str) -> dict[str, Any] | None:
        """The template for `kind` (else the `status` one) from WECHAT_TEMPLATE_IDS, if any."""
        ids = self._settings.wechat_template_ids
        template_id = ids.get(kind) or ids.get("status")
        if not template_id:
            return None
        now, tz = self._clock.now(), self._settings.tz
        return {
            "template_id": template_id,
            "data": wechat_text.template_data(ticket, body, now, tz),
        }

    async def _to_linked_reporters(self, ticket: TicketView, kind: str, text: str | None) -> None:
        """The reporters of duplicates follow the original case; those of merged ones
        (`tickets.merging`) hear it as supporters instead, when they can (on Telegram)."""
        supporters = {
            reporter.id
            for reporter in await supporter_reporters(self._session, ticket_id=ticket.id)
            if reporter.channel == TELEGRAM
        }
        for duplicate in await duplicate_tickets(self._session, ticket_id=ticket.id):
            chat_id = duplicate.reporter_user_id
            if chat_id == ticket.reporter_user_id or duplicate.reporter_id in supporters:
                continue
            with self._speaking(await self.language_of(chat_id)):
                markup = PLAIN if duplicate.channel == WECHAT else HTML
                await self.to_reporter_text(
                    duplicate,
                    linked_notice(duplicate, ticket, kind, text, markup),
                    key=f"t{duplicate.id}:linked:{kind}",
                    purpose=f"reporter:linked_{kind}"[:32],
                )

    async def _to_supporters(self, ticket: TicketView, kind: str, text: str | None) -> None:
        """Who joined with 'me too' hears the same, never the tracking code; a survey of
        their own. On their own channel: Telegram with buttons, WeChat as plain text."""
        for supporter in await supporter_reporters(self._session, ticket_id=ticket.id):
            chat_id = supporter.channel_user_id
            if supporter.channel == ticket.channel and chat_id == ticket.reporter_user_id:
                continue
            key = f"t{ticket.id}:s{supporter.id}:{kind}"
            purpose = f"supporter:{kind}"
            with self._speaking(await self.language_of(chat_id)):
                if supporter.channel == WECHAT:
                    if not supporter.channel_address:
                        log.warning("supporter_without_address", ticket_id=ticket.id)
                        continue
                    # No template outside the 48-hour window: a template names the code.
                    content = wechat_supporter_notice(ticket, kind, text)
                    self.enqueue(
                        chat_id,
                        "text",
                        {"touser": supporter.channel_address, "content": content},
                        key=key,
                        ticket_id=ticket.id,
                        purpose=purpose,
                        channel=WECHAT,
                    )
                    continue
                if supporter.channel != TELEGRAM:
                    continue
                markup = supporter_survey_keyboard(ticket.id) if kind == "survey" else None
                await self.text_to(
                    chat_id,
                    supporter_notice(ticket, kind, text),
                    key=key,
                    ticket_id=ticket.id,
                    markup=markup,
                    purpose=purpose,
                )

    async def result_photos(self, ticket: TicketView, *, file_ids: Sequence[str]) -> None:
        """The department's photos of the result, after the official reply."""
        if ticket.channel == WECHAT:
            # Staff's photos are Telegram file ids, which WeChat cannot show; the official
            # reply (and `状态`) tell the result in words.
            return
        chat_id = ticket.reporter_user_id
        with self._speaking(await self.language_of(chat_id)):
            caption = _("Photos of the result for {code}").format(code=ticket.code)
        key = f"t{ticket.id}:r:result_photos"
        if len(file_ids) == 1:
            params: dict[str, Any] = {"photo": file_ids[0], "caption": caption}
            self.enqueue(
                chat_id,
                "sendPhoto",
                params,
                key=key,
                ticket_id=ticket.id,
                purpose="reporter:result_photos",
            )
            return
        media = [{"type": "photo", "media": file_id} for file_id in file_ids[:10]]
        media[0]["caption"] = caption
        self.enqueue(
            chat_id,
            "sendMediaGroup",
            {"media": media},
            key=key,
            ticket_id=ticket.id,
            purpose="reporter:result_photos",
        )

    async def praise_received(self, praise: PraiseView) -> None:
        """Tell the praised unit's chats: its photos, then the words; nothing to press."""
        photos = [p.telegram_file_id or f"media:{p.sha256}" for p in praise.photos]
        for chat_id in await self.department_chats(praise.department_id):
            with self._speaking(await self.language_of(chat_id)):
                caption = _("Photos with a praise for {unit}").format(unit=praise.department_name)
                if len(photos) == 1:
                    self.enqueue(
                        chat_id,
                        "sendPhoto",
                        {"photo": photos[0], "caption": caption[:1024]},
                        key=f"p{praise.id}:photo",
                        purpose=PRAISE_PURPOSE,
                    )
                elif photos:
                    media: list[dict[str, Any]] = [
                        {"type": "photo", "media": p} for p in photos[:10]
                    ]
                    media[0]["caption"] = caption[:1024]
                    self.enqueue(
                        chat_id,
                        "sendMediaGroup",
                        {"media": media},
                        key=f"p{praise.id}:album",
                        purpose=PRAISE_PURPOSE,
                    )
                await self.text_to(
                    chat_id,
                    praise_notice(praise, self._settings.tz),
                    key=f"p{praise.id}:notice",
                    purpose=PRAISE_PURPOSE,
                )

    async def to_member(self, ticket: TicketView, *, user_id: int, kind: str) -> None:
        """A staff member's own copy of a card (say, the handler it was assigned to)."""
        context = await card_context(self._session, ticket)
        restricted = await self.restricted(user_id, ticket)
        with self._speaking(await self.language_of(user_id)):
            notices = {"assigned": _("👤 {code} has been assigned to you.")}
            notice = notices.get(kind, _("Ticket {code}")).format(code=ticket.code)
            await self.text_to(user_id, notice, key=f"t{ticket.id}:m:{kind}", ticket_id=ticket.id)
            await self.text_to(
                user_id,
                ticket_card(
                    ticket,
                    self._settings.tz,
                    footer=self._footer(context, None),
                    restricted=restricted,
                ),
                key=f"t{ticket.id}:card",
                ticket_id=ticket.id,
                markup=card_keyboard(ticket, restricted=restricted),
                purpose="card",
            )


def reporter_notice(ticket: TicketView, kind: str, text: str | None, markup: Markup = HTML) -> str:
    code = ticket.code
    extra = markup.escape(text or "")
    templates = {
        "accepted": _("Your report {code} has been accepted by {department}."),
        "rejected": _("Your report {code} was not taken up. Reason: {text}"),
        "duplicate": _(
            "Your report {code} concerns a case already being handled: {text}. "
            "You will hear about it here."
        ),
        "question": _(
            "The department handling {code} asks:\n{text}\n\n"
            "Reply to this message (text or photo) to answer; you stay anonymous."
        ),
        # The survey follows as its own message, with the rating buttons.
        "resolved": _("Your report {code} has been resolved. Official reply:\n{text}"),
        "overdue": _("Your report {code} is overdue. The supervision office now oversees it."),
        "reopened": _("Your report {code} has been reopened and sent back to {department}."),
        "closed": _("Your report {code} is closed. Thank you for speaking up."),
        "survey": _("How was your report {code} handled? Please rate it:"),
        # A staff merge (`tickets.merging`): never the other report's code or reporter.
        "merged": _(
            "Your report {code} was joined with another report of the same case. You will "
            "hear that case's progress and official reply here, and be asked to rate it."
        ),
        "joined": _(
            "Another report of the same case was joined with your report {code}; "
            "it is handled together with yours."
        ),
        "split": _(
            "Your report {code} is handled on its own again, by {department}. "
            "You will hear about it here."
        ),
    }
    template = templates.get(kind, _("Update on your report {code}: {text}"))
    body = template.format(code=code, department=markup.escape(ticket.department_name), text=extra)
    return with_finding(body, ticket) if kind == "resolved" else body


def supporter_notice(
    ticket: TicketView, kind: str, text: str | None, markup: Markup = HTML
) -> str:
    """What a citizen who joined the case hears: its category, never its tracking code."""
    templates = {
        "accepted": _("👥 The case you joined ({category}) has been accepted by {department}."),
        "rejected": _("👥 The case you joined ({category}) was not taken up. Reason: {text}"),
        "resolved": _(
            "👥 The case you joined ({category}) has been resolved. Official reply:\n{text}"
        ),
        "overdue": _(
            "👥 The case you joined ({category}) is overdue. "
            "The supervision office now oversees it."
        ),
        "reopened": _(
            "👥 The case you joined ({category}) has been reopened and sent back to {department}."
        ),
        "closed": _("👥 The case you joined ({category}) is closed. Thank you for speaking up."),
        "survey": _("👥 How was the case you joined ({category}) handled? Please rate it:"),
        "merged": _(
            "👥 The case you joined ({category}) was joined with another report of the same "
            "case. You will hear that case's progress from now on."
        ),
        "split": _("👥 The case you joined ({category}) is handled on its own again."),
    }
    template = templates.get(kind, _("👥 Update on the case you joined ({category}): {text}"))
    body = template.format(
        category=category_label(ticket.category, markup),
        department=markup.escape(ticket.department_name),
        text=markup.escape(text or ""),
    )
    return with_finding(body, ticket) if kind == "resolved" else body


def wechat_supporter_notice(ticket: TicketView, kind: str, text: str | None) -> str:
    """A supporter's notice in plain text; the survey's answers are typed numbers."""
    body = supporter_notice(ticket, kind, text, PLAIN)
    return wechat_text.with_rating_choices(body) if kind == "survey" else body


def with_finding(body: str, ticket: TicketView) -> str:
    """A resolution's notice, then its finding (what was found and done, never to whom)."""
    lines = finding_lines(ticket)
    return "\n".join([body, "", *lines]) if lines else body


def wechat_reporter_notice(ticket: TicketView, kind: str, text: str | None) -> str:
    """The same notices in plain text; answers are typed, not pressed."""
    if kind == "question":
        return wechat_text.question_notice(ticket.code, text or "")
    if kind == "survey":
        return wechat_text.survey_prompt(ticket.code)
    return reporter_notice(ticket, kind, text, PLAIN)


def linked_notice(
    duplicate: TicketView,
    original: TicketView,
    kind: str,
    text: str | None,
    markup: Markup = HTML,
) -> str:
    """What the reporter of a duplicate hears when the original case moves."""
    templates = {
        "accepted": _("{department} has accepted the case."),
        "rejected": _("The case was not taken up. Reason: {text}"),
        "resolved": _("The case has been resolved. Official reply:\n{text}"),
        "overdue": _("The case is overdue. The supervision office now oversees it."),
    }
    what = templates.get(kind, _("Status: {state}")).format(
        department=markup.escape(original.department_name),
        text=markup.escape(text or ""),
        state=state_label(original.state),
    )
    if kind == "resolved":
        what = with_finding(what, original)
    return _("Update on {original}, the case your report {code} was linked to:\n{what}").format(
        original=original.code, code=duplicate.code, what=what
    )


def dead_letter_detail(row: OutboxMessage) -> str:
    """What failed and why, never to whom: a person's chat id is their Telegram id."""
    recipient = _("group") if row.chat_id < 0 else _("person")
    error = (row.last_error or "")[:DEAD_ERROR_SHOWN]
    return f"{row.purpose or row.method} → {recipient}: {error}"


def dead_letter_hook(i18n: I18n, settings: Settings, clock: Clock) -> DeadHook:
    """The outbox dispatcher's `on_dead`: administrators hear of each message that died."""

    async def on_dead(session: AsyncSession, row: OutboxMessage) -> None:
        await OutboxNotifier(session, i18n, settings, clock=clock).dead_letter(row)

    return on_dead


def admin_notice(ticket: TicketView, kind: str, text: str | None) -> str:
    templates = {
        "reopened": _(
            "🔁 {code} ({department}) was reopened: the reporter is not satisfied. {text}"
        ),
        "red_card": _(
            "🟥 Red card: {code} ({department}) is seriously overdue and is escalated to you."
        ),
        "dead_letter": _("⚠️ Messages for {code} could not be delivered: {text}"),
        "escalated": _(
            "🟥 Red card: {code} ({department}) is seriously overdue. As the department's "
            "supervising office, please oversee it (督办)."
        ),
    }
    template = templates.get(kind, _("{code} ({department}): {text}"))
    return template.format(
        code=ticket.code,
        department=html.escape(ticket.department_name),
        text=html.escape(text or ""),
    ).strip()


def department_notice(ticket: TicketView, kind: str, text: str | None, settings: Settings) -> str:
    """Messages to a department about one of its tickets; the reporter stays anonymous."""
    deadline = ticket.accept_by if kind == "remind_accept" else ticket.resolve_by
    templates = {
        "supplement": _("➕ The reporter added material to {code}:\n{text}"),
        "answer": _("💬 The reporter answered on {code}:\n{text}"),
        "remind_accept": _("⏰ {code}: accept by {due} ({text}% passed)."),
        "remind_resolve": _("⏰ {code}: resolve by {due} ({text}% passed)."),
        "yellow_card": _("🟨 Yellow card: {code} has passed its deadline."),
        "red_card": _(
            "🟥 Red card: {code} is seriously overdue; the supervision office has been alerted."
        ),
        "reopened": _("🔁 {code} is reopened: the reporter is not satisfied.\n{text}"),
        "survey_comment": _("💬 The reporter's comment on {code}:\n{text}"),
    }
    template = templates.get(kind, _("💬 Message on {code}:\n{text}"))
    return template.format(
        code=ticket.code,
        text=html.escape(text or ""),
        due=local_time(deadline, settings.tz),
    ).strip()


# -- rows written once: digests and the transparency channel ---------------------------------


def outbox_chat_id(chat: int | str) -> int:
    """The `chat_id` column of a row for `chat`, which may be a channel's @username.

    The column orders and paces a chat's rows; the Bot API call uses the payload's
    `chat_id`, which keeps the @username. A name gets a stable stand-in id far below any
    real chat id (channels are about -10^12), so it still sorts and paces as one chat.
    """
    if isinstance(chat, int):
        return chat
    digest = hashlib.sha256(chat.lower().encode()).hexdigest()
    return -(2 * 10**15 + int(digest[:12], 16) % 10**15)


class OnceNotifier(OutboxNotifier):
    """Rows keyed by what they are about (a week's digest, a ticket's publication).

    A key is written once, so a job that runs twice, or a button pressed twice, still
    sends once.
    """

    async def once(
        self,
        chat: int | str,
        method: str,
        params: dict[str, Any],
        *,
        key: str,
        purpose: str,
        ticket_id: int | None = None,
    ) -> bool:
        """Queue one call to `chat` unless `key` was queued before; tell whether it was new."""
        known = await self._session.scalar(
            select(col(OutboxMessage.id)).where(col(OutboxMessage.idempotency_key) == key)
        )
        if known is not None:
            return False
        now = self._clock.now()
        self._session.add(
            OutboxMessage(
                idempotency_key=key,
                chat_id=outbox_chat_id(chat),
                method=method,
                payload={"chat_id": chat, **params},
                ticket_id=ticket_id,
                purpose=purpose,
                not_before=now,
                created_at=now,
            )
        )
        return True
