"""Wake-ups for long polls: a waiter sleeps until something changes or its time runs out.

getUpdates, the control API's "next bot action" poll and the wait for a callback answer all
follow the same pattern: check, and if nothing is there yet, sleep on a `Signal` that the
writer fires. Checking and sleeping happen without an `await` between them, so no wake-up is
lost in the single-threaded event loop.
"""

from __future__ import annotations

import asyncio
import contextlib


class Signal:
    """Wakes everyone waiting now; later waiters wait for the next fire."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Sleep until the next fire or for `seconds`, whichever comes first."""
        if seconds <= 0:
            return
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
