"""The translation catalogs are complete, consistent with the code, and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from ui.i18n import DOMAIN, LOCALES_DIR

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def catalog(locale: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_every_chinese_entry_is_translated_with_the_same_placeholders() -> None:
    missing, mismatched = [], []
    for message in catalog("zh_CN"):
        if not message.id or not isinstance(message.id, str):
            continue
        if not message.string or message.fuzzy:
            missing.append(message.id)
        elif sorted(PLACEHOLDER.findall(message.id)) != sorted(
            PLACEHOLDER.findall(str(message.string))
        ):
            mismatched.append(message.id)
    assert not missing, f"untranslated: {missing[:10]}"
    assert not mismatched, f"placeholders differ: {mismatched[:10]}"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_compiled_catalog_matches_its_source(locale: str) -> None:
    """A .po edited without `scripts/i18n.sh compile` would ship stale text."""
    with (LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in catalog(locale):
        if message.id and isinstance(message.id, str) and message.string:
            assert compiled.gettext(message.id) == message.string, message.id


def test_catalog_covers_every_message_in_the_code() -> None:
    """Every `_()` string in the code has a zh_CN entry (run scripts/i18n.sh after edits)."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[2]
    known = {m.id for m in catalog("zh_CN")}
    used: set[str] = set()
    for package in ("bot", "handlers", "tickets", "scheduler"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            root / package, keywords={"_": None, "__": None, "N_": None, "lazy_gettext": None}
        ):
            if isinstance(message, str):
                used.add(message)
    assert not used - known, f"not in the catalog: {sorted(used - known)[:10]}"
