"""How a case ends: the finding (查实 / 部分属实 / 不属实 / 无法核实) and, when the report
holds, what was done (the sanctions) and to how many people.

Every resolution carries one `Outcome`; `outcome` is the one place that checks it, so the
chat's steps and the resolving use case refuse the same things. Slugs are stored on the
ticket, in the resolve event and in callback data, so they never change; labels are the
renderers' business (`ui.render`). Nobody concerned is ever named: only how many.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from tickets.errors import ValidationError

PEOPLE_MAX: Final = 999


class Finding(StrEnum):
    SUBSTANTIATED = "substantiated"  # 查实
    PARTLY = "partly"  # 部分属实
    UNSUBSTANTIATED = "unsubstantiated"  # 不属实
    UNVERIFIABLE = "unverifiable"  # 无法核实


class Sanction(StrEnum):
    """What was done about a substantiated report, mildest first."""

    EDUCATION = "educate"  # 批评教育
    RECTIFY = "rectify"  # 责令整改
    CENSURE = "censure"  # 通报批评
    ADMONISH = "admonish"  # 诫勉谈话
    ORGANISATIONAL = "organise"  # 组织处理
    DISCIPLINE = "discipline"  # 党纪政务处分
    JUDICIAL = "judicial"  # 移送司法


# The findings that count as 查处: the report held, at least in part.
SUBSTANTIATED: Final = frozenset({Finding.SUBSTANTIATED, Finding.PARTLY})


def is_substantiated(finding: str | None) -> bool:
    return finding in SUBSTANTIATED


def parse_finding(value: str) -> Finding:
    try:
        return Finding(value)
    except ValueError:
        raise ValidationError("finding_unknown") from None


def parse_sanctions(values: Iterable[str]) -> tuple[Sanction, ...]:
    """The sanctions named, each once, in the enum's order."""
    try:
        chosen = {Sanction(value) for value in values}
    except ValueError:
        raise ValidationError("sanction_unknown") from None
    return tuple(s for s in Sanction if s in chosen)


def parse_people(text: str | int | None) -> int:
    """A number of people concerned, 1 to PEOPLE_MAX, typed or pressed."""
    raw = str(text if text is not None else "").strip()
    if not raw.isdecimal() or not 1 <= int(raw) <= PEOPLE_MAX:
        raise ValidationError("people_count", maximum=PEOPLE_MAX)
    return int(raw)


@dataclass(frozen=True)
class Outcome:
    """A checked finding: sanctions and people only when the report held."""

    finding: Finding
    sanctions: tuple[Sanction, ...] = ()
    people: int | None = None

    def changes(self) -> dict[str, Any]:
        """The ticket's columns for this outcome (names match `TicketView`)."""
        return {
            "finding": str(self.finding),
            "finding_actions": tuple(str(s) for s in self.sanctions),
            "people_concerned": self.people,
        }

    def payload(self) -> dict[str, Any]:
        """What the resolve event keeps of it."""
        return {
            "finding": str(self.finding),
            "actions": [str(s) for s in self.sanctions],
            "people": self.people,
        }


def check_sanctions(finding: str, sanctions: Iterable[str]) -> tuple[Sanction, ...]:
    """A substantiated finding needs at least one sanction; any other takes none."""
    chosen = parse_sanctions(sanctions)
    if is_substantiated(parse_finding(finding)):
        if not chosen:
            raise ValidationError("finding_needs_action")
    elif chosen:
        raise ValidationError("finding_no_action")
    return chosen


def outcome(
    finding: str, sanctions: Iterable[str] = (), people: str | int | None = None
) -> Outcome:
    """Check a finding with its sanctions and people concerned, or refuse it whole."""
    parsed = parse_finding(finding)
    chosen = check_sanctions(parsed, sanctions)
    if not is_substantiated(parsed):
        if people is not None:
            raise ValidationError("finding_no_action")
        return Outcome(parsed)
    return Outcome(parsed, chosen, parse_people(people))
