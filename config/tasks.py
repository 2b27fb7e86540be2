"""Ending background tasks for sure: every layer's `stop()` uses `end_task`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import structlog

log = structlog.get_logger(__name__)

# Seconds between cancellations, and how many rounds before giving up loudly.
CANCEL_EVERY = 1.0
CANCEL_ROUNDS = 30


class TaskIgnoresCancel(RuntimeError):
    """A task went on running through every cancellation: a loop that swallows them."""


async def end_task(task: asyncio.Task[Any]) -> BaseException | None:
    """Cancel `task`, wait until it has ended and return what it raised (None if nothing).

    A single cancel can be lost: a library may turn it into its own error (a rollback on a
    connection busy with the cancelled query, a timer firing at the same moment) and a
    retry loop then carries on, so a plain `cancel(); await task` can wait for ever. Cancel
    again every `CANCEL_EVERY` seconds; if the task never ends, say which one.
    Cancelling the caller still cancels the caller: nothing here suppresses it.
    """
    for round_ in range(CANCEL_ROUNDS):
        if task.done():
            break
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_EVERY)
        if not task.done():
            log.warning("task_ignored_cancel", task=task.get_name(), round=round_ + 1)
    if not task.done():
        raise TaskIgnoresCancel(f"task {task.get_name()!r} ignored {CANCEL_ROUNDS} cancels")
    return None if task.cancelled() else task.exception()


async def end_tasks(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """`end_task` for several tasks at once (what they raised is theirs to report)."""
    await asyncio.gather(*(end_task(task) for task in list(tasks)))
