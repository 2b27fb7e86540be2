"""Exports reopen with the right content and never show an anonymous reporter's identity."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from storage.stats import load_department_measures, load_event_records, load_ticket_records
from tests.stats.conftest import StatsDb
from tests.stats.dataset import (
    ANON_NAME,
    ANON_PHONE,
    ANON_USER,
    AS_OF,
    PERIOD,
    REAL_NAME,
    REAL_PHONE,
    REAL_USER,
    STAFF_USER,
)
from tickets.measures import DepartmentMeasures
from tickets.records import EventRecord, TicketRecord
from ui.exports import export_csv, export_json, export_xlsx
from ui.i18n import create_i18n, translator

# Only the database tests share the module's event loop (and its data set).
module_loop = pytest.mark.asyncio(loop_scope="module")
I18N = create_i18n("zh_CN")
ZH, EN = translator(I18N, "zh_CN"), translator(I18N, "en")

Loaded = tuple[list[TicketRecord], list[EventRecord], list[DepartmentMeasures]]


async def _load(db: StatsDb, include_identity: bool) -> Loaded:
    async with db.sessions() as session:
        tickets = await load_ticket_records(session, PERIOD, include_identity=include_identity)
        events = await load_event_records(session, PERIOD)
    departments = await load_department_measures(db.sessions, PERIOD, as_of=AS_OF)
    return tickets, events, departments


def _all_exports(loaded: Loaded, include_identity: bool) -> dict[str, bytes]:
    tickets, events, departments = loaded
    return {
        "xlsx": export_xlsx(
            tickets, events, departments, tr=ZH, include_identity=include_identity
        ),
        "csv": export_csv(tickets, tr=ZH, include_identity=include_identity),
        "json": export_json(tickets, tr=ZH, include_identity=include_identity),
    }


def _xlsx_text(data: bytes) -> str:
    workbook = load_workbook(io.BytesIO(data))
    return "\n".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def _text(kind: str, data: bytes) -> str:
    return _xlsx_text(data) if kind == "xlsx" else data.decode("utf-8-sig")


def _secrets_of_anonymous() -> tuple[str, ...]:
    return (ANON_NAME, ANON_PHONE, str(ANON_USER), str(REAL_USER), str(STAFF_USER))


@module_loop
@pytest.mark.parametrize("include_identity", [False, True])
async def test_no_export_leaks_an_anonymous_identity(
    stats_db: StatsDb, include_identity: bool
) -> None:
    exports = _all_exports(await _load(stats_db, include_identity), include_identity)
    for kind, data in exports.items():
        text = _text(kind, data)
        assert "SR-A1" in text, kind
        for secret in _secrets_of_anonymous():
            assert secret not in text, (kind, secret)


@module_loop
async def test_real_name_appears_only_with_the_identity_flag(
    stats_db: StatsDb,
) -> None:
    loaded = await _load(stats_db, include_identity=True)
    shown = _all_exports(loaded, include_identity=True)
    hidden = _all_exports(loaded, include_identity=False)
    for kind in shown:
        assert REAL_NAME in _text(kind, shown[kind]) and REAL_PHONE in _text(kind, shown[kind])
        assert REAL_NAME not in _text(kind, hidden[kind]), kind
        assert REAL_PHONE not in _text(kind, hidden[kind]), kind


def test_export_drops_identity_of_anonymous_records_even_if_given() -> None:
    leaky = replace(_record(), anonymous=True, real_name=ANON_NAME, phone=ANON_PHONE)
    for kind, data in _all_exports(([leaky], [], []), include_identity=True).items():
        assert ANON_NAME not in _text(kind, data) and ANON_PHONE not in _text(kind, data)


@module_loop
async def test_xlsx_has_three_sheets_with_frozen_headers_and_filters(
    stats_db: StatsDb,
) -> None:
    tickets, events, departments = await _load(stats_db, include_identity=False)
    workbook = load_workbook(io.BytesIO(export_xlsx(tickets, events, departments, tr=ZH)))
    assert workbook.sheetnames == ["工单", "事件", "部门指标"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        last = f"{get_column_letter(sheet.max_column)}{sheet.max_row}"
        assert sheet.auto_filter.ref == f"A1:{last}"
    rows = list(workbook["工单"].iter_rows(values_only=True))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert "实名姓名" not in header
    assert len(rows) == 1 + 8
    assert first["举报编号"] == "SR-A4"  # filed first, at 00:00 on Monday
    assert first["状态"] == "已退回" and first["退回理由"] == "不属实"
    assert str(first["提交时间"]) == "2025-03-03 00:00:00"  # local wall time
    events_rows = list(workbook["事件"].iter_rows(values_only=True))
    assert len(events_rows) == 1 + 8  # X0's two events are outside the period
    measures = {row[0]: row for row in workbook["部门指标"].iter_rows(values_only=True)}
    assert measures["城管局"][1:5] == (5, 0.5, 0.75, 0.5)
    assert workbook["部门指标"]["C2"].number_format == "0.0%"


@module_loop
async def test_csv_reopens_with_chinese_headers(stats_db: StatsDb) -> None:
    tickets, _, _ = await _load(stats_db, include_identity=False)
    data = export_csv(tickets, tr=ZH)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["举报编号"] for row in rows][:3] == ["SR-A4", "SR-A1", "SR-A5"]
    b1 = next(row for row in rows if row["举报编号"] == "SR-B1")
    assert b1["满意度"] == "默认满意" and b1["匿名"] == "否"
    assert b1["提交时间"] == "2025-03-05T10:00:00+08:00"


@module_loop
async def test_json_uses_open311_names(stats_db: StatsDb) -> None:
    tickets, _, _ = await _load(stats_db, include_identity=False)
    requests: list[dict[str, Any]] = json.loads(export_json(tickets, tr=ZH))
    by_id = {r["service_request_id"]: r for r in requests}
    a2 = by_id["SR-A2"]
    assert a2["status"] == "open" and by_id["SR-A4"]["status"] == "closed"
    assert a2["service_name"] == "态度生硬/刁难" and a2["service_code"] == "rude"
    assert a2["agency_responsible"] == "城管局"
    assert a2["status_notes"] == "已整改"
    assert a2["requested_datetime"] == "2025-03-07T17:00:00+08:00"
    assert {"updated_datetime", "lat", "long", "description"} <= set(a2)
    assert "reporter" not in a2["extended_attributes"]


def test_citizen_text_never_becomes_a_formula() -> None:
    record = replace(_record(), description='=HYPERLINK("http://x","点我")', place_text="+1")
    workbook = load_workbook(io.BytesIO(export_xlsx([record], tr=ZH)))
    cells = {c.value: c.data_type for row in workbook["工单"].iter_rows(min_row=2) for c in row}
    assert cells[record.description] == "s"
    rows = list(csv.reader(io.StringIO(export_csv([record], tr=ZH).decode("utf-8-sig"))))
    assert '\'=HYPERLINK("http://x","点我")' in rows[1] and "'+1" in rows[1]


def _record() -> TicketRecord:
    return TicketRecord(
        code="SR-T1", category="other", state="new", department="城管局", description="x",
        place_text=None, latitude=None, longitude=None, source_tag=None, anonymous=False,
        card="none", satisfaction=None, satisfaction_default=False, public_reply=None,
        reject_reason=None, created_at=AS_OF, updated_at=AS_OF, accept_by=None,
        accepted_at=None, resolve_by=None, resolved_at=None, closed_at=None,
    )  # fmt: skip
