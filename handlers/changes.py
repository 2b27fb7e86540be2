"""The chat's configuration commands record what they changed, as the console does."""

from __future__ import annotations

from config.logs import user_hash
from tickets.actors import Actor
from tickets.changes import Change, record_change
from tickets.ports import UpdateWorkspace


async def audited(ws: UpdateWorkspace, actor: Actor, change: Change, detail: str) -> None:
    """Record one configuration change, in the update's unit of work."""
    await record_change(
        ws.security,
        actor_hash=user_hash(actor.user_id),
        change=change,
        detail=detail,
        at=ws.clock.now(),
    )
