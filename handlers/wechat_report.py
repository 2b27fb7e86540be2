"""The citizen's report on WeChat: the Telegram draft's steps, as numbered text prompts.

```mermaid
stateDiagram-v2
  [*] --> choosing_category: any text
  choosing_category --> choosing_unit: a number or the category's words
  choosing_unit --> choosing_unit: typed words matching several units
  choosing_unit --> describing: a unit's number or name, 0 / 不清楚
  describing --> adding_photos: 5–2000 characters
  adding_photos --> locating: 1 / 下一步 (0–N image pushes first)
  locating --> choosing_identity: address, location push, or 0 / 跳过
  choosing_identity --> confirming: 1 匿名
  choosing_identity --> naming: 2 实名
  naming --> giving_phone
  giving_phone --> confirming
  confirming --> [*]: 1 确认, no open ticket like it → ticket and its code
  confirming --> matching: 1 确认, and open tickets look alike
  matching --> [*]: a match's number (我也遇到了) → supporter of it, no new ticket
  matching --> [*]: 确认 → ticket and its code
```
Praise (表扬) is the same steps minus the accusation, under its own step names:
```mermaid
stateDiagram-v2
  [*] --> praise_choosing_unit: 表扬 (not during a report)
  praise_choosing_unit --> praise_describing: a unit's number or name
  praise_describing --> praise_adding_photos: 5–2000 characters
  praise_adding_photos --> praise_confirming: 1 / 下一步
  praise_confirming --> [*]: 1 确认 → praise, thank-you (no code)
```
At the confirmation, `tickets.supporters.find_matches` looks for open tickets like the
draft (as Telegram's Confirm does); they are listed by category, registered place and state,
never their reporter, words or code. Joining files nothing and ends the draft; the follower
then hears the ticket's updates and survey like its reporter, by category.
A place's QR code (`subscribe`/`SCAN` with its tag as the scene) starts the draft with
that place, which step 4 then keeps unless the follower types a more exact one.
`取消` ends the draft at any step (its photos go unless something else holds them);
`状态 <code>` (or `/status <code>`) and `我的举报` answer at any time without touching the
draft. Outside a draft, a text first answers what the follower owes: a rating (1 满意,
2 基本满意, 3 不满意) when one of their tickets is resolved and awaits it (else one they
joined: recorded, never reopening it), else the
department's open question (the latest `ask` with no `answer` after it), relayed as
Telegram's 💬 Reply is; only then does it start a report. A push is one unit of work:
`answer` returns the texts to send and the caller commits, or rolls back on a
`DomainError` and sends its translated text instead, so a refused step stores nothing.
WeChat pushes do not pass through aiogram, so this is no Router; it is the same thin
layer: read the push, call the use case, render.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

import aiohttp
import structlog

from config.settings import Settings
from handlers.draft_flow import Unit, active_units
from handlers.photos import draft_photo, rejection_text
from handlers.praise import draft_value as telegram_praise
from handlers.reporter import draft_value as telegram_draft
from handlers.reporter import match_keys
from outbox.wechat import CHANNEL as WECHAT
from outbox.wechat import chat_key
from tickets.casework import answer_question
from tickets.categories import Category
from tickets.codes import read_code
from tickets.photos import ImageRejected, RejectReason
from tickets.ports import UpdateWorkspace
from tickets.praise import submit_praise
from tickets.reports import PHOTOS_MAX, submit_report, validate_description
from tickets.routing import SOURCE_TAG_RE
from tickets.states import TicketState, is_open
from tickets.supporters import Match, find_matches, join, rate_as_supporter
from tickets.views import NewPraise, NewReport, TicketView
from tickets.workflow import RATINGS, rate
from ui import wechat_text as texts
from ui.categories import current_categories, current_locale
from ui.errors_text import code_problem_text
from ui.render import PLAIN, state_label, status_text
from wechat.api import MediaTooLarge, WeChatApiError
from wechat.messages import (
    ClickEvent,
    ImageMessage,
    LocationMessage,
    OtherMessage,
    Push,
    ScanEvent,
    SubscribeEvent,
    TextMessage,
)

log = structlog.get_logger(__name__)

PREFIX = "ReportDraft:wechat_"  # the draft-expiry job forgets every `ReportDraft:` state
CATEGORY, DESCRIBING, PHOTOS, PLACE = (
    "choosing_category",
    "describing",
    "adding_photos",
    "locating",
)
IDENTITY, NAME, PHONE, CONFIRM = "choosing_identity", "naming", "giving_phone", "confirming"
UNIT = "choosing_unit"
MATCHING = "matching"
PRAISING = "praise_"  # the praise's steps share the report's prefix (and its expiry)
PRAISE_UNIT, PRAISE_DESCRIBING = PRAISING + "choosing_unit", PRAISING + "describing"
PRAISE_PHOTOS, PRAISE_CONFIRM = PRAISING + "adding_photos", PRAISING + "confirming"
PRAISE = ("表扬", "/praise", "praise")
CONFIRM_WORDS = ("确认", "提交", "confirm")
NOT_SURE = ("0", "不清楚", "不知道", "not sure")
# A numbered list longer than this is unreadable in a chat: typing narrows it.
UNITS_LISTED = 20

CANCEL = frozenset({"取消", "/cancel", "cancel"})
NEXT = ("1", "下一步", "完成", "next")
SKIP = ("0", "跳过", "skip")
STATUS = re.compile(r"^(?:状态|/status)(?:\s+|$)(.*)$", re.IGNORECASE | re.DOTALL)
PHONE_RE = re.compile(r"\+?[0-9][0-9 -]{3,22}[0-9]")
OWN_TICKETS_SHOWN = 5
MY_TICKETS = ("我的举报", "/mytickets")
MY_TICKETS_SHOWN = 10
# How far back a follower's tickets are searched for a survey or a question they owe.
OWED_SCANNED = 20


class DraftStore(Protocol):
    """A follower's draft (step and JSON-safe data), in the push's unit of work."""

    async def get(self, user_key: int) -> tuple[str | None, dict[str, Any]]: ...

    async def set(self, user_key: int, state: str, data: Mapping[str, Any]) -> None: ...

    async def clear(self, user_key: int) -> None: ...


class MediaSource(Protocol):
    """Where an image push's MediaId is fetched (WeChat's media API)."""

    async def download_media(self, media_id: str, *, max_bytes: int) -> bytes: ...


@dataclass(frozen=True)
class Turn:
    """What one push is answered with: the ports, the follower and their language."""

    ws: UpdateWorkspace
    drafts: DraftStore
    media: MediaSource
    settings: Settings
    open_id: str
    language: str

    @property
    def user_key(self) -> int:
        return chat_key(self.open_id)


def normalized(text: str) -> str:
    """Full-width digits and letters folded, case and closing punctuation dropped."""
    return unicodedata.normalize("NFKC", text).strip().rstrip("。.!！").casefold()


def pick(text: str, options: Sequence[Sequence[str]]) -> int | None:
    """The index of the option `text` names by its number (from 1) or one of its words."""
    answer = normalized(text)
    for index, words in enumerate(options):
        if answer == str(index + 1) or answer in {normalized(w) for w in words}:
            return index
    return None


def said(text: str, words: Sequence[str]) -> bool:
    """Whether `text` is one of `words` (digits included)."""
    return normalized(text) in {normalized(w) for w in words}


def category_words(category: Category) -> list[str]:
    label = category.label(current_locale())
    return [label, *label.split("/"), category.slug]


async def answer(push: Push, turn: Turn) -> list[str]:
    """The texts that answer `push`; writes go to the caller's unit of work."""
    if isinstance(push, SubscribeEvent | ScanEvent):
        return await scanned(turn, push.scene)
    if isinstance(push, TextMessage):
        text = push.content.strip()
        if found := STATUS.match(text):
            return await status(turn, found.group(1).strip())
        if said(text, MY_TICKETS):
            return await my_tickets(turn)
        if said(text, PRAISE):
            return await begin_praise(turn)
        if normalized(text) in CANCEL:
            return await cancel(turn)
    if isinstance(push, ClickEvent):
        return await clicked(turn, push.event_key)
    step, data = await current_step(turn)
    if isinstance(push, OtherMessage):
        return [texts.unsupported_message()]
    if step is None:
        if not isinstance(push, TextMessage):
            return [texts.welcome_text()] if isinstance(push, ImageMessage) else []
        return await owed(turn, push.content.strip()) or await begin(turn)
    if isinstance(push, ImageMessage):
        if step not in (PHOTOS, PRAISE_PHOTOS):
            return [texts.praise_photo_not_now() if praising(step) else texts.photo_not_now()]
        return await take_photo(turn, step, data, push)
    if isinstance(push, LocationMessage):
        if step != PLACE:
            refused = texts.praise_location_not_now if praising(step) else texts.location_not_now
            return [refused()]
        label = push.label.strip()[:256] or None
        data |= {"latitude": push.latitude, "longitude": push.longitude, "place_text": label}
        return await go(turn, IDENTITY, data)
    if not isinstance(push, TextMessage):
        return []  # other events: nothing to say mid-draft
    return await STEPS[step](turn, data, push.content.strip())


