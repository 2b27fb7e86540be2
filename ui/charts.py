"""PNG charts for `/stats`, digests and rankings, labelled in Chinese.

matplotlib's default font has no Chinese glyphs and silently draws empty boxes instead.
The project brings its own font as a Python dependency (`pylopdf-fonts-zh-cn`: Noto Sans
SC, SIL OFL 1.1, the whole GB 2312 / common CJK set) and registers that file with
matplotlib by path, so charts look the same on every machine and need no system package.
If the file is missing or cannot draw Chinese, `CjkFontNotFound` says so rather than
sending unreadable pictures. Figures are built with the object API on the Agg canvas,
never through `pyplot`, so rendering keeps no global figure state and is safe in a worker
thread. matplotlib is imported by the first chart drawn, not with this module: it costs
about 45 MB of memory, and a bot that never draws a chart should not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pylopdf_fonts_zh_cn

from tickets.measures import DepartmentMeasures, Ranking, WeekCounts
from ui.categories import label_for

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

Translate = Callable[[str], str]  # a message id to the requester's language (bot.i18n)

BUNDLED_FONT: Final = pylopdf_fonts_zh_cn.sans_path()
PROBE_TEXT: Final = "工单办结率满意"

# English message ids (the same as the chat's state names), translated per requester.
STATE_NAMES: Final[Mapping[str, str]] = {
    "new": "New",
    "accepted": "Accepted",
    "in_progress": "In progress",
    "resolved": "Resolved",
    "closed": "Closed",
    "reopened": "Reopened",
    "rejected": "Rejected",
    "duplicate": "Duplicate",
}
STATE_COLORS: Final[Mapping[str, str]] = {
    "new": "#9e9e9e",
    "accepted": "#64b5f6",
    "in_progress": "#1e88e5",
    "resolved": "#66bb6a",
    "closed": "#2e7d32",
    "reopened": "#ef6c00",
    "rejected": "#8d6e63",
    "duplicate": "#bdbdbd",
}
SIZE: Final = (8.0, 4.8)
DPI: Final = 150


class CjkFontNotFound(RuntimeError):
    """The bundled font cannot draw Chinese; charts would show empty boxes."""


def _covers_chinese(path: Path) -> bool:
    from matplotlib import font_manager

    font = font_manager.get_font(str(path))
    return all(font.get_char_index(ord(char)) for char in PROBE_TEXT)


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register the bundled CJK font with matplotlib and return its family name, or raise."""
    from matplotlib import font_manager

    path = BUNDLED_FONT
    if not path.is_file():
        raise CjkFontNotFound(
            f"the chart font {path} is missing: reinstall the project (`uv sync`), "
            "which brings it with the package pylopdf-fonts-zh-cn"
        )
    if not _covers_chinese(path):
        raise CjkFontNotFound(f"the chart font {path} has no Chinese glyphs")
    # By path, not by name: matplotlib's font list is cached and knows only system fonts.
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=path).get_name()


