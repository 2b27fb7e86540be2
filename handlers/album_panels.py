"""The album panel's refreshes: one per chat at a time, owned by the running application.

Telegram delivers an album as one update per photo, so the draft's panel is refreshed once
the album has settled (no new photo for `settle_seconds`), not once per photo. A new photo
restarts only a refresh that is still waiting; a refresh already talking to Telegram
(deleting the old panel, sending the new one) is never cancelled half-way, and the next
one waits for it on the chat's lock. Cancelling mid-way is what used to delete the same
panel twice: the cancelled refresh had asked Telegram to delete it, the next one read the
same panel id and asked again.

"Settled" is judged by handling, not arrival: on a busy machine the album's fourth photo
can still be waiting in the user's lane a second after the third was handled. A refresh
whose time has come waits while `busy(chat_id)` says the chat's updates are still being
handled (at most `max_wait` seconds, so a chatty user cannot starve the panel); the next
photo's handler then restarts it, and the album gets one panel, not two.

The composition root creates one `AlbumPanels`, hands it to handlers as workflow data and
closes it at shut-down; what a refresh needs after a restart lives in the draft's FSM data
(see `handlers.reporter`), not in these tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from config.tasks import end_tasks
from outbox.ratelimit import ChatLocks

log = structlog.get_logger(__name__)

Refresh = Callable[[], Awaitable[None]]
Busy = Callable[[int], bool]
# How often a due refresh looks again whether the chat's updates are still being handled.
BUSY_POLL_SECONDS = 0.05


class AlbumPanels:
    """Debounced, per-chat serialised panel refreshes with the application's lifetime."""

    def __init__(
        self,
        *,
        settle_seconds: float = 1.0,
        busy: Busy = lambda chat_id: False,
        max_wait: float = 10.0,
    ) -> None:
        self.settle_seconds = settle_seconds
        self.busy = busy
        self.max_wait = max_wait
        self._waiting: dict[int, asyncio.Task[None]] = {}
        self._locks = ChatLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def schedule(self, chat_id: int, refresh: Refresh, *, delay: float | None = None) -> None:
        """Refresh `chat_id`'s panel once no new photo came for `delay` (the settle time)."""
        if self._closed:
            return
        waiting = self._waiting.pop(chat_id, None)
        if waiting is not None:
            waiting.cancel()  # still asleep: it has not touched Telegram yet
        wait = self.settle_seconds if delay is None else delay
        task = asyncio.create_task(
            self._settle(chat_id, refresh, wait), name=f"album-panel-{chat_id}"
        )
        self._waiting[chat_id] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, chat_id: int, refresh: Refresh) -> None:
        """Refresh now, after any refresh of the same chat in flight."""
        async with self._locks.hold(chat_id):
            await refresh()

    def pending(self, chat_id: int) -> bool:
        """Whether a refresh of `chat_id` is still waiting for its album to settle."""
        return chat_id in self._waiting

    async def wait_idle(self) -> None:
        """Wait until every scheduled refresh has run (tests; a graceful drain)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel every refresh (the drafts remember theirs) and wait for them to end."""
        self._closed = True
        await end_tasks(self._tasks)
        self._waiting.clear()

    async def _settle(self, chat_id: int, refresh: Refresh, delay: float) -> None:
        await asyncio.sleep(delay)
        waited = 0.0
        while self.busy(chat_id) and waited < self.max_wait:
            await asyncio.sleep(BUSY_POLL_SECONDS)  # still cancellable: nothing sent yet
            waited += BUSY_POLL_SECONDS
        if self._waiting.get(chat_id) is asyncio.current_task():
            del self._waiting[chat_id]
        try:
            await self.run(chat_id, refresh)
        except Exception:
            # A background task has nobody to raise to: log it, the draft keeps its flag.
            log.exception("album_panel_failed")