async def owed(turn: Turn, text: str) -> list[str]:
    """Take `text` as a survey rating or a question's answer the follower owes; else []."""
    own = await turn.ws.cases.reporter_tickets(
        reporter_user_id=turn.user_key, offset=0, limit=OWED_SCANNED
    )
    rating = pick(text, rating_words())
    surveyed = next((t for t in own if t.state == TicketState.RESOLVED), None)
    if rating is not None and surveyed is not None:
        rated = await rate(
            turn.ws,
            ticket_id=surveyed.id,
            reporter_user_id=turn.user_key,
            rating=RATINGS[rating],
            comment=None,
        )
        reopened = rated.state == TicketState.REOPENED
        return [texts.rated_text(rated.code, rating, reopened=reopened)]
    if rating is not None and (joined := await rate_joined(turn, rating)):
        return joined
    asked = await open_question(turn, own)
    if asked is None:
        return []
    ticket = await answer_question(
        turn.ws, ticket_id=asked.id, reporter_user_id=turn.user_key, text=text, photo_file_id=None
    )
    return [texts.answer_passed(ticket.code)]


async def rate_joined(turn: Turn, rating: int) -> list[str]:
    """A rating for the newest resolved case the follower joined ('me too'); else []."""
    unrated = await turn.ws.supporters.unrated(reporter_user_id=turn.user_key, channel=WECHAT)
    if not unrated:
        return []
    await rate_as_supporter(
        turn.ws,
        ticket_id=unrated[0],
        reporter_user_id=turn.user_key,
        rating=RATINGS[rating],
        channel=WECHAT,
    )
    return [texts.supporter_rated_text(rating)]


