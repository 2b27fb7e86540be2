"""Cleaning what people type before it is stored: invisible characters out, one-liners flat.

Bidi overrides (U+202E turns "gpj.exe" into "exe.jpg" on screen) and zero-width characters
let a typed place or name look like something else on a supervisor's card; a line break in
a one-line field lets it forge a card line ("举报人：…"). Escaping for HTML is the
renderer's job (`ui/`); this module only decides which characters are text at all.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embeddings, overrides and isolates, marks, and zero-width characters.
INVISIBLE = frozenset(
    "\u061c\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\ufeff"
)
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _visible(char: str) -> bool:
    if char in INVISIBLE:
        return False
    # Other control characters (C0/C1) than the line break and the tab are never text.
    return char in "\n\t" or unicodedata.category(char) != "Cc"


def clean_text(text: str | None) -> str:
    """Return `text` without invisible characters, with `\\n` line ends, trimmed."""
    unified = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(char for char in unified if _visible(char))
    return _BLANK_LINES.sub("\n\n", kept).strip()


def one_line(text: str | None) -> str:
    """Return `text` cleaned and flattened: every run of white space becomes one space."""
    return _SPACES.sub(" ", clean_text(text)).strip()
