"""Who sees what: a real-name reporter's identity on request, the original upload of a
photo for administrators (`/original CODE N`), `/audit CODE`, and the ticket commands kept
out of group chats.

```mermaid
flowchart LR
  card[real-name card] -- View real-name info --> check{private chat · current department or admin}
  check -- yes --> alert[identity in an alert to the presser] --> audit[(identity_view)]
  check -- no --> refusal[refusal alert] --> security[(security_event)]
  original[/original CODE N/] --> admin{private chat · administrator}
  admin -- yes --> verify{decrypts · sha256 as recorded}
  verify -- yes --> file[original as a document] --> audit
  admin -- no --> refusal
  verify -- no --> refusal
  auditcmd[/audit CODE/] --> views[who viewed, when]
  group[/ticket · /find · /export · /audit in a group/] --> note[use a private chat]
```
The card never shows the identity; its button asks `tickets.disclosure`, which decides and
records the look before the alert leaves (the alert is ephemeral: not in the chat's
history). `/original` asks `tickets.custody`, which verifies and records before the document
leaves. Refusals fly to `handlers.errors` (an alert and a SecurityEvent). This router
comes before `supervisor` and `stats`, so a ticket command typed in a group meets the note
here; their own handlers also accept private chats only.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from config.settings import Settings
from handlers.access import ADMIN, STAFF, AccessMiddleware, in_private
from handlers.errors import refusing
from handlers.routing import Blueprint
from tickets.actors import Actor
from tickets.codes import CodeReading, read_code
from tickets.custody import retrieve_original
from tickets.disclosure import identity_audit, reveal_identity
from tickets.errors import Conflict, Forbidden
from tickets.ports import UpdateWorkspace
from ui.errors_text import code_problem_text
from ui.keyboards import RevealIdentity
from ui.render import identity_alert, identity_views_text

router = Blueprint(__name__)
router.message.middleware(AccessMiddleware())
router.callback_query.middleware(AccessMiddleware())

# Answers that show a ticket, real names, invite links (anyone in a group could join a
# department with one), members, dead notifications or a staff-registered report's contact.
PRIVATE_ONLY_COMMANDS = (
    "ticket",
    "find",
    "export",
    "audit",
    "original",
    "dept",
    "route",
    "dead",
    "deadline",
    "new",
    "categories",
    "templates",
)


@router.callback_query(RevealIdentity.filter(), flags=STAFF)
async def on_reveal_identity(
    query: CallbackQuery, callback_data: RevealIdentity, ws: UpdateWorkspace, actor: Actor
) -> None:
    chat = query.message.chat if query.message is not None else None
    with refusing(detail=f"ticket {callback_data.ticket_id}"):
        identity = await reveal_identity(
            ws,
            ws.identity_views,
            actor,
            ticket_id=callback_data.ticket_id,
            private_chat=chat is not None and chat.type == "private",
        )
    # An alert: shown to the presser alone, and kept in no chat's history.
    await query.answer(identity_alert(identity), show_alert=True)


@router.message(Command("audit"), in_private, flags=ADMIN)
async def audit(
    message: Message,
    command: CommandObject,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    reading = read_code(command.args or "")
    if reading.code is None:
        await message.answer(
            code_problem_text(reading)
            if command.args
            else _("Send /audit followed by a tracking code, e.g. /audit SR-7K3Q-9XPA-X.")
        )
        return
    with refusing(detail=reading.code, logged=(Forbidden,)):  # a mistyped code is no attack
        ticket, views = await identity_audit(ws, ws.identity_views, actor, code=reading.code)
    await message.answer(identity_views_text(ticket, views, settings.tz))


@router.message(Command("original"), in_private, flags=ADMIN)
async def original(
    message: Message, command: CommandObject, ws: UpdateWorkspace, actor: Actor
) -> None:
    reading, number = code_and_number(command.args or "")
    if reading.code is None:
        await message.answer(
            code_problem_text(reading)
            if command.args
            else _(
                "Send /original followed by a tracking code and a photo number, "
                "e.g. /original SR-7K3Q-9XPA-X 1."
            )
        )
        return
    # A mistyped code or number is no attack; a refusal or a damaged original is.
    with refusing(detail=f"{reading.code} #{number}", logged=(Forbidden, Conflict)):
        found = await retrieve_original(
            ws,
            ws.vault,
            ws.identity_views,
            actor,
            code=reading.code,
            number=number,
            private_chat=message.chat.type == "private",
        )
    caption = _(
        "Original upload of photo {number}/{count} of {code}, exactly as received "
        "(sha256 {sha}). It may show where and when it was taken: do not forward it."
    ).format(number=found.number, count=found.count, code=found.code, sha=found.sha256[:16])
    document = BufferedInputFile(found.data, filename=found.filename)
    await message.answer_document(document, caption=caption)


def code_and_number(args: str) -> tuple[CodeReading, int]:
    """`CODE N` as typed: the code (spaces forgiven) and the photo number, 1 if left out."""
    whole = read_code(args)
    if whole.code is not None:
        return whole, 1
    head, _sep, last = args.strip().rpartition(" ")
    if head and last.isdigit() and len(last) <= 3:
        return read_code(head), int(last)
    return whole, 1


@router.message(Command(*PRIVATE_ONLY_COMMANDS), ~in_private)
async def private_chat_only(message: Message) -> None:
    await message.answer(
        _("Please send this to me in a private chat: everyone here would read the answer.")
    )


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
