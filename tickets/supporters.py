"""'Me too' (我也遇到了): a citizen joins an open ticket like theirs instead of filing again.

Before a draft is filed, `find_matches` looks for open tickets it resembles: a photo whose
perceptual hash is within `PHASH_DISTANCE` bits of the draft's, on a ticket filed in the
last `PHOTO_WINDOW` (30 days), or the same registered place tag and category within
`PLACE_WINDOW` (7 days). The reporter's own tickets, and those they already joined, are
never offered. Open means still being worked on: new, accepted, in progress or reopened —
a resolved ticket has already sent its reply, so a supporter joining it would hear nothing.

`join` makes the citizen a supporter: no ticket is filed, nothing of the draft is kept.
A supporter hears the same updates, the official reply and a survey of their own; their
rating is recorded beside the ticket, but only the original reporter's 不满意 reopens it
(one voice decides the ticket's fate, the others are counted). The tracking code stays the
original reporter's key: a supporter is never told it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from tickets.errors import Conflict, Forbidden, NotFound, ValidationError
from tickets.states import OPEN_STATES

if TYPE_CHECKING:
    from tickets.ports import UpdateWorkspace
    from tickets.views import TicketView

PHASH_DISTANCE = 6
"""Hamming distance between perceptual hashes at or below which two photos look alike."""
PHOTO_WINDOW = timedelta(days=30)
PLACE_WINDOW = timedelta(days=7)
MATCHES_SHOWN = 3
# Candidates read per lookup: the newest open tickets of the window, enough for a county.
CANDIDATES_MAX = 500
RATINGS = ("satisfied", "fair", "unsatisfied")
# A supporter's events name them as such, never as "the reporter", and never by id.
SUPPORTER_ACTOR = "supporter"


def phash_distance(a_hex: str, b_hex: str) -> int:
    """Count the bits in which two perceptual hashes differ."""
    if len(a_hex) != len(b_hex):
        raise ValueError("perceptual hashes of different lengths")
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()


def looks_alike(a_hex: str, b_hex: str) -> bool:
    """Tell whether two photos are probably the same scene."""
    return len(a_hex) == len(b_hex) and phash_distance(a_hex, b_hex) <= PHASH_DISTANCE


@dataclass(frozen=True)
class Candidate:
    """An open ticket of the window as matching sees it: never its reporter or words."""

    ticket_id: int
    category: str
    state: str
    created_at: datetime
    source_tag: str | None = None
    phashes: tuple[str, ...] = ()
    # The asking citizen filed it, or has already joined it.
    own: bool = False


@dataclass(frozen=True)
class Match:
    """A ticket offered to 'me too': what the citizen may see of it."""

    ticket_id: int
    category: str
    state: str
    # The registered place tag's place name; never the text a reporter typed.
    place: str | None
    by_photo: bool


@dataclass(frozen=True)
class MergeRecord:
    """A merge as its event recorded it: where from, into what, who was added there."""

    from_state: str
    target_id: int
    supporter_ids: tuple[int, ...]


class SupporterStore(Protocol):
    """Supporters of tickets and the candidates a draft may join."""

    async def candidates(
        self,
        *,
        reporter_user_id: int,
        channel: str,
        since: datetime,
        states: Sequence[str],
        limit: int,
    ) -> list[Candidate]:
        """Tickets in `states` filed since `since`, newest first, with their photos' hashes."""
        ...

    async def add(
        self,
        *,
        ticket_id: int,
        reporter_user_id: int,
        channel: str,
        now: datetime,
        language: str | None = None,
        address: str | None = None,
    ) -> bool:
        """Make the person a supporter (notices in `language`, sent to `address` when the
        channel addresses people by it, a WeChat OpenID); False if they already were."""
        ...

    async def count(self, *, ticket_id: int) -> int: ...

    async def people(self, *, ticket_id: int) -> list[int]:
        """The reporter rows of the citizens a ticket speaks for: its reporter (none for
        one staff registered) and its supporters, in that order."""
        ...

    async def add_people(
        self, *, ticket_id: int, reporter_ids: Sequence[int], now: datetime
    ) -> list[int]:
        """Make those reporter rows supporters of the ticket; the new supporter rows' ids."""
        ...

    async def remove(self, *, ticket_id: int, supporter_ids: Sequence[int]) -> int:
        """Delete those supporter rows of the ticket; how many there were."""
        ...

    async def last_merge(self, *, ticket_id: int) -> MergeRecord | None:
        """What the ticket's latest merge did, from its event; None if never merged."""
        ...

    async def joined(self, *, reporter_user_id: int, channel: str, limit: int) -> list[int]:
        """The tickets the person joined as a supporter, newest joined first."""
        ...

    async def is_supporter(
        self, *, ticket_id: int, reporter_user_id: int, channel: str
    ) -> bool: ...

    async def unrated(self, *, reporter_user_id: int, channel: str) -> list[int]:
        """The resolved tickets the person supports and has not rated yet, newest first."""
        ...

    async def record_rating(
        self, *, ticket_id: int, reporter_user_id: int, channel: str, rating: str, now: datetime
    ) -> bool | None:
        """Store the supporter's rating: None if not a supporter, False if already rated."""
        ...


