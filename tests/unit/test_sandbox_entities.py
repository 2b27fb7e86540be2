"""The sandbox draws a message's text from its entities, never from the bot's HTML."""

from __future__ import annotations

from sandbox.entities import entities_html


def test_text_is_escaped_and_only_entities_become_tags() -> None:
    text = "<script>x</script> bold"
    html = entities_html(text, [{"type": "bold", "offset": 19, "length": 4}])
    assert html == "&lt;script&gt;x&lt;/script&gt; <b>bold</b>"


def test_offsets_count_utf16_units_as_the_bot_api_does() -> None:
    text = "📷 举报编号：SR-1"
    # The emoji is two UTF-16 units: the code starts at unit 8, not at character 7.
    html = entities_html(text, [{"type": "code", "offset": 8, "length": 4}])
    assert html == "📷 举报编号：<code>SR-1</code>"


def test_nested_entities_stay_well_formed() -> None:
    html = entities_html(
        "abcd",
        [{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 1, "length": 2}],
    )
    assert html == "<b>a</b><b><i>bc</i></b><b>d</b>"


def test_only_web_links_are_links() -> None:
    entities = [
        {"type": "text_link", "offset": 0, "length": 2, "url": "javascript:alert(1)"},
        {"type": "text_link", "offset": 3, "length": 2, "url": "https://example.org/?a=1&b=2"},
    ]
    html = entities_html("no ok", entities)
    assert html == (
        'no <a href="https://example.org/?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">ok</a>'
    )
