"""Turn a hung test into a prompt failure that shows where it waits, instead of a CI timeout.

A test can hang in two ways:
- awaiting something that never comes (the event loop still runs): a task in the test's
  loop wakes after `TEST_LIMIT`, prints every task's whole await chain and cancels the
  test, so the run goes on and the failure says where each task was waiting (thread
  stacks would show only the loop waiting in `select`);
- blocked in synchronous code (the loop is stuck, nothing in it can run): pytest-timeout
  (`timeout` in pyproject.toml, well above `TEST_LIMIT`) prints every thread's stack and
  ends the process.
"""

from __future__ import annotations

import asyncio
import sys
from types import CodeType
from typing import Any, TextIO

# No test comes near this (the SIGKILL crash tests take about 70 s) but the chaos test,
# which says so with `@pytest.mark.hang_limit(seconds)`.
TEST_LIMIT = 180.0


def await_chain(task: asyncio.Task[Any]) -> list[str]:
    """`file:line in function` for each coroutine the task is suspended in, outermost first."""
    chain: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:
            break
        code = frame.f_code
        chain.append(f"{code.co_filename}:{frame.f_lineno} in {code.co_name}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return chain


def print_tasks(out: TextIO) -> None:
    for task in asyncio.all_tasks():
        print(f"--- {task.get_name()} ---", file=out)
        for line in await_chain(task):
            print(f"    {line}", file=out)
    out.flush()


def runs(task: asyncio.Task[Any], code: CodeType) -> bool:
    frame = getattr(task.get_coro(), "cr_frame", None)
    return frame is not None and frame.f_code is code


async def watch(
    test_id: str, test_code: CodeType | None, limit: float | None = None, out: TextIO | None = None
) -> None:
    """After `limit` seconds, report every task and cancel the tasks running the test."""
    limit = TEST_LIMIT if limit is None else limit
    await asyncio.sleep(limit)
    out = out or sys.__stderr__ or sys.stderr
    print(f"\n=== {test_id} still runs after {limit:.0f} s: every task ===", file=out)
    print_tasks(out)
    current = asyncio.current_task()
    for task in asyncio.all_tasks():
        if task is not current and test_code is not None and runs(task, test_code):
            task.cancel(f"hung: {test_id} ran over {limit:.0f} s")
