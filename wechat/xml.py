"""The XML WeChat speaks: flat `<xml>` documents, parsed with entities and DTDs refused.

WeChat never sends a DOCTYPE, so any DTD is refused outright: that closes entity
expansion ("billion laughs") and external entities without trusting the parser's own
limits. Parsing uses expat directly and keeps only what a push holds: the root's children
as text, one level of nesting as a dict (event details such as `SendLocationInfo`).
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.parsers import expat

MAX_XML_BYTES = 256 * 1024
XmlValue = str | dict[str, str]


class XmlError(ValueError):
    """Not a WeChat XML document: malformed, too large, with a DTD, or the wrong shape."""


class _Refused(Exception):
    pass


def parse_xml(data: bytes | str) -> dict[str, XmlValue]:
    """Parse `<xml>…</xml>` into {tag: text} (one nested level as {tag: {tag: text}})."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_XML_BYTES:
        raise XmlError(f"larger than {MAX_XML_BYTES} bytes")
    parser = expat.ParserCreate("utf-8")
    result: dict[str, XmlValue] = {}
    stack: list[str] = []
    texts: list[list[str]] = []
    nested: dict[str, str] = {}

    def refuse(*_args: object) -> None:
        raise _Refused("DTDs and entities are not accepted")

    def refuse_external(*_args: object) -> int:
        raise _Refused("external entities are not accepted")

    def start(tag: str, _attrs: dict[str, str]) -> None:
        nonlocal nested
        if len(stack) >= 3:
            raise _Refused("nested deeper than WeChat's pushes")
        if len(stack) == 1 and tag in result:
            raise _Refused(f"duplicate element {tag}")
        if len(stack) == 1:
            nested = {}
        stack.append(tag)
        texts.append([])

    def end(tag: str) -> None:
        nonlocal nested
        text = "".join(texts.pop())
        stack.pop()
        if len(stack) == 2:
            nested[tag] = text
        elif len(stack) == 1:
            result[tag] = dict(nested) if nested else text
            nested = {}

    def chars(text: str) -> None:
        if texts:
            texts[-1].append(text)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(raw, True)
    except _Refused as error:
        raise XmlError(str(error)) from None
    except expat.ExpatError as error:
        raise XmlError(f"malformed XML: {expat.errors.messages[error.code]}") from None
    return result


def cdata(text: str) -> str:
    """Wrap text in CDATA; a `]]>` inside is split so it cannot close the section."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: Mapping[str, str | int | float | Mapping[str, str | int | float]]) -> str:
    """Write a flat WeChat document: strings as CDATA, numbers bare, as WeChat does."""
    parts = ["<xml>"]
    for tag, value in fields.items():
        if isinstance(value, Mapping):
            inner = "".join(_element(k, v) for k, v in value.items())
            parts.append(f"<{tag}>{inner}</{tag}>")
        else:
            parts.append(_element(tag, value))
    parts.append("</xml>")
    return "".join(parts)


def _element(tag: str, value: str | int | float) -> str:
    body = cdata(value) if isinstance(value, str) else str(value)
    return f"<{tag}>{body}</{tag}>"
