"""HOLIDAYS_FILE: holidays and make-up working days beyond the packaged calendar.

```yaml
holidays:                      # days off (a range with `until`, both days included)
  - {date: 2027-01-01, name: 元旦}
  - {date: 2027-02-05, until: 2027-02-12, name: 春节}
workdays:                      # make-up working days (调休), usually a Saturday or Sunday
  - {date: 2027-02-20, name: 春节调休}
```

A date in the file wins over the package (a date set in the web console wins over the
file); a year with at least one date in the file counts as covered. Mistakes stop
`snapreport run` and `snapreport doctor` with the file name, the line and the reason,
because a wrong calendar silently moves every deadline.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tickets.holidays import MAX_RANGE_DAYS, NAME_MAX, PACKAGED, DayOverride, WorkingCalendar

SECTIONS = ("holidays", "workdays")


class _DatesAsText(yaml.SafeLoader):
    """Leaves dates as text so pydantic, not the YAML parser, reports a bad one by entry."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class HolidaysFileError(ValueError):
    """HOLIDAYS_FILE cannot be used; the message names the file, the line and the reason."""


class DayEntry(BaseModel):
    """One entry of either list: a date (or a short range) and what it is called."""

    model_config = ConfigDict(extra="forbid")

    first: date = Field(alias="date")
    until: date | None = None
    name: str = Field(min_length=1, max_length=NAME_MAX)

    @model_validator(mode="after")
    def _short_forward_range(self) -> DayEntry:
        last = self.until or self.first
        if last < self.first:
            raise ValueError("`until` is before `date`")
        if (last - self.first).days >= MAX_RANGE_DAYS:
            raise ValueError(f"a range longer than {MAX_RANGE_DAYS} days is surely a typo")
        return self

    def days(self) -> list[date]:
        """Every day the entry names, `date` to `until` included."""
        count = ((self.until or self.first) - self.first).days + 1
        return [self.first + timedelta(days=offset) for offset in range(count)]


class HolidaysSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holidays: list[DayEntry] = []
    workdays: list[DayEntry] = []


def load_calendar(path: Path | None) -> WorkingCalendar:
    """Return the package's calendar extended by `path`, or the package's alone."""
    if path is None:
        return PACKAGED
    text = _read(path)
    root = _compose(path, text)
    spec = _validate(path, root, yaml.load(text, Loader=_DatesAsText))
    return WorkingCalendar(_overrides(path, root, spec))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise HolidaysFileError(f"{path}: cannot read HOLIDAYS_FILE: {error}") from error


def _compose(path: Path, text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_DatesAsText)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        raise HolidaysFileError(f"{path}:{line}: not valid YAML: {error.problem}") from error


def _validate(path: Path, root: yaml.Node | None, data: Any) -> HolidaysSpec:
    try:
        return HolidaysSpec.model_validate(data or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = [part for part in first["loc"] if isinstance(part, str | int)]
        line = _line_of(root, where)
        label = ".".join(str(part) for part in where) or "file"
        raise HolidaysFileError(f"{path}:{line}: {label}: {first['msg']}") from error


def _line_of(root: yaml.Node | None, where: list[str | int]) -> int:
    """Return the 1-based line of the deepest node along `where` (1 when there is none)."""
    node = root
    line = 1 if node is None else node.start_mark.line + 1
    for part in where:
        found = _child(node, part)
        if found is None:
            break
        marker, node = found
        line = marker.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """Return (node whose line to show, node to descend into) for one step of a path."""
    if isinstance(node, yaml.MappingNode):
        # The key's line: a list under `holidays:` starts on the line after it.
        return next(((key, value) for key, value in node.value if key.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item, item
    return None


def _overrides(path: Path, root: yaml.Node | None, spec: HolidaysSpec) -> dict[date, DayOverride]:
    """Flatten the lists into one override per date; a date listed twice is an error."""
    overrides: dict[date, DayOverride] = {}
    for section in SECTIONS:
        for index, entry in enumerate(getattr(spec, section)):
            for day in entry.days():
                if day in overrides:
                    line = _line_of(root, [section, index])
                    raise HolidaysFileError(
                        f"{path}:{line}: {section}.{index}: {day} is listed twice"
                    )
                overrides[day] = DayOverride(entry.name, working=section == "workdays")
    return overrides
