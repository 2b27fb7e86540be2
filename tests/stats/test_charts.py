"""Every chart renders as a real PNG, with a CJK font and no missing glyph."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager, ft2font
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

import ui.charts
from tickets.measures import (
    Counts,
    DepartmentMeasures,
    Ranking,
    WeekCounts,
    build_measures,
    rank_departments,
)
from ui.charts import (
    BUNDLED_FONT,
    CjkFontNotFound,
    category_chart,
    cjk_font,
    on_time_chart,
    ranking_chart,
    satisfaction_chart,
    weekly_states_chart,
)
from ui.i18n import Translator, create_i18n, translator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
I18N = create_i18n("zh_CN")
ZH, EN = translator(I18N, "zh_CN"), translator(I18N, "en")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _department(department_id: int, name: str, **counts: int) -> DepartmentMeasures:
    return DepartmentMeasures(department_id, name, build_measures(Counts(**counts)))


DEPARTMENTS = (
    _department(1, "城市管理局", received=40, accept_due=38, accepted_on_time=35, resolve_due=30,
                resolved_on_time=24, resolved_ever=30, reopened=3, satisfied=12, fair=6,
                unsatisfied=2, default_satisfied=5),
    _department(2, "交通运输局", received=25, accept_due=25, accepted_on_time=20, resolve_due=20,
                resolved_on_time=19, resolved_ever=20, reopened=1, satisfied=9, fair=1,
                unsatisfied=4),
    _department(3, "市场监督管理局", received=0),
)  # fmt: skip
WEEKS = (
    WeekCounts(date(2025, 3, 3), {"new": 3, "accepted": 5, "closed": 20, "reopened": 1}),
    WeekCounts(date(2025, 3, 10), {"new": 7, "in_progress": 4, "resolved": 6, "rejected": 2}),
    WeekCounts(date(2025, 3, 17), {}),
)
OLD_NINE = ("absent", "idle", "rude", "extortion", "car", "banquet", "gifts", "buck", "other")
CATEGORIES = tuple(
    (str(slug), n)
    for n, slug in enumerate(
        ("absent", "idle", "rude", "extortion", "car", "banquet", "gifts", "buck", "other"),
        start=1,
    )
)


def _ranking() -> Ranking:
    return rank_departments(DEPARTMENTS)


def full_charts(language: Translator) -> dict[str, Callable[[], bytes]]:
    """Each chart of the sample figures, drawn in `language`."""
    return {
        "weekly": lambda: weekly_states_chart(WEEKS, language),
        "on_time": lambda: on_time_chart(DEPARTMENTS, language),
        "satisfaction": lambda: satisfaction_chart(DEPARTMENTS, language),
        "categories": lambda: category_chart(CATEGORIES, language),
        "ranking": lambda: ranking_chart(_ranking(), language),
    }


CHARTS = full_charts(ZH)
EMPTY_CHARTS: dict[str, Callable[[], bytes]] = {
    "weekly": lambda: weekly_states_chart([WeekCounts(date(2025, 3, 3), {})], ZH),
    "on_time": lambda: on_time_chart([], ZH),
    "satisfaction": lambda: satisfaction_chart(DEPARTMENTS[2:], ZH),
    "categories": lambda: category_chart([], ZH),
    "ranking": lambda: ranking_chart(Ranking(()), ZH),
}


def _assert_sensible_png(data: bytes) -> None:
    assert data.startswith(PNG_SIGNATURE)
    assert 5_000 < len(data) < 2_000_000
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert 800 <= image.width <= 2000 and 500 <= image.height <= 3000


@pytest.fixture
def no_system_fonts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """matplotlib as on a bare machine: only its own DejaVu fonts, none from the system.

    The Agg backend holds the font manager it imported, so the list is filtered in place.
    """
    manager = font_manager.fontManager
    own = str(Path(matplotlib.get_data_path()))
    bare = [entry for entry in manager.ttflist if entry.fname.startswith(own)]
    assert bare and not any("CJK" in entry.name or "SC" in entry.name for entry in bare)
    forget_lookups = manager._findfont_cached.cache_clear  # type: ignore[attr-defined]
    monkeypatch.setattr(manager, "ttflist", bare)
    forget_lookups()
    cjk_font.cache_clear()
    yield
    forget_lookups()
    cjk_font.cache_clear()


@pytest.mark.usefixtures("no_system_fonts")
def test_charts_use_the_bundled_font_without_any_system_font() -> None:
    family = cjk_font()
    found = font_manager.findfont(font_manager.FontProperties(family=family))
    assert Path(found) == BUNDLED_FONT
    assert BUNDLED_FONT.stat().st_size > 5_000_000  # the full font, not a subset
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would be a warning
        _assert_sensible_png(category_chart([("other", 3), ("某某街道办事处", 2)], ZH))


def test_the_bundled_font_covers_all_of_gb2312() -> None:
    cmap = ft2font.FT2Font(str(BUNDLED_FONT)).get_charmap()
    hanzi = [bytes([hi, lo]).decode("gb2312", "ignore") for hi in range(0xB0, 0xF8)
             for lo in range(0xA1, 0xFF)]  # fmt: skip
    missing = [char for char in hanzi if char and ord(char) not in cmap]
    assert len([char for char in hanzi if char]) == 6763
    assert missing == []


def test_a_missing_font_file_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ui.charts, "BUNDLED_FONT", tmp_path / "gone.otf")
    cjk_font.cache_clear()
    try:
        with pytest.raises(CjkFontNotFound, match="uv sync"):
            weekly_states_chart(WEEKS, ZH)
    finally:
        cjk_font.cache_clear()


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_renders_a_png_with_every_glyph(name: str) -> None:
    with warnings.catch_warnings():
        # A missing glyph is only a warning in matplotlib; here it is a failure.
        warnings.simplefilter("error")
        data = CHARTS[name]()
    _assert_sensible_png(data)


@pytest.mark.parametrize("name", sorted(EMPTY_CHARTS))
def test_chart_without_data_says_so(name: str) -> None:
    _assert_sensible_png(EMPTY_CHARTS[name]())


def _figure_texts(monkeypatch: pytest.MonkeyPatch, draw: Callable[[], bytes]) -> list[str]:
    """Every text on the drawn figure: titles, axis and tick labels, legend, annotations."""
    texts: list[str] = []
    png = ui.charts._png

    def keep_texts(figure: Figure) -> bytes:
        data = png(figure)  # drawing fills in the tick labels
        texts.extend(t.get_text() for t in figure.findobj(Text) if t.get_text())
        return data

    monkeypatch.setattr(ui.charts, "_png", keep_texts)
    draw()
    return texts


ENGLISH_CHARTS = {**full_charts(EN), "empty": lambda: category_chart([], EN)}


@pytest.mark.parametrize("name", sorted(ENGLISH_CHARTS))
def test_an_english_chart_has_no_chinese_label(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _figure_texts(monkeypatch, ENGLISH_CHARTS[name])
    names = [d.name for d in DEPARTMENTS]  # the office's own data stays as typed
    labels = [t for t in texts if not any(n in t for n in names)]
    assert labels and [t for t in labels if CJK.search(t)] == []


def test_a_chinese_chart_is_labelled_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _figure_texts(monkeypatch, CHARTS["weekly"])
    assert "每周工单数（按状态）" in texts and "重新办理" in texts and "工单数" in texts
