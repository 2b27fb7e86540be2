"""Reply templates: placeholders are a fixed set, checked when saved and filled when used;
the templates offered fit the step, the category and the finding, the category's own
first."""

from __future__ import annotations

import pytest

from tickets.errors import ValidationError
from tickets.findings import Finding
from tickets.reply_templates import (
    OFFERED_MAX,
    PLACEHOLDERS,
    Purpose,
    ReplyTemplate,
    draft,
    offered,
    placeholders,
    render,
)

VALUES = {
    "code": "SR-7K3Q-9XPA-C",
    "category": "公车私用",
    "place": "市民中心",
    "department": "交通局",
    "date": "2026年12月6日",
    "finding": "查实",
}
CATEGORIES = ("car", "idle", "rude")


def test_every_placeholder_is_filled_and_doubled_braces_are_literal() -> None:
    body = "{code}：{date}在{place}反映的{category}问题经{department}核查，{finding}。{{原文}}"
    assert placeholders(body) == ("code", "date", "place", "category", "department", "finding")
    assert render(body, VALUES) == (
        "SR-7K3Q-9XPA-C：2026年12月6日在市民中心反映的公车私用问题经交通局核查，查实。{原文}"
    )


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("Dear {name}", "{name}"),
        ("{code.__class__}", "{code.__class__}"),
        ("{code!r}", "{code!r}"),
        ("{code:>40}", "{code:…}"),
        ("{0}", "{0}"),
        ("{}", "{}"),
        ("{<b>x</b>}", "{bx/b}"),
    ],
)
def test_an_unknown_placeholder_is_refused_naming_it(body: str, shown: str) -> None:
    with pytest.raises(ValidationError) as refused:
        placeholders(body)
    assert refused.value.code == "template_placeholder"
    assert refused.value.params == {"name": shown}


@pytest.mark.parametrize("body", ["Case {code", "Case code}", "{", "}", "{{code}"])
def test_a_lone_brace_is_refused(body: str) -> None:
    with pytest.raises(ValidationError) as refused:
        placeholders(body)
    assert refused.value.code == "template_braces"


def test_a_whole_template_is_checked_before_anything_is_kept() -> None:
    made = draft(
        title="  Fixed  now ",
        body=" {code} is resolved: {finding}. ",
        purpose="resolve",
        category="car",
        finding="substantiated",
        categories=CATEGORIES,
    )
    assert (made.title, made.body, made.purpose, made.category, made.finding) == (
        "Fixed now",
        "{code} is resolved: {finding}.",
        Purpose.RESOLVE,
        "car",
        Finding.SUBSTANTIATED,
    )


@pytest.mark.parametrize(
    ("code", "title", "body", "purpose", "category", "finding"),
    [
        ("template_finding_placeholder", "Why", "{finding}", "reject", None, None),
        ("template_finding_purpose", "Q", "?", "ask", None, "partly"),
        ("template_purpose", "T", "text", "thank", None, None),
        ("template_title", " ", "text", "ask", None, None),
        ("template_body", "T", "x" * 1001, "ask", None, None),
        ("unknown_category", "T", "text", "ask", "ufo", None),
        ("finding_unknown", "T", "x", "resolve", None, "maybe"),
    ],
)
def test_a_template_with_any_bad_field_is_refused_whole(
    code: str, title: str, body: str, purpose: str, category: str | None, finding: str | None
) -> None:
    with pytest.raises(ValidationError) as refused:
        draft(
            title=title,
            body=body,
            purpose=purpose,
            category=category,
            finding=finding,
            categories=CATEGORIES,
        )
    assert refused.value.code == code


def template(
    id: int,
    purpose: Purpose = Purpose.RESOLVE,
    category: str | None = None,
    finding: Finding | None = None,
    *,
    active: bool = True,
) -> ReplyTemplate:
    return ReplyTemplate(id, f"t{id}", "text", purpose, category, finding, active)


def test_the_templates_offered_fit_the_step_category_and_finding_specific_first() -> None:
    templates = [
        template(1),
        template(2, category="car"),
        template(3, finding=Finding.SUBSTANTIATED),
        template(4, category="car", finding=Finding.SUBSTANTIATED),
        template(5, category="idle"),
        template(6, finding=Finding.UNSUBSTANTIATED),
        template(7, category="car", active=False),
        template(8, Purpose.REJECT),
        template(9, Purpose.ASK, category="car"),
    ]
    shown = offered(templates, purpose=Purpose.RESOLVE, category="car", finding="substantiated")
    assert [t.id for t in shown] == [4, 2, 3, 1]
    assert [t.id for t in offered(templates, purpose=Purpose.REJECT, category="car")] == [8]
    assert [t.id for t in offered(templates, purpose=Purpose.ASK, category="rude")] == []
    many = [template(i) for i in range(1, 20)]
    assert len(offered(many, purpose=Purpose.RESOLVE, category="car")) == OFFERED_MAX


def test_no_placeholder_can_name_the_reporter() -> None:
    # Filled into the chat's prompts and the console's forms for anonymous tickets too:
    # a new placeholder must be a fact of the case, never of who reported it.
    assert set(PLACEHOLDERS) == {"code", "category", "place", "department", "date", "finding"}
