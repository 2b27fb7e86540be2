"""`snapreport export` writes a valid XLSX, CSV or Open311 JSON file of a period, with
identities only on request and never an anonymous reporter's."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli import app
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from tests.keys import TEST_KEYS
from tests.stats.dataset import ANON_NAME, ANON_PHONE, REAL_NAME, REAL_PHONE, build_dataset


async def load_dataset(url: str) -> None:
    engine = create_engine(url, keys=TEST_KEYS)
    try:
        await build_dataset(create_session_factory(engine))
    finally:
        await engine.dispose()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The statistics tests' known data set (the week of 3 March 2025), in a SQLite file."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade(url)
    asyncio.run(load_dataset(url))
    monkeypatch.chdir(tmp_path)  # no stray .env; default output files land here
    return url


def export(database: str, *args: str) -> str:
    result = CliRunner().invoke(
        app,
        ["export", "--from", "2025-03-03", "--to", "2025-03-09", *args],
        env={"DATABASE_URL": database, "TIMEZONE": "Asia/Shanghai"},
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_json_export_is_open311(database: str, tmp_path: Path) -> None:
    out = tmp_path / "requests.json"
    assert "8 ticket(s) written to" in export(database, "--format", "json", "--out", str(out))
    requests = json.loads(out.read_text(encoding="utf-8"))
    assert [r["service_request_id"] for r in requests][:2] == ["SR-A4", "SR-A1"]
    first = requests[1]
    for key in ("status", "service_name", "agency_responsible", "requested_datetime", "lat"):
        assert key in first
    assert (first["status"], first["agency_responsible"]) == ("closed", "城管局")
    text = out.read_text(encoding="utf-8")
    assert REAL_NAME not in text and ANON_NAME not in text


def test_xlsx_export_by_default_with_identity_only_for_real_names(database: str) -> None:
    output = export(database, "--identity")
    path = Path("snapreport-2025-03-03_2025-03-09.xlsx")
    assert str(path) in output and path.exists()
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["工单", "事件", "部门指标", "按来源指标"]
    cells = [str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]
    book.close()
    assert REAL_NAME in cells and REAL_PHONE in cells
    assert ANON_NAME not in cells and ANON_PHONE not in cells


def test_csv_export_and_a_backwards_period(database: str, tmp_path: Path) -> None:
    out = tmp_path / "tickets.csv"
    export(database, "--format", "csv", "--out", str(out))
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 9  # header + 8 tickets

    result = CliRunner().invoke(
        app,
        ["export", "--from", "2025-03-09", "--to", "2025-03-03"],
        env={"DATABASE_URL": database},
    )
    assert result.exit_code == 2 and "--to must not be before --from" in result.output


def test_lang_en_writes_english_headers_and_sheet_names(database: str, tmp_path: Path) -> None:
    out = tmp_path / "tickets.xlsx"
    export(database, "--lang", "en", "--out", str(out))
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == [
        "Ticket list",
        "Event log",
        "Department measures",
        "Measures by source",
    ]
    headers = [str(c) for sheet in book for c in next(sheet.iter_rows(values_only=True))]
    states = {row[2] for row in book["Ticket list"].iter_rows(min_row=2, values_only=True)}
    book.close()
    assert not [h for h in headers if re.search(r"[\u3400-\u9fff\uf900-\ufaff]", h)]
    assert states <= {"New", "Accepted", "In progress", "Resolved", "Closed", "Rejected",
                      "Duplicate", "Reopened"} and states  # fmt: skip
