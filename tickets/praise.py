"""Praise (表扬): a citizen thanks a unit for good service. Counted, never handled.

A praise is not a ticket: no tracking code, no state, no deadlines, no follow-ups, no card
and no survey. It names the unit praised, says what was good (validated like a report's
description), may carry photos, and is stored with a reference to its sender's reporter
row (whose channel id is encrypted at rest, like every reporter's), never the id itself.
The praised unit's chats hear of it through the outbox, without any word of who sent it;
`/stats`, the ranking and the export count praises per unit.

Submission is one transaction (the praise, its photos, the notice) and idempotent on the
draft's `submit_key`: Confirm pressed twice files one praise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from tickets.errors import RateLimited, ValidationError
from tickets.reports import PHOTOS_MAX, validate_description
from tickets.text import clean_text
from tickets.views import NewPraise, PraiseView

if TYPE_CHECKING:  # the ports module imports this one
    from tickets.ports import UpdateWorkspace


@dataclass(frozen=True)
class PraiseSubmission:
    praise: PraiseView
    created: bool


async def submit_praise(
    ws: UpdateWorkspace, draft: NewPraise, *, per_hour: int
) -> PraiseSubmission:
    """Store `draft` as a praise of its unit and tell the unit; refused whole, never half-stored.

    The unit must be in the directory and active, the description 5–2000 characters, at
    most `PHOTOS_MAX` photos, and at most `per_hour` praises an hour per sender.
    """
    existing = await ws.praises.get_by_submit_key(submit_key=draft.submit_key)
    if existing is not None:
        return PraiseSubmission(praise=existing, created=False)
    draft = dataclasses.replace(draft, description=clean_text(draft.description))
    validate_description(draft.description)
    if len(draft.photos) > PHOTOS_MAX:
        raise ValidationError("too_many_photos", maximum=PHOTOS_MAX)
    unit = (
        await ws.directory.get_department(department_id=draft.department_id)
        if draft.department_id is not None
        else None
    )
    if unit is None or unit.archived:
        raise ValidationError("unknown_unit")
    now = ws.clock.now()
    recent = await ws.praises.count_since(
        reporter_user_id=draft.reporter_user_id,
        channel=draft.channel,
        since=now - timedelta(hours=1),
    )
    if recent >= per_hour:
        raise RateLimited("praises_per_hour", limit=per_hour)
    praise = await ws.praises.add(draft=draft, department_id=unit.id, now=now)
    await ws.notifier.praise_received(praise)
    return PraiseSubmission(praise=praise, created=True)
