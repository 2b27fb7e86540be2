"""Debian's Chromium driven by Playwright, for the browser tests (the console, the sandbox).

Playwright's own browser downloads are never used. Screenshots go to $CONSOLE_SCREENSHOTS
(default: the test's tmp directory), so CI can keep them as artifacts.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from ui.charts import BUNDLED_FONT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fonts_conf(folder: Path) -> Path:
    """A fontconfig file naming the bundled Noto Sans SC: Chromium needs no system font."""
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{BUNDLED_FONT.parent}</dir><cachedir>{folder / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    return conf


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (one stat, before any await)
        if os.environ.get("CI"):
            pytest.fail("Chromium must be installed in CI (scripts/bootstrap.sh test)")
        pytest.skip("no /usr/bin/chromium here")
    # Chromium exits at its first page without any font; a machine may have none installed.
    env: dict[str, str | float | bool] = {**os.environ}
    env["FONTCONFIG_FILE"] = str(fonts_conf(tmp_path))
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, env=env
        )
        yield launched
        await launched.close()
