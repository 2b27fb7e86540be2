"""The hang watchdog reports where every task waits and cancels only the hung test."""

from __future__ import annotations

import asyncio
import io

import pytest

from tests import hangs


async def wait_forever() -> None:
    await asyncio.Event().wait()


async def hung_test() -> None:
    await wait_forever()


async def test_a_hung_test_is_cancelled_with_every_tasks_await_chain_printed() -> None:
    out = io.StringIO()
    test = asyncio.create_task(hung_test(), name="the-test")
    bystander = asyncio.create_task(wait_forever(), name="bystander")
    await hangs.watch("tests/x.py::hung", hung_test.__code__, limit=0.01, out=out)

    with pytest.raises(asyncio.CancelledError):
        await test
    assert not bystander.done()
    bystander.cancel()
    report = out.getvalue()
    assert "tests/x.py::hung still runs after 0 s" in report
    chain = report.split("--- the-test ---")[1].split("---")[0]
    assert "in hung_test" in chain and "in wait_forever" in chain and "in wait" in chain
