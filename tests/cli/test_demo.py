"""The quick start's demo plays the whole cycle and exits 0."""

from __future__ import annotations

import pytest

from bot.demo import run_demo
from bot.demo_wechat import run_wechat_demo


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


async def test_wechat_demo_runs_the_cycle_with_the_citizen_on_wechat(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run_wechat_demo() == 0
    transcript = capsys.readouterr().out
    # In order: the place's QR code starts the report, the office works it on Telegram, the
    # follower answers the question and rates by number on WeChat.
    steps = ("举报地点：市民服务中心一楼", "您的举报已提交", "督查室管理员（Telegram）",
             "3号窗口，上午十点左右", "核查结果：查实", "1 满意", "评价：满意",
             "已关闭")  # fmt: skip
    at = 0
    for step in steps:
        at = transcript.find(step, at)
        assert at >= 0, step
