"""Hostile typed text: bidi overrides, zero-width characters, forged card lines, controls."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import report_draft
from tests.fakes import Fakes
from tickets.reports import submit_report
from tickets.text import INVISIBLE, clean_text, one_line


@pytest.mark.parametrize("char", sorted(INVISIBLE))
def test_each_invisible_character_is_removed(char: str) -> None:
    assert clean_text(f"exe{char}.jpg") == "exe.jpg"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("gpj.\u202eexe", "gpj.exe"),  # right-to-left override
        ("市民\u200b服务\ufeff中心", "市民服务中心"),  # zero-width space, BOM
        ("a\x00b\x07c\x1bd", "abcd"),  # NUL, bell, escape
        ("line one\r\nline two\rline three", "line one\nline two\nline three"),
        ("top\n\n\n\n\nbottom", "top\n\nbottom"),
        ("  举报 🙂  ", "举报 🙂"),
    ],
)
def test_clean_text_keeps_only_visible_text(typed: str, stored: str) -> None:
    assert clean_text(typed) == stored


def test_a_one_line_field_cannot_forge_a_card_line() -> None:
    assert one_line("市民中心\n举报人：张三 13800000000") == "市民中心 举报人：张三 13800000000"


@given(st.text())
def test_cleaned_text_has_no_invisible_or_control_characters(text: str) -> None:
    cleaned = clean_text(text)
    assert not set(cleaned) & INVISIBLE
    assert all(c in "\n\t" or unicodedata.category(c) != "Cc" for c in cleaned)
    assert clean_text(cleaned) == cleaned


@given(st.text())
def test_one_line_has_no_line_break_and_is_stable(text: str) -> None:
    flat = one_line(text)
    assert "\n" not in flat and "\r" not in flat
    assert one_line(flat) == flat


async def test_a_report_is_filed_with_its_typed_fields_cleaned(fakes: Fakes) -> None:
    draft = report_draft(
        description="The clerk\u202e asked for a gift.\r\n",
        place_text="Hall 1\n举报人：张三",
        anonymous=False,
        real_name="Li\u200b Si\n",
        phone=" 139\u200d00139000 ",
    )

    ticket = (await submit_report(fakes.ws, draft, per_hour=5)).ticket

    assert ticket.description == "The clerk asked for a gift."
    assert ticket.place_text == "Hall 1 举报人：张三"
    assert (ticket.real_name, ticket.phone) == ("Li Si", "13900139000")


async def test_a_description_of_only_invisible_characters_is_refused(fakes: Fakes) -> None:
    draft = report_draft(description="\u200b\u200b\u202e\u200b\u200b\u200b")

    with pytest.raises(Exception, match="description_length"):
        await submit_report(fakes.ws, draft, per_hour=5)

    assert fakes.tickets.tickets == {}
