"""A value read from the database that each process keeps a copy of.

Some tables change only when an administrator edits them (the console's holidays, the
categories) but are read by every unit of work. A `ReplicaCopy` keeps this process's copy,
reads it again when a unit of work starts and the copy is older than `max_age`, and right
after this process commits a change to it (`forget_after_commit`). Another replica sees a
change within `max_age` (its per-replica scheduler job reloads too, so a quiet replica
converges as well).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.db import SessionFactory
from tickets.clock import Clock

MAX_AGE = timedelta(minutes=1)

T = TypeVar("T")


class ReplicaCopy(Generic[T]):
    """This process's copy of a value; subclasses say how it is read (`load`)."""

    def __init__(self, initial: T, *, clock: Clock, max_age: timedelta = MAX_AGE) -> None:
        self.current = initial
        self._clock = clock
        self._max_age = max_age
        self._loaded_at: datetime | None = None
        self._changes = 0  # commits of changes seen by this process

    async def load(self, session: AsyncSession) -> T:
        raise NotImplementedError

    async def fresh(self, session: AsyncSession) -> T:
        """The value, read again on `session` first if this copy is stale."""
        now = self._clock.now()
        loaded = self._loaded_at
        if loaded is None or not loaded <= now < loaded + self._max_age:
            changes = self._changes
            self.current = await self.load(session)
            # A change committed while this read ran may be missing from it: read again next.
            self._loaded_at = now if changes == self._changes else None
        return self.current

    async def refresh(self, sessions: SessionFactory) -> T:
        """Read again if stale, on a session of its own (the per-replica scheduler job)."""
        async with sessions() as session:
            return await self.fresh(session)

    def forget(self) -> None:
        """Read again at the next unit of work."""
        self._changes += 1
        self._loaded_at = None

    def forget_after_commit(self, session: AsyncSession) -> None:
        """Read again once `session` commits: reading earlier could keep the old value."""
        event.listen(session.sync_session, "after_commit", self._committed, once=True)

    def _committed(self, _session: Session) -> None:
        self.forget()