def rating_words() -> list[list[str]]:
    """Each rating's words: its label in the follower's language, Chinese and English."""
    labels = texts.rating_labels()
    return [
        [labels[0], "满意", "satisfied"],
        [labels[1], "基本满意", "fairly satisfied", "fair"],
        [labels[2], "不满意", "unsatisfied"],
    ]


async def open_question(turn: Turn, own: Sequence[TicketView]) -> TicketView | None:
    """The open ticket whose latest question has no answer yet (the newest such question)."""
    latest: tuple[datetime, TicketView] | None = None
    for ticket in own:
        if not is_open(TicketState(ticket.state)):
            continue
        history = await turn.ws.cases.history(ticket_id=ticket.id)  # oldest first
        kinds = [e.kind for e in history if e.kind in ("ask", "answer")]
        if not kinds or kinds[-1] != "ask":
            continue
        asked_at = max(e.at for e in history if e.kind == "ask")
        if latest is None or asked_at > latest[0]:
            latest = (asked_at, ticket)
    return latest[1] if latest else None


async def current_step(turn: Turn) -> tuple[str | None, dict[str, Any]]:
    """The step of the follower's WeChat draft (None: no draft) and its data."""
    state, data = await turn.drafts.get(turn.user_key)
    return (state.removeprefix(PREFIX) if state and state.startswith(PREFIX) else None), data