def similar(
    candidates: Sequence[Candidate],
    *,
    phashes: Sequence[str],
    category: str,
    source_tag: str | None,
    now: datetime,
    limit: int = MATCHES_SHOWN,
) -> list[Candidate]:
    """The candidates a draft resembles, photo matches first, each newest first."""
    by_photo, by_place = [], []
    for candidate in candidates:
        if candidate.own or candidate.state not in OPEN_STATES:
            continue
        age = now - candidate.created_at
        if age <= PHOTO_WINDOW and any(
            looks_alike(mine, theirs) for mine in phashes for theirs in candidate.phashes
        ):
            by_photo.append(candidate)
        elif (
            source_tag
            and age <= PLACE_WINDOW
            and candidate.source_tag == source_tag
            and candidate.category == category
        ):
            by_place.append(candidate)
    newest_first = sorted(by_photo, key=_age, reverse=True) + sorted(
        by_place, key=_age, reverse=True
    )
    return newest_first[:limit]


def _age(candidate: Candidate) -> tuple[datetime, int]:
    return (candidate.created_at, candidate.ticket_id)


async def find_matches(
    ws: UpdateWorkspace,
    *,
    reporter_user_id: int,
    phashes: Sequence[str],
    category: str,
    source_tag: str | None,
    channel: str = "telegram",
) -> list[Match]:
    """Open tickets like the draft, as the citizen may see them (at most `MATCHES_SHOWN`)."""
    now = ws.clock.now()
    candidates = await ws.supporters.candidates(
        reporter_user_id=reporter_user_id,
        channel=channel,
        since=now - max(PHOTO_WINDOW, PLACE_WINDOW),
        states=sorted(str(s) for s in OPEN_STATES),
        limit=CANDIDATES_MAX,
    )
    found = similar(
        candidates,
        phashes=[p for p in phashes if p],
        category=category,
        source_tag=source_tag,
        now=now,
    )
    matches = []
    for candidate in found:
        tag = (
            await ws.directory.get_tag(tag=candidate.source_tag) if candidate.source_tag else None
        )
        matches.append(
            Match(
                ticket_id=candidate.ticket_id,
                category=candidate.category,
                state=candidate.state,
                place=tag.place_text if tag else None,
                by_photo=any(
                    looks_alike(mine, theirs) for mine in phashes for theirs in candidate.phashes
                ),
            )
        )
    return matches


async def join(
    ws: UpdateWorkspace,
    *,
    ticket_id: int,
    reporter_user_id: int,
    phashes: Sequence[str],
    category: str,
    source_tag: str | None,
    channel: str = "telegram",
    language: str | None = None,
    address: str | None = None,
) -> Match:
    """Make the citizen a supporter of a ticket their draft matches; nothing else is kept.

    The match is checked again, so a forged or stale button (a closed ticket, one the draft
    does not resemble, the citizen's own) is refused and nothing is stored.
    """
    matches = await find_matches(
        ws,
        reporter_user_id=reporter_user_id,
        phashes=phashes,
        category=category,
        source_tag=source_tag,
        channel=channel,
    )
    match = next((m for m in matches if m.ticket_id == ticket_id), None)
    if match is None:
        raise Conflict("not_joinable")
    now = ws.clock.now()
    if await ws.supporters.add(
        ticket_id=ticket_id,
        reporter_user_id=reporter_user_id,
        channel=channel,
        now=now,
        language=language,
        address=address,
    ):
        await ws.tickets.add_event(
            ticket_id=ticket_id,
            at=now,
            actor_kind=SUPPORTER_ACTOR,
            actor_id=None,
            kind="supporter_joined",
            payload={"by": "photo" if match.by_photo else "place"},
        )
    return match


async def rate_as_supporter(
    ws: UpdateWorkspace,
    *,
    ticket_id: int,
    reporter_user_id: int,
    rating: str,
    channel: str = "telegram",
) -> None:
    """Record a supporter's survey answer; the ticket's state is the original reporter's."""
    if rating not in RATINGS:
        raise ValidationError("rating")
    ticket = await ws.tickets.get(ticket_id=ticket_id)
    if ticket is None:
        raise NotFound("ticket_not_found")
    if ticket.resolved_at is None:
        raise Conflict("not_resolved")
    recorded = await ws.supporters.record_rating(
        ticket_id=ticket_id,
        reporter_user_id=reporter_user_id,
        channel=channel,
        rating=rating,
        now=ws.clock.now(),
    )
    if recorded is None:
        raise Forbidden()
    if not recorded:
        raise Conflict("survey_answered")
    await ws.tickets.add_event(
        ticket_id=ticket_id,
        at=ws.clock.now(),
        actor_kind=SUPPORTER_ACTOR,
        actor_id=None,
        kind="supporter_rated",
        payload={"rating": rating},
    )


async def joined_tickets(
    ws: UpdateWorkspace, *, reporter_user_id: int, limit: int, channel: str = "telegram"
) -> list[TicketView]:
    """The tickets the citizen joined (with 'me too', or by a staff merge), newest first."""
    ids = await ws.supporters.joined(
        reporter_user_id=reporter_user_id, channel=channel, limit=limit
    )
    found = [await ws.tickets.get(ticket_id=ticket_id) for ticket_id in ids]
    return [ticket for ticket in found if ticket is not None]


async def joined_ticket(
    ws: UpdateWorkspace, *, ticket_id: int, reporter_user_id: int, channel: str = "telegram"
) -> TicketView:
    """A ticket the citizen joined, for its status; anyone else is refused."""
    ticket = await ws.tickets.get(ticket_id=ticket_id)
    if ticket is None or not await ws.supporters.is_supporter(
        ticket_id=ticket_id, reporter_user_id=reporter_user_id, channel=channel
    ):
        raise Forbidden()
    return ticket
