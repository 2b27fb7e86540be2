"""The quick start's demo plays the whole cycle and exits 0."""

from __future__ import annotations

import pytest

from bot.demo import run_demo


async def test_demo_runs_report_alert_reply_survey(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_demo() == 0
    transcript = capsys.readouterr().out
    steps = ("举报编号", "SR-", "✅ 受理", "已转达", "核查结果：查实", "答复内容", "😊 满意",
             "状态：已关闭", ".jpg")  # fmt: skip
    for step in steps:
        assert step in transcript, step
    # The seeded quarter, not one lonely ticket, is what /stats shows at the end.
    assert "360 generated tickets" in transcript
    assert "城市管理局：收到" in transcript and "重新办理率" in transcript
    assert "查处" in transcript and "查实率" in transcript
