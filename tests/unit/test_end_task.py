"""`end_task` ends a task even when the task swallows a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from config import tasks
from config.tasks import TaskIgnoresCancel, end_task


class LostCancel(Exception):
    """What a library raises instead of CancelledError (e.g. a rollback on a busy line)."""


async def retry_loop_losing_one_cancel(lost: list[int]) -> None:
    """Retries on its own error, as the receive loop does on storage errors."""
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if not lost:
                lost.append(1)
                continue  # the first cancel turned into a retry
            raise


async def test_a_swallowed_cancel_is_repeated_until_the_task_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tasks, "CANCEL_EVERY", 0.01)
    lost: list[int] = []
    task = asyncio.create_task(retry_loop_losing_one_cancel(lost))
    await asyncio.sleep(0)
    assert await end_task(task) is None
    assert task.cancelled() and lost == [1]


async def test_what_the_task_raised_is_returned() -> None:
    async def fails() -> None:
        raise LostCancel("boom")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    error = await end_task(task)
    assert isinstance(error, LostCancel)


async def test_a_task_that_never_ends_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "CANCEL_EVERY", 0.001)
    monkeypatch.setattr(tasks, "CANCEL_ROUNDS", 3)

    giving_up = asyncio.Event()

    async def stubborn() -> None:
        while not giving_up.is_set():
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    with pytest.raises(TaskIgnoresCancel, match="stubborn"):
        await end_task(task)
    giving_up.set()  # let the test's loop close
    task.cancel()
    await asyncio.wait({task})
