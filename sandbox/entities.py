"""A message's text and its Bot API entities as safe HTML, the way a Telegram app shows it.

The bot's HTML source is never echoed: the page is built from the plain text the phone
received, every character escaped, plus the few tags the entities stand for. Offsets count
UTF-16 code units, as in the Bot API, so text with emoji stays aligned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from itertools import pairwise
from typing import Any

TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
}
SAFE_SCHEMES = ("http://", "https://")


def entities_html(text: str, entities: Sequence[Mapping[str, Any]]) -> str:
    """Escape `text`, wrapping each run of it in the tags of the entities covering it."""
    units = text.encode("utf-16-le")
    spans = [(int(e["offset"]), int(e["offset"]) + int(e["length"]), e) for e in entities]
    cuts = sorted({0, len(units) // 2, *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    parts = []
    for start, end in pairwise(cuts):
        piece = escape(units[start * 2 : end * 2].decode("utf-16-le", errors="replace"))
        for _s, _e, entity in sorted(
            (span for span in spans if span[0] <= start and end <= span[1]),
            key=lambda span: (-span[0], span[1]),  # innermost first: it wraps the text
        ):
            piece = _wrap(piece, entity, units)
        parts.append(piece)
    return "".join(parts)


def _wrap(piece: str, entity: Mapping[str, Any], units: bytes) -> str:
    kind = str(entity.get("type", ""))
    if kind in TAGS:
        tag = TAGS[kind]
        return f"<{tag}>{piece}</{tag}>"
    if kind == "spoiler":
        return f'<span class="spoiler">{piece}</span>'
    href = entity.get("url") if kind == "text_link" else None
    if kind == "url":
        start, end = int(entity["offset"]) * 2, (int(entity["offset"]) + int(entity["length"])) * 2
        href = units[start:end].decode("utf-16-le", errors="replace")
    if isinstance(href, str) and href.lower().startswith(SAFE_SCHEMES):
        return f'<a href="{escape(href)}" target="_blank" rel="noopener noreferrer">{piece}</a>'
    return piece
