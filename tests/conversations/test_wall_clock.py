"""Conversation tests move a ManualClock; nothing in them may run on the wall clock."""

from __future__ import annotations

from bot.app import SnapreportApp
from config.settings import Settings
from scheduler.digests import JOB_MONTHLY, JOB_OVERDUE, JOB_WEEKLY


async def test_the_test_bot_registers_no_digest_cron_jobs(app: SnapreportApp) -> None:
    assert app.scheduler is not None
    jobs = set(app.scheduler.job_ids)
    assert jobs, "the sweeps and the dispatcher still tick"
    assert not jobs & {JOB_WEEKLY, JOB_OVERDUE, JOB_MONTHLY}


def test_digests_are_on_by_default_in_production() -> None:
    assert Settings(_env_file=None).digests_enabled
