"""Reply templates: prepared texts a supervisor may send when resolving, rejecting or asking.

A template is a row (`storage` holds the table, seeded in Chinese, the deployment's
language): a title for its button, a body, the step it serves (`Purpose`), optionally one
category (None: any) and, for a resolution, one finding (None: any). Bodies name facts of
the ticket as placeholders from a fixed set, `PLACEHOLDERS`, filled when the template is
used; `{{` and `}}` stand for literal braces. Anything else in braces — an unknown name,
a format spec, a lone brace — is refused when the template is saved, so a stored template
always renders. A template is retired rather than deleted, and can be restored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from string import Formatter
from typing import Final

from tickets.errors import ValidationError
from tickets.findings import Finding

TITLE_MAX: Final = 32
BODY_MAX: Final = 1000
# How many templates one prompt offers as buttons.
OFFERED_MAX: Final = 8


class Purpose(StrEnum):
    """The step a template serves: the official reply, a rejection's reason, a question."""

    RESOLVE = "resolve"
    REJECT = "reject"
    ASK = "ask"


# The placeholders a body may use, in the order the help lists them.
PLACEHOLDERS: Final = ("code", "category", "place", "department", "date", "finding")
# {finding} exists only once a resolution's finding is chosen.
RESOLVE_ONLY: Final = frozenset({"finding"})


@dataclass(frozen=True)
class TemplateDraft:
    """A template's checked fields, before the store gives it an id."""

    title: str
    body: str
    purpose: Purpose
    category: str | None = None
    finding: Finding | None = None


@dataclass(frozen=True)
class ReplyTemplate:
    """One template as rows hold it."""

    id: int
    title: str
    body: str
    purpose: Purpose
    category: str | None = None
    finding: Finding | None = None
    active: bool = True

    def matches(self, purpose: Purpose, category: str, finding: str | None = None) -> bool:
        """Whether the template may be offered for this step of a ticket of `category`."""
        return (
            self.active
            and self.purpose is purpose
            and self.category in (None, category)
            and (self.finding is None or self.finding == finding)
        )


def placeholders(body: str) -> tuple[str, ...]:
    """The placeholders `body` uses, in order; unknown ones and bad braces are refused."""
    try:
        parts = list(Formatter().parse(body))
    except ValueError:  # a lone "{" or "}"
        raise ValidationError("template_braces") from None
    names = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + ("!" + conversion if conversion else "") + (":…" if spec else "")
            # Quoted back in chat HTML and on console pages: no markup characters.
            shown = "".join(ch for ch in shown[:40] if ch not in "<>&") + "}"
            raise ValidationError("template_placeholder", name=shown)
        names.append(name)
    return tuple(names)


def render(body: str, values: Mapping[str, str]) -> str:
    """Fill the body's placeholders with `values` (a missing one becomes empty)."""
    out = []
    for literal, name, _spec, _conversion in Formatter().parse(body):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


def clean_title(text: str) -> str:
    """A template's title, as its button shows it: one line of 1–32 characters."""
    title = " ".join(text.split())
    if not 1 <= len(title) <= TITLE_MAX:
        raise ValidationError("template_title", maximum=TITLE_MAX)
    return title


def clean_body(text: str, purpose: Purpose) -> str:
    """A template's body: 1–1000 characters whose placeholders are all known."""
    body = text.strip()
    if not 1 <= len(body) <= BODY_MAX:
        raise ValidationError("template_body", maximum=BODY_MAX)
    used = set(placeholders(body))
    if purpose is not Purpose.RESOLVE and used & RESOLVE_ONLY:
        raise ValidationError("template_finding_placeholder")
    return body


def parse_purpose(value: str) -> Purpose:
    try:
        return Purpose(value)
    except ValueError:
        raise ValidationError("template_purpose") from None


def draft(
    *,
    title: str,
    body: str,
    purpose: str,
    category: str | None = None,
    finding: str | None = None,
    categories: Iterable[str] = (),
) -> TemplateDraft:
    """Check a whole template, or refuse it: `categories` are the known slugs."""
    chosen = parse_purpose(purpose)
    if category and category not in set(categories):
        raise ValidationError("unknown_category", category=category)
    outcome = None
    if finding:
        if chosen is not Purpose.RESOLVE:
            raise ValidationError("template_finding_purpose")
        try:
            outcome = Finding(finding)
        except ValueError:
            raise ValidationError("finding_unknown") from None
    return TemplateDraft(
        clean_title(title), clean_body(body, chosen), chosen, category or None, outcome
    )


def offered(
    templates: Iterable[ReplyTemplate],
    *,
    purpose: Purpose,
    category: str,
    finding: str | None = None,
) -> tuple[ReplyTemplate, ...]:
    """The active templates for this step, the category's own first, then the finding's."""
    matching = [t for t in templates if t.matches(purpose, category, finding)]
    matching.sort(key=lambda t: (t.category is None, t.finding is None, t.id))
    return tuple(matching[:OFFERED_MAX])