@contextmanager
def _chinese_figure(size: tuple[float, float] = SIZE) -> Iterator[tuple[Figure, Axes]]:
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with rc_context(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [cjk_font(), "DejaVu Sans"],
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        figure = Figure(figsize=size, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        yield figure, figure.add_subplot()


def _integer_ticks() -> MaxNLocator:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _no_data(axes: Axes, tr: Translate) -> None:
    axes.text(0.5, 0.5, tr("No data yet"), ha="center", va="center", fontsize=16, color="#757575")
    axes.set_axis_off()


def weekly_states_chart(weeks: Sequence[WeekCounts], tr: Translate) -> bytes:
    """Draw tickets received per week as bars stacked by their current state."""
    with _chinese_figure() as (figure, axes):
        axes.set_title(tr("Tickets per week (by state)"))
        if not any(week.total for week in weeks):
            _no_data(axes, tr)
            return _png(figure)
        labels = [week.week_start.strftime("%m-%d") for week in weeks]
        bottoms = [0] * len(weeks)
        for state, label in STATE_NAMES.items():
            heights = [week.by_state.get(state, 0) for week in weeks]
            if any(heights):
                axes.bar(
                    labels, heights, bottom=bottoms, label=tr(label), color=STATE_COLORS[state]
                )
                bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        axes.set_xlabel(tr("Week (first day)"))
        axes.set_ylabel(tr("Tickets"))
        axes.yaxis.set_major_locator(_integer_ticks())
        figure.legend(loc="outside right upper", fontsize="small")
        return _png(figure)


def _percent(value: float | None) -> float:
    return 0.0 if value is None else 100 * value


def _percent_text(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _active(departments: Sequence[DepartmentMeasures]) -> list[DepartmentMeasures]:
    return [d for d in departments if d.measures.counts.received]


def on_time_chart(departments: Sequence[DepartmentMeasures], tr: Translate) -> bytes:
    """Draw each department's on-time acceptance and on-time resolution rates."""
    shown = _active(departments)
    with _chinese_figure(_height_for(len(shown))) as (figure, axes):
        axes.set_title(tr("On-time rates by department"))
        if not shown:
            _no_data(axes, tr)
            return _png(figure)
        rows = range(len(shown))
        series = (
            (
                -0.2,
                tr("On-time acceptance"),
                "#64b5f6",
                [d.measures.on_time_accept_rate for d in shown],
            ),
            (
                0.2,
                tr("On-time resolution"),
                "#2e7d32",
                [d.measures.on_time_resolve_rate for d in shown],
            ),
        )
        for offset, label, color, rates in series:
            bars = axes.barh([r + offset for r in rows], [_percent(v) for v in rates],
                             height=0.4, label=label, color=color)  # fmt: skip
            axes.bar_label(bars, labels=[_percent_text(v) for v in rates], padding=3)
        axes.set_yticks(list(rows), [d.name for d in shown])
        axes.invert_yaxis()
        axes.set_xlim(0, 112)
        axes.set_xlabel("%")
        figure.legend(loc="outside right upper", fontsize="small")
        return _png(figure)


def satisfaction_chart(departments: Sequence[DepartmentMeasures], tr: Translate) -> bytes:
    """Draw each department's answered surveys as 100% bars; default ratings noted apart."""
    shown = [d for d in _active(departments) if d.measures.counts.answered]
    with _chinese_figure(_height_for(len(shown))) as (figure, axes):
        axes.set_title(tr("Satisfaction by department"))
        if not shown:
            _no_data(axes, tr)
            return _png(figure)
        rows = list(range(len(shown)))
        left = [0.0] * len(shown)
        parts = (("satisfied", tr("Satisfied"), "#2e7d32"),
                 ("fair", tr("Fairly satisfied"), "#aed581"),
                 ("unsatisfied", tr("Unsatisfied"), "#e53935"))  # fmt: skip
        for field, label, color in parts:
            shares = [100 * getattr(d.measures.counts, field) / d.measures.counts.answered
                      for d in shown]  # fmt: skip
            axes.barh(rows, shares, left=left, label=label, color=color)
            left = [a + b for a, b in zip(left, shares, strict=True)]
        for row, department in zip(rows, shown, strict=True):
            counts = department.measures.counts
            note = tr("Satisfaction rate {rate}%").format(
                rate=f"{_percent(department.measures.satisfaction_rate):.0f}"
            )
            if counts.default_satisfied:
                note += " " + tr("(+{count} satisfied by default)").format(
                    count=counts.default_satisfied
                )
            axes.text(101, row, note, va="center", fontsize="small")
        axes.set_yticks(rows, [d.name for d in shown])
        axes.invert_yaxis()
        axes.set_xlim(0, 160)
        axes.set_xticks([0, 25, 50, 75, 100])
        axes.set_xlabel(tr("Share of answered surveys, %"))
        figure.legend(loc="outside right upper", fontsize="small")
        return _png(figure)


def category_chart(counts: Sequence[tuple[str, int]], tr: Translate) -> bytes:
    """Draw tickets per category (slugs shown by their translated names), largest first."""
    shown = sorted((item for item in counts if item[1]), key=lambda item: (-item[1], item[0]))
    with _chinese_figure(_height_for(len(shown))) as (figure, axes):
        axes.set_title(tr("Tickets by category"))
        if not shown:
            _no_data(axes, tr)
            return _png(figure)
        names = [_category_name(slug, tr) for slug, _ in shown]
        values = [count for _, count in shown]
        bars = axes.barh(names, values, color="#1e88e5")
        axes.bar_label(bars, padding=3)
        axes.invert_yaxis()
        axes.set_xlabel(tr("Tickets"))
        axes.xaxis.set_major_locator(_integer_ticks())
        return _png(figure)


def ranking_chart(ranking: Ranking, tr: Translate) -> bytes:
    """Draw the composite score of each ranked department, best green and worst red."""
    entries = ranking.entries
    with _chinese_figure(_height_for(len(entries))) as (figure, axes):
        axes.set_title(tr("Department ranking"))
        if not entries:
            _no_data(axes, tr)
            return _png(figure)
        colors = ["#1e88e5"] * len(entries)
        colors[0] = "#2e7d32"
        if ranking.worst is not None:
            colors[-1] = "#e53935"
        labels = [f"{entry.rank}. {entry.name}" for entry in entries]
        bars = axes.barh(labels, [100 * entry.score for entry in entries], color=colors)
        axes.bar_label(bars, fmt="%.1f", padding=3)
        axes.invert_yaxis()
        axes.set_xlim(0, 110)
        w = ranking.weights
        formula = tr(
            "Score = {resolution}×on-time resolution + {satisfaction}×satisfaction"
            " + {kept}×(1 − reopen rate)"
        )
        axes.set_xlabel(
            formula.format(
                resolution=f"{w.on_time_resolution:g}",
                satisfaction=f"{w.satisfaction:g}",
                kept=f"{w.not_reopened:g}",
            )
        )
        return _png(figure)


def _category_name(slug: str, tr: Translate) -> str:
    return label_for(slug, tr)


def _height_for(rows: int) -> tuple[float, float]:
    return SIZE[0], max(SIZE[1], 1.2 + 0.45 * rows)