async def clicked(turn: Turn, key: str) -> list[str]:
    """A menu button: 随手拍 starts (or shows again) the report, the others answer."""
    if key == texts.MENU_MY_TICKETS:
        return await my_tickets(turn)
    if key == texts.MENU_HELP:
        return [texts.help_text()]
    if key != texts.MENU_REPORT:
        return []  # a button of an older menu
    step, data = await current_step(turn)
    return await go(turn, step, data) if step else await begin(turn)


def new_draft() -> dict[str, Any]:
    return {"draft_id": secrets.token_urlsafe(8), "photos": [], "anonymous": True}


async def begin(turn: Turn) -> list[str]:
    return await go(turn, CATEGORY, new_draft())


async def scanned(turn: Turn, scene: str | None) -> list[str]:
    """A follow or a scan. A place's QR code (its scene is a place tag, as a Telegram deep
    link's payload is) starts a report there, or points the unfinished one there."""
    if scene is None:
        return [texts.welcome_text()]
    tag = await turn.ws.directory.get_tag(tag=scene) if SOURCE_TAG_RE.match(scene) else None
    if tag is None:
        return [texts.welcome_text() + "\n\n" + texts.unknown_scene()]
    placed = {"source_tag": tag.tag, "place_text": tag.place_text}
    step, data = await current_step(turn)
    if praising(step):
        return [texts.praise_not_now_scanned()]
    [prompt] = await go(turn, step or CATEGORY, (data if step else new_draft()) | placed)
    about = texts.reporting_about(tag.place_text)
    return [f"{texts.scanned_greeting()}\n{about}\n\n{prompt}"]


async def go(turn: Turn, step: str, data: dict[str, Any]) -> list[str]:
    """Store the draft at `step` and show that step's prompt."""
    await turn.drafts.set(turn.user_key, PREFIX + step, data)
    units = await active_units(turn.ws) if step in (UNIT, PRAISE_UNIT) else []
    shown = listed_units(units, data)
    prompts: dict[str, Callable[[], str]] = {
        CATEGORY: texts.category_prompt,
        UNIT: lambda: texts.unit_prompt([name for _, name in shown], total=len(units)),
        DESCRIBING: texts.describe_prompt,
        PHOTOS: lambda: texts.photos_prompt(len(data["photos"])),
        PLACE: lambda: texts.place_prompt(scanned_place(data)),
        IDENTITY: texts.identity_prompt,
        NAME: texts.name_prompt,
        PHONE: texts.phone_prompt,
        CONFIRM: lambda: texts.preview_text(data),
        MATCHING: lambda: texts.matches_prompt(shown_matches(data)),
        PRAISE_UNIT: lambda: texts.praise_unit_prompt(
            [name for _, name in shown], total=len(units)
        ),
        PRAISE_DESCRIBING: lambda: texts.praise_describe_prompt(data.get("unit_name") or ""),
        PRAISE_PHOTOS: lambda: texts.praise_photos_prompt(len(data["photos"])),
        PRAISE_CONFIRM: lambda: texts.praise_preview(data),
    }
    return [prompts[step]()]


def praising(step: str | None) -> bool:
    """Whether `step` is one of the praise draft's."""
    return step is not None and step.startswith(PRAISING)


async def choose_category(turn: Turn, data: dict[str, Any], text: str) -> list[str]:
    categories = current_categories().offered()
    index = pick(text, [category_words(c) for c in categories])
    if index is None:
        return [texts.unknown_choice(len(categories)) + "\n\n" + texts.category_prompt()]
    chosen = {"category": categories[index].slug, "unit_filter": None}
    return await go(turn, UNIT, without_unit_lists(data) | chosen)


async def choose_unit(turn: Turn, data: dict[str, Any], text: str) -> list[str]:
    """The unit reported: its number in the list shown, its name or part of it, 0 不清楚."""
    if said(text, NOT_SURE):
        return await go(turn, DESCRIBING, data | {"accused_id": None, "accused_name": None})
    unit, answers = await find_unit(turn, data, text, UNIT)
    if unit is None:
        return answers
    chosen = {"accused_id": unit[0], "accused_name": unit[1]}
    return await go(turn, DESCRIBING, data | chosen)


