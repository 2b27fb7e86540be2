"""HTML parse_mode as Telegram stores it: plain text plus UTF-16 entities, or a refusal."""

from __future__ import annotations

import pytest

from emulator.errors import ApiError
from emulator.formatting import parse_html


def spans(source: str) -> list[tuple[str, int, int]]:
    return [
        (str(e["type"]), int(str(e["offset"])), int(str(e["length"])))
        for e in parse_html(source).entities
    ]


def test_tags_are_stripped_and_entities_unescaped() -> None:
    parsed = parse_html("<b>A &amp; B</b> &lt;tag&gt; &quot;q&quot;")
    assert parsed.text == 'A & B <tag> "q"'
    assert spans("<b>A &amp; B</b>") == [("bold", 0, 5)]


def test_offsets_count_utf16_code_units() -> None:
    assert spans("😀 <i>举报</i> <u>x</u>") == [("italic", 3, 2), ("underline", 6, 1)]


def test_nested_tags_outer_first() -> None:
    assert spans("<b>bold <i>both</i></b>") == [("bold", 0, 9), ("italic", 5, 4)]


def test_links_code_and_spoilers() -> None:
    parsed = parse_html(
        '<a href="https://t.me/x">link</a> <a href="tg://user?id=42">Ann</a> '
        '<pre><code class="language-python">x = 1</code></pre> <code>y</code> '
        '<span class="tg-spoiler">s</span> <tg-spoiler>t</tg-spoiler> '
        "<blockquote expandable>q</blockquote>"
    )
    kinds = [(e["type"], e.get("url"), e.get("language")) for e in parsed.entities]
    assert kinds == [
        ("text_link", "https://t.me/x", None),
        ("text_mention", None, None),
        ("pre", None, "python"),
        ("code", None, None),
        ("spoiler", None, None),
        ("spoiler", None, None),
        ("expandable_blockquote", None, None),
    ]


def test_surrounding_whitespace_is_trimmed_and_entities_clipped() -> None:
    parsed = parse_html("  <b> hi </b>\n")
    assert parsed.text == "hi"
    assert [(e["offset"], e["length"]) for e in parsed.entities] == [(0, 2)]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag "i", expected "</b>" at byte offset 4'),
        ("x</b>", 'Unexpected end tag "b" at byte offset 1'),
        ("举<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 3'),
        ("line<br/>", 'Unsupported start tag "br" at byte offset 4'),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_malformed_markup_is_refused_like_telegram(source: str, reason: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_html(source)
    assert refused.value.code == 400
    assert refused.value.description.startswith("Bad Request: can't parse entities: ")
    assert reason in refused.value.description
