"""`snapreport console` refuses to start without CONSOLE_URL, and a bad one fails at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app


def test_console_needs_its_public_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    result = CliRunner().invoke(app, ["console"], env={"CONSOLE_URL": ""})
    assert result.exit_code == 2
    assert "CONSOLE_URL is not set" in result.output


def test_a_console_url_must_be_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["console"], env={"CONSOLE_URL": "ftp://example.org"})
    assert result.exit_code != 0
    assert "CONSOLE_URL is an http:// or https:// base URL" in str(result.exception) + (
        result.output
    )