async def find_unit(
    turn: Turn, data: dict[str, Any], text: str, step: str
) -> tuple[Unit | None, list[str]]:
    """The unit `text` names (`(id, name)`, no answers), or None and the answers that keep
    the follower at `step`: a number off the list, a name matching none, or several (the
    list narrows to them)."""
    units = await active_units(turn.ws)
    shown = listed_units(units, data)
    answer = normalized(text)
    if answer.isdigit():
        if not 1 <= int(answer) <= len(shown):
            prompt = (await go(turn, step, data))[0]
            return None, [texts.unknown_choice(len(shown)) + "\n\n" + prompt]
        return shown[int(answer) - 1], []
    matching = named(units, answer)
    if len(matching) == 1:
        return matching[0], []
    if not matching:
        prompt = (await go(turn, step, data))[0]
        return None, [texts.no_unit_matches(text[:40]) + "\n\n" + prompt]
    return None, await go(turn, step, without_unit_lists(data) | {"unit_filter": answer})


def named(units: Sequence[Unit], answer: str) -> list[Unit]:
    """The units named exactly `answer` (normalized), else those whose name holds it."""
    exact = [u for u in units if normalized(u[1]) == answer]
    return exact or [u for u in units if answer in normalized(u[1])]


def listed_units(units: Sequence[Unit], data: Mapping[str, Any]) -> list[Unit]:
    """The units the follower was shown, numbered: the words typed narrow the directory.

    A draft stored by an earlier version keeps the list itself (`unit_shown`, [id, name]
    pairs) rather than the words: it is read as it was, so a number keeps its meaning.
    """
    if "unit_shown" in data:
        return [(int(u[0]), str(u[1])) for u in data.get("unit_shown") or []]
    typed = data.get("unit_filter")
    return (named(units, typed) if typed else list(units))[:UNITS_LISTED]


def without_unit_lists(data: Mapping[str, Any]) -> dict[str, Any]:
    """The draft without the unit lists an earlier version stored in it."""
    return {key: value for key, value in data.items() if key not in ("units", "unit_shown")}


async def describe(
    turn: Turn, data: dict[str, Any], text: str, *, then: str = PHOTOS
) -> list[str]:
    """Keep the description and go on to the photos (a praise's with `then`)."""
    description = validate_description(text)  # too short or long: refused, the step stays
    return await go(turn, then, data | {"description": description})


async def photos_done(
    turn: Turn,
    data: dict[str, Any],
    text: str,
    *,
    prompt: Callable[[int], str] = texts.photos_prompt,
    then: str = PLACE,
) -> list[str]:
    """On "next", leave the photos for `then`; else ask again with `prompt`."""
    if not said(text, NEXT):
        return [texts.not_understood(prompt(len(data["photos"])))]
    return await go(turn, then, data)


async def take_photo(turn: Turn, step: str, data: dict[str, Any], push: ImageMessage) -> list[str]:
    if len(data["photos"]) >= PHOTOS_MAX:
        return [texts.too_many_photos(PHOTOS_MAX)]
    limits = turn.ws.photos.limits
    try:
        content = await turn.media.download_media(push.media_id, max_bytes=limits.max_bytes)
        ref = await turn.ws.photos.store(content, telegram_file_id=None)
    except MediaTooLarge:
        return [rejection_text(ImageRejected(RejectReason.TOO_LARGE))]
    except ImageRejected as error:
        return [rejection_text(error)]
    except (WeChatApiError, aiohttp.ClientError, TimeoutError) as error:
        log.warning("wechat_photo_download_failed", error=type(error).__name__)
        return [texts.photo_download_failed()]
    photos = [*data["photos"], draft_photo(ref)]
    await turn.drafts.set(turn.user_key, PREFIX + step, data | {"photos": photos})
    return [texts.photo_received(len(photos))]


def scanned_place(data: Mapping[str, Any]) -> str | None:
    """The place of the QR code this draft began from, if it did."""
    return data.get("place_text") if data.get("source_tag") else None


async def locate(turn: Turn, data: dict[str, Any], text: str) -> list[str]:
    if said(text, SKIP):
        return await go(turn, IDENTITY, data | {"place_text": scanned_place(data)})
    if not 2 <= len(text) <= 256:
        return [texts.place_length()]
    return await go(turn, IDENTITY, data | {"place_text": text})


