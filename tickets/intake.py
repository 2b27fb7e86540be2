"""The use case for reports staff register for others (`/new`).

Reports received by other means — the 12345 hotline, a phone call, a letter, an
e-mail, the suggestion box (意见箱), an inspector's undercover visit (暗访), someone at the
counter — are typed in by a staff member with `/new` and land in the same queue: the same
routing, deadlines, cards and statistics. Such a ticket has no citizen chat behind it: it
is filed on the `OFFICE` channel, under a reporter row of the registering staff member's
own (apart from any reports they file as a citizen), who is told to pass the reply on to
the contact recorded with it, if one was given.
"""

from __future__ import annotations

import dataclasses

from tickets.actors import Actor
from tickets.errors import Forbidden, ValidationError
from tickets.ports import Workspace
from tickets.reports import submit_report, validate_description
from tickets.sources import OFFICE, clean_reply_contact, parse_staff_source
from tickets.views import NewReport, Submission


async def register_report(ws: Workspace, actor: Actor, draft: NewReport) -> Submission:
    """File a report staff received by another channel; refused whole, never half-stored.

    Only staff may, the source must be one of `STAFF_SOURCES` and the description is
    required (a clear refusal when it is empty). Deadlines, routing and alerts are those of
    every report: this is `submit_report` with the draft put on the office channel.
    """
    if not actor.is_staff:
        raise Forbidden("not_staff")
    if parse_staff_source(draft.intake_source) is None:
        raise ValidationError("unknown_source", source=draft.intake_source or "")
    validate_description(draft.description)
    office_draft = dataclasses.replace(
        draft,
        reporter_user_id=actor.user_id,
        channel=OFFICE,
        reporter_address=None,
        anonymous=True,
        real_name=None,
        phone=None,
        reply_contact=clean_reply_contact(draft.reply_contact),
    )
    return await submit_report(ws, office_draft, per_hour=0)
