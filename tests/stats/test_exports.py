"""Exports reopen with the right content and never show an anonymous reporter's identity."""

from __future__ import annotations

import csv
import io
import json
import re
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
from tickets.findings import Finding, Sanction
from tickets.measures import Counts, DepartmentMeasures, build_measures
from tickets.records import EventRecord, TicketRecord
from tickets.states import TicketState
from ui.exports import export_csv, export_json, export_xlsx
from ui.i18n import create_i18n, translator

# Only the database tests share the module's event loop (and its data set).
module_loop = pytest.mark.asyncio(loop_scope="module")
I18N = create_i18n("zh_CN")
ZH, EN = translator(I18N, "zh_CN"), translator(I18N, "en")
OLD_NINE = ["absent", "idle", "rude", "extortion", "car", "banquet", "gifts", "buck", "other"]

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
    assert measures["城管局"][-5:-1] == (1, 1, 2, 1.0)  # A1: 查实, 2 people
    assert measures["城管局"][-1] == 0  # no praise in this data set
    assert measures["交通局"][-5:-1] == (2, 1, 1, 0.5)  # X0 部分属实 1 person; B1 不属实
    a1 = dict(zip(rows[0], next(row for row in rows if row[0] == "SR-A1"), strict=True))
    assert (a1["核查结果"], a1["处理措施"], a1["处理人数"]) == ("查实", "批评教育、责令整改", 2)
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
    assert a2["extended_attributes"]["finding"] == "substantiated"
    assert a2["extended_attributes"]["finding_actions"] == ["rectify"]
    assert a2["extended_attributes"]["people_concerned"] == 5


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


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# category, state, card, satisfaction, anonymous, finding, actions taken
LABEL_COLUMNS = {1, 2, 18, 19, 20, 21, 22}


def _every_label() -> tuple[list[TicketRecord], list[EventRecord], list[DepartmentMeasures]]:
    """Records in ASCII data that between them show every state, category, card, rating."""
    ratings = (("satisfied", False), ("fair", False), ("unsatisfied", False), (None, True))
    tickets = [
        replace(
            _record(),
            code=f"SR-E{index}",
            category=category,
            state=state,
            department="Transport Office",
            description="Desk empty at 10:00",
            reject_reason="Not confirmed",
            card=("none", "yellow", "red")[index % 3],
            satisfaction=ratings[index % 4][0],
            satisfaction_default=ratings[index % 4][1],
            anonymous=bool(index % 2),
            finding=([*Finding, None])[index % 5],
            finding_actions=tuple(Sanction)[index % 7 : index % 7 + 2],
            people_concerned=index + 1,
        )
        for index, (category, state) in enumerate(
            zip(
                OLD_NINE * 2,
                list(TicketState) * 2,
                strict=False,
            )
        )
    ]
    events = [
        EventRecord("SR-E1", AS_OF, actor, "accept", "new", "accepted", "ok")
        for actor in ("reporter", "member", "system")
    ]
    measures = build_measures(Counts(received=3, accept_due=2, accepted_on_time=1, satisfied=1))
    return tickets, events, [DepartmentMeasures(1, "Transport Office", measures)]


def _sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    workbook = load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def test_english_export_has_no_chinese_word_left() -> None:
    tickets, events, departments = _every_label()
    data = export_xlsx(tickets, events, departments, tr=EN, include_identity=True)
    sheets = _sheets(data)
    assert list(sheets) == ["Ticket list", "Event log", "Department measures"]
    cells = [str(c) for rows in sheets.values() for row in rows for c in row if c is not None]
    assert not [cell for cell in cells if CJK.search(cell)]
    assert not [name for name in sheets if CJK.search(name)]
    rows = sheets["Ticket list"]
    assert rows[0][:3] == ("Tracking code", "Misconduct category", "State")
    assert rows[0][-2:] == ("Real name", "Phone")
    labels = {rows[0][i]: {row[i] for row in rows[1:]} for i in LABEL_COLUMNS}
    assert labels["State"] == {"New", "Accepted", "In progress", "Resolved", "Closed",
                               "Rejected", "Duplicate", "Reopened"}  # fmt: skip
    assert "Harsh attitude or obstruction" in labels["Misconduct category"]
    assert labels["Yellow/red card"] == {None, "Yellow card", "Red card"}
    assert labels["Satisfaction"] == {"Satisfied", "Fairly satisfied", "Unsatisfied",
                                      "Satisfied by default"}  # fmt: skip
    assert labels["Anonymous"] == {"Yes", "No"}
    assert labels["Finding"] == {"Substantiated", "Partly substantiated", "Unsubstantiated",
                                 "Cannot be verified", None}  # fmt: skip
    actions = ", ".join(str(cell) for cell in labels["Action taken"])
    assert "Criticism and education, Ordered to rectify" in actions
    assert "Referred to the judiciary" in actions and "Admonishment talk" in actions
    assert rows[0][21:24] == ("Finding", "Action taken", "People concerned")
    assert {row[2] for row in sheets["Event log"][1:]} == {"Reporter", "Staff member", "System"}

    csv_text = export_csv(tickets, tr=EN, include_identity=True).decode("utf-8-sig")
    assert not CJK.search(csv_text)
    assert next(csv.reader(io.StringIO(csv_text))) == [str(h) for h in rows[0]]
    json_text = export_json(tickets, tr=EN).decode("utf-8")
    assert not CJK.search(json_text) and '"Improper dining"' in json_text


def test_chinese_export_names_and_labels_are_chinese() -> None:
    tickets, events, departments = _every_label()
    sheets = _sheets(export_xlsx(tickets, events, departments, tr=ZH, include_identity=True))
    assert list(sheets) == ["工单", "事件", "部门指标"]
    headers = [h for rows in sheets.values() for h in rows[0]]
    assert all(CJK.search(str(header)) for header in headers), headers
    rows = sheets["工单"]
    labels = [row[i] for row in rows[1:] for i in LABEL_COLUMNS if row[i] is not None]
    labels += [row[i] for row in sheets["事件"][1:] for i in (2, 4, 5)]
    assert labels and all(CJK.search(str(label)) for label in labels), labels
    csv_header = export_csv(tickets, tr=ZH).decode("utf-8-sig").splitlines()[0].split(",")
    assert all(CJK.search(header) for header in csv_header), csv_header