async def choose_identity(turn: Turn, data: dict[str, Any], text: str) -> list[str]:
    index = pick(text, [["匿名", "anonymous"], ["实名", "real name"]])
    if index is None:
        return [texts.unknown_choice(2) + "\n\n" + texts.identity_prompt()]
    if index == 0:
        return await go(
            turn, CONFIRM, data | {"anonymous": True, "real_name": None, "phone": None}
        )
    return await go(turn, NAME, data)


async def take_name(turn: Turn, data: dict[str, Any], text: str) -> list[str]:
    if not 2 <= len(text) <= 64:
        return [texts.name_length()]
    return await go(turn, PHONE, data | {"real_name": text})


async def take_phone(turn: Turn, data: dict[str, Any], text: str) -> list[str]:
    phone = unicodedata.normalize("NFKC", text).strip()
    digits = re.sub(r"\D", "", phone)
    if not PHONE_RE.fullmatch(phone) or not 5 <= len(digits) <= 20:
        return [texts.phone_invalid()]
    return await go(turn, CONFIRM, data | {"anonymous": False, "phone": phone[:32]})


async def confirm(turn: Turn, data: dict[str, Any], text: str) -> list[str]:
    index = pick(text, [["确认", "提交", "confirm"], ["cancel"]])
    if index is None:
        return [texts.unknown_choice(2) + "\n\n" + texts.preview_text(data)]
    if index == 1:
        return await cancel(turn)
    matches = await find_matches(
        turn.ws, reporter_user_id=turn.user_key, channel=WECHAT, **match_keys(data)
    )
    if matches:
        shown = [[m.ticket_id, m.category, m.state, m.place, m.by_photo] for m in matches]
        return await go(turn, MATCHING, data | {"matches": shown})
    return await file_report(turn, data)


async def file_report(turn: Turn, data: dict[str, Any]) -> list[str]:
    settings = turn.settings
    draft = draft_value(turn, data)
    submission = await submit_report(turn.ws, draft, per_hour=settings.reports_per_hour)
    await turn.drafts.clear(turn.user_key)  # the ticket and the draft's end commit together
    return [texts.submitted_text(submission.ticket, settings.tz)]


def shown_matches(data: Mapping[str, Any]) -> list[Match]:
    """The matches the follower was shown, as the draft keeps them (JSON-safe lists)."""
    return [
        Match(ticket_id=t, category=c, state=s, place=p, by_photo=b)
        for t, c, s, p, b in data.get("matches") or []
    ]


async def choose_match(turn: Turn, data: dict[str, Any], text: str) -> list[str]:
    """我也遇到了: a match's number joins it and ends the draft; 确认 files the draft anyway."""
    if said(text, CONFIRM_WORDS):
        return await file_report(turn, data)
    shown = shown_matches(data)
    answer = normalized(text)
    if not (answer.isdigit() and 1 <= int(answer) <= len(shown)):
        return [texts.unknown_choice(len(shown)) + "\n\n" + texts.matches_prompt(shown)]
    # The domain checks the match again: a ticket since closed is refused, the step stays.
    match = await join(
        turn.ws,
        ticket_id=shown[int(answer) - 1].ticket_id,
        reporter_user_id=turn.user_key,
        channel=WECHAT,
        language=turn.language,
        address=turn.open_id,
        **match_keys(data),
    )
    await turn.drafts.clear(turn.user_key)  # the supporter row and the draft's end together
    await turn.ws.drafts.release_photos(data)
    return [texts.joined_text(match.category)]


def draft_value(turn: Turn, data: dict[str, Any]) -> NewReport:
    """The draft as the domain files it: the same value as Telegram's, on channel `wechat`."""
    value = telegram_draft(data, turn.user_key, turn.language)
    return NewReport(
        **{
            **vars(value),
            "submit_key": f"wechat:{turn.user_key}:{data['draft_id']}",
            "channel": "wechat",
            "reporter_address": turn.open_id,
        }
    )


