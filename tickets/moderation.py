"""Moderation of a publication: redacted passages and hidden photos, kept apart from the
originals.

Before a closed ticket goes to the transparency channel an administrator may redact
passages of its public text (the official reply and the registered place) and hide photos
of the set they publish. Each such step is a `Moderation` record with its reason; the
ticket's reply, place and photos are never changed, and a record can be reverted (it then
stays, with who reverted it and when). What gets published is the original with the
active records applied: every occurrence of a redacted passage becomes `REDACTED`
(overlapping and touching occurrences become one mark), and hidden photos are left out.
The use cases that write these records are in `tickets.publishing`, beside the checks
they share with publishing.

Moderation is the administrators' business: a department member reading the ticket's
history or an export learns that a step was taken, by the supervision office, never its
reason nor who took it (`as_members_see`); administrators and the audit log keep both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, overload

from tickets.errors import ValidationError
from tickets.records import EventRecord
from tickets.views import HistoryEntry

if TYPE_CHECKING:  # `tickets.publishing` imports this module
    from tickets.publishing import PublicSummary

REDACTED = "[…]"
REASON_MAX = 500
# The ticket events that put moderation in the audit log (`TicketEvent.kind`, ≤ 32).
REDACT_EVENT = "moderation_redact"
HIDE_EVENT = "moderation_hide"
REVERT_EVENT = "moderation_revert"
MODERATION_EVENTS = (REDACT_EVENT, HIDE_EVENT, REVERT_EVENT)
# Who a moderation step is by, as department members read it (`TicketEvent.actor_kind`).
OFFICE_ACTOR = "office"


class ModerationKind(StrEnum):
    REDACT = "redact"  # `target` is the passage, exactly as typed
    HIDE = "hide"  # `target` is the photo's key (`PublicPhoto.key`)


@dataclass(frozen=True)
class PublicPhoto:
    """One photo of a set that may be published: a stable key and the channel's file id.

    The key names the photo without its file id: `evidence:<id>` for the report's own
    photos, `result:<n>` for the n-th photo of the department's latest reply.
    """

    key: str
    file_id: str


@dataclass(frozen=True)
class Moderation:
    """One redaction or hidden photo; `actor` and `reverted_by` are log pseudonyms."""

    id: int
    ticket_id: int
    kind: ModerationKind
    target: str
    reason: str
    actor: str
    at: datetime
    reverted_at: datetime | None = None
    reverted_by: str | None = None

    @property
    def active(self) -> bool:
        return self.reverted_at is None


def clean_reason(reason: str) -> str:
    """The reason on one line; refuse an empty one (blank, or only punctuation: a chat
    cannot send a blank message, "-" is its empty answer) or an overlong one."""
    cleaned = " ".join(reason.split())
    if not any(character.isalnum() for character in cleaned):
        raise ValidationError("moderation_reason_required")
    if len(cleaned) > REASON_MAX:
        raise ValidationError("moderation_reason_too_long", maximum=REASON_MAX)
    return cleaned


def spans_of(text: str, passage: str) -> list[tuple[int, int]]:
    """Every occurrence of `passage` in `text` as (start, end), overlapping ones included."""
    if not passage:
        return []
    spans = []
    start = text.find(passage)
    while start != -1:
        spans.append((start, start + len(passage)))
        start = text.find(passage, start + 1)
    return spans


def redact(text: str, passages: Iterable[str]) -> str:
    """`text` with every occurrence of each passage replaced by one `REDACTED` mark.

    Occurrences that overlap or touch merge into one mark, so neither the number nor the
    length of what was hidden shows.
    """
    spans = sorted(span for passage in set(passages) for span in spans_of(text, passage))
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, cursor = [], 0
    for start, end in merged:
        parts += [text[cursor:start], REDACTED]
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def redactable(summary: PublicSummary) -> tuple[str, ...]:
    """The free text of a summary that a passage may be redacted from."""
    return tuple(text for text in (summary.reply, summary.place) if text)


def passage_found(summary: PublicSummary, passage: str) -> bool:
    return bool(passage.strip()) and any(passage in text for text in redactable(summary))


def moderated(summary: PublicSummary, moderations: Sequence[Moderation]) -> PublicSummary:
    """The summary as it will be published: the active redactions applied."""
    passages = [m.target for m in moderations if m.active and m.kind is ModerationKind.REDACT]
    if not passages:
        return summary
    return dataclasses.replace(
        summary,
        reply=redact(summary.reply, passages) if summary.reply else summary.reply,
        place=redact(summary.place, passages) if summary.place else summary.place,
    )


def visible(photos: Sequence[PublicPhoto], moderations: Sequence[Moderation]) -> list[str]:
    """The file ids of `photos` that no active record hides, in order."""
    hidden = {m.target for m in moderations if m.active and m.kind is ModerationKind.HIDE}
    return [photo.file_id for photo in photos if photo.key not in hidden]


@overload
def as_members_see(entry: HistoryEntry) -> HistoryEntry: ...
@overload
def as_members_see(entry: EventRecord) -> EventRecord: ...
def as_members_see(entry: HistoryEntry | EventRecord) -> HistoryEntry | EventRecord:
    """A ticket event as a department member may read it: a moderation step is by the
    supervision office, without its reason (the event's text) or who took it."""
    if entry.kind not in MODERATION_EVENTS:
        return entry
    if isinstance(entry, HistoryEntry):
        return dataclasses.replace(entry, actor_kind=OFFICE_ACTOR, actor_name=None, text=None)
    return dataclasses.replace(entry, actor_kind=OFFICE_ACTOR, text=None)
