"""Turns text sent with `parse_mode=HTML` into plain text plus message entities.

Telegram stores a message as plain text and a list of entities whose offsets and lengths count
UTF-16 code units; tags are stripped, HTML entities unescaped, surrounding whitespace trimmed.
Clients compare what they sent with what came back (and Telegram answers "message is not
modified" by comparing the parsed form), so the emulator parses the same way and rejects the
same malformed markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from emulator.errors import ApiError, bad_request

Entity = dict[str, object]

SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
OTHER_TAGS = {"a", "span", "blockquote", "tg-emoji"}
USER_LINK = re.compile(r"^tg://user\?id=(\d+)$")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FormattedText:
    """Plain text and its entities, as Telegram keeps a message."""

    text: str
    entities: list[Entity] = field(default_factory=list)


def parse_html(source: str) -> FormattedText:
    """Parse Telegram's HTML subset, failing like Telegram on unsupported or unbalanced tags."""
    parser = _TelegramHtml(source)
    parser.feed(source)
    parser.close()
    parser.finish()
    return trim(FormattedText("".join(parser.parts), parser.entities))


def trim(formatted: FormattedText) -> FormattedText:
    """Drop leading and trailing whitespace, clipping entities to what is left."""
    text = formatted.text
    stripped = text.strip()
    if stripped == text:
        return FormattedText(text, _ordered(formatted.entities))
    start = utf16_len(text[: len(text) - len(text.lstrip())])
    end = start + utf16_len(stripped)
    clipped: list[Entity] = []
    for entity in formatted.entities:
        offset, length = _span(entity)
        left, right = max(offset, start), min(offset + length, end)
        if right > left:
            clipped.append({**entity, "offset": left - start, "length": right - left})
    return FormattedText(stripped, _ordered(clipped))


def _span(entity: Entity) -> tuple[int, int]:
    offset, length = entity.get("offset"), entity.get("length")
    if not isinstance(offset, int) or not isinstance(length, int):
        raise bad_request("can't parse entities: offset and length must be integers")
    return offset, length


def _ordered(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda entity: (_span(entity)[0], -_span(entity)[1]))


@dataclass
class _Open:
    tag: str
    start: int
    entity: Entity | None


class _TelegramHtml(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.parts: list[str] = []
        self.entities: list[Entity] = []
        self._stack: list[_Open] = []
        self._position = 0

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self._position += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        entity = self._entity_for(tag, dict(attrs))
        self._stack.append(_Open(tag, self._position, entity))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise self._error(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            raise self._error(f'Unexpected end tag "{tag}"')
        opened = self._stack.pop()
        if opened.tag != tag:
            raise self._error(f'Unmatched end tag "{tag}", expected "</{opened.tag}>"')
        length = self._position - opened.start
        if opened.entity is not None and length > 0:
            self._add(opened, length)

    def finish(self) -> None:
        if self._stack:
            tag = self._stack[-1].tag
            raise bad_request(
                f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
            )

    def _add(self, opened: _Open, length: int) -> None:
        entity = {**(opened.entity or {}), "offset": opened.start, "length": length}
        if entity["type"] != "code":
            self.entities.append(entity)
            return
        language = entity.pop("language", None)
        # <pre><code class="language-x"> is one `pre` entity carrying the language.
        if self._stack and self._stack[-1].tag == "pre":
            parent = self._stack[-1].entity
            if language and parent is not None:
                parent["language"] = language
            return
        self.entities.append(entity)

    def _entity_for(self, tag: str, attrs: dict[str, str | None]) -> Entity | None:
        if tag in SIMPLE_TAGS:
            entity: Entity = {"type": SIMPLE_TAGS[tag]}
            css_class = attrs.get("class") or ""
            if tag == "code" and css_class.startswith("language-"):
                entity["language"] = css_class.removeprefix("language-")
            return entity
        if tag not in OTHER_TAGS:
            raise self._error(f'Unsupported start tag "{tag}"')
        return self._special_entity(tag, attrs)

    def _special_entity(self, tag: str, attrs: dict[str, str | None]) -> Entity | None:
        if tag == "span":
            if attrs.get("class") != "tg-spoiler":
                raise self._error('Tag "span" must have class "tg-spoiler"')
            return {"type": "spoiler"}
        if tag == "blockquote":
            kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
            return {"type": kind}
        if tag == "tg-emoji":
            return {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id") or ""}
        url = (attrs.get("href") or "").strip()
        if not url:
            return None
        if match := USER_LINK.match(url):
            return {"type": "text_mention", "user": {"id": int(match.group(1))}}
        return {"type": "text_link", "url": url}

    def _error(self, what: str) -> ApiError:
        line, column = self.getpos()
        offset = len(self._source[: self._line_starts[line - 1] + column].encode("utf-8"))
        return bad_request(f"can't parse entities: {what} at byte offset {offset}")