async def cancel(turn: Turn) -> list[str]:
    state, data = await turn.drafts.get(turn.user_key)
    if state is None:
        return [texts.nothing_to_cancel()]
    await turn.drafts.clear(turn.user_key)
    await turn.ws.drafts.release_photos(data)
    if praising(state.removeprefix(PREFIX)):
        return [texts.praise_cancelled_text()]
    return [texts.cancelled_text()]


# -- praise (表扬) -------------------------------------------------------------------------------


async def begin_praise(turn: Turn) -> list[str]:
    """A fresh praise draft; a report in progress is kept, and said so."""
    step, data = await current_step(turn)
    if step is not None and not praising(step):
        return [texts.praise_not_now()]
    await turn.ws.drafts.release_photos(data)  # an unfinished praise's photos
    fresh = {"draft_id": secrets.token_urlsafe(8), "photos": []}
    return await go(turn, PRAISE_UNIT, fresh)


async def choose_praised(turn: Turn, data: dict[str, Any], text: str) -> list[str]:
    unit, answers = await find_unit(turn, data, text, PRAISE_UNIT)
    if unit is None:
        return answers
    return await go(turn, PRAISE_DESCRIBING, data | {"unit_id": unit[0], "unit_name": unit[1]})


async def confirm_praise(turn: Turn, data: dict[str, Any], text: str) -> list[str]:
    """Store it; the praise, its notice and the end of the draft commit together, or none."""
    index = pick(text, [CONFIRM_WORDS, ["cancel"]])
    if index is None:
        return [texts.unknown_choice(2) + "\n\n" + texts.praise_preview(data)]
    if index == 1:
        return await cancel(turn)
    draft = praise_value(turn, data)
    submission = await submit_praise(turn.ws, draft, per_hour=turn.settings.reports_per_hour)
    await turn.drafts.clear(turn.user_key)
    return [texts.praise_thanks(submission.praise)]


def praise_value(turn: Turn, data: dict[str, Any]) -> NewPraise:
    """The praise as the domain stores it: the same value as Telegram's, on channel `wechat`."""
    value = telegram_praise(data, turn.user_key, turn.language)
    return NewPraise(
        **{
            **vars(value),
            "submit_key": f"wechat:{turn.user_key}:praise:{data['draft_id']}",
            "channel": WECHAT,
            "reporter_address": turn.open_id,
        }
    )


async def status(turn: Turn, argument: str) -> list[str]:
    """A ticket's status by its code, as plain text; without a code, the follower's own."""
    if not argument:
        own = await turn.ws.cases.reporter_tickets(
            reporter_user_id=turn.user_key, offset=0, limit=OWN_TICKETS_SHOWN
        )
        lines = [f"{t.code} · {state_label(t.state)}" for t in own]
        return ["\n".join([texts.status_usage(), *lines])]
    reading = read_code(argument)
    if reading.code is None:
        return [code_problem_text(reading)]
    ticket = await turn.ws.cases.ticket_status(code=reading.code)
    if ticket is None:
        return [texts.no_such_code()]
    return [status_text(ticket, turn.settings.tz, PLAIN)]


async def my_tickets(turn: Turn) -> list[str]:
    """`我的举报`: the follower's own tickets with their state, like Telegram's /mytickets."""
    own = await turn.ws.cases.reporter_tickets(
        reporter_user_id=turn.user_key, offset=0, limit=MY_TICKETS_SHOWN
    )
    return [texts.own_tickets_text(own, turn.settings.tz)]


# What a typed answer does at each step of a draft.
STEPS: dict[str, Callable[[Turn, dict[str, Any], str], Awaitable[list[str]]]] = {
    CATEGORY: choose_category,
    UNIT: choose_unit,
    DESCRIBING: describe,
    PHOTOS: photos_done,
    PLACE: locate,
    IDENTITY: choose_identity,
    NAME: take_name,
    PHONE: take_phone,
    CONFIRM: confirm,
    MATCHING: choose_match,
    PRAISE_UNIT: choose_praised,
    PRAISE_DESCRIBING: partial(describe, then=PRAISE_PHOTOS),
    PRAISE_PHOTOS: partial(photos_done, prompt=texts.praise_photos_prompt, then=PRAISE_CONFIRM),
    PRAISE_CONFIRM: confirm_praise,
}
