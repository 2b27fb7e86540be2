"""What a report is about: the fixed list of misconduct categories and their stable slugs.

Slugs are stored in the database and carried in callback data, so they never change.
Display text is not decided here: `LABELS` holds the English gettext message id of each
category and the bot translates it (zh_CN is the default locale).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Category(StrEnum):
    ABSENT = "absent"  # 不在岗 / 脱岗
    IDLE = "idle"  # 上班玩手机 / 干私事
    RUDE = "rude"  # 态度生硬 / 刁难
    EXTORTION = "extortion"  # 吃拿卡要
    CAR = "car"  # 公车私用
    BANQUET = "banquet"  # 违规吃喝
    GIFTS = "gifts"  # 收送红包礼金
    BUCK = "buck"  # 推诿扯皮 / 慢作为
    OTHER = "other"  # 其他


def N_(message: str) -> str:
    """Mark `message` for extraction (`pybabel extract -k N_`) without translating it."""
    return message


# English message ids; the catalogs in ui/locales translate them at render time.
LABELS: Final[dict[Category, str]] = {
    Category.ABSENT: N_("Absent from post"),
    Category.IDLE: N_("Phone or private business at work"),
    Category.RUDE: N_("Harsh attitude or obstruction"),
    Category.EXTORTION: N_("Asking for favours or gifts"),
    Category.CAR: N_("Private use of an official car"),
    Category.BANQUET: N_("Improper dining"),
    Category.GIFTS: N_("Giving or taking red envelopes or gifts"),
    Category.BUCK: N_("Passing the buck or inaction"),
    Category.OTHER: N_("Other"),
}


def parse_category(value: str) -> Category | None:
    """Return the category with slug `value`, or None for an unknown slug."""
    try:
        return Category(value)
    except ValueError:
        return None
