"""Files for supervision offices: XLSX, CSV and Open311-style JSON, as bytes.

Pure functions over the plain records of `tickets.records`, so `/export` and the CLI write
the same files. Two rules hold whatever the caller passes: an anonymous reporter's
identity never appears (the query layer does not fetch it, and these functions drop it
again), and real-name fields appear only with `include_identity=True`. Text typed by
citizens is written as text, never as a formula: cells starting with `=`, `+`, `-`, `@`
would otherwise run in Excel (CSV injection), so CSV cells get a leading apostrophe and
XLSX cells are typed as strings.

Spreadsheet timestamps are local wall time in `tz` (Excel has no time zones); JSON ones
are ISO 8601 with their UTC offset, as Open311 GeoReport v2 expects.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from tickets.calendar import DEFAULT_TZ, zone
from tickets.measures import DepartmentMeasures
from tickets.records import EventRecord, TicketRecord
from ui.charts import CATEGORY_LABELS, STATE_LABELS

FINAL_OPEN311_STATES: Final = frozenset({"closed", "rejected", "duplicate"})
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
CARD_LABELS: Final = {"yellow": "黄牌", "red": "红牌"}
SATISFACTION_LABELS: Final = {"satisfied": "满意", "fair": "基本满意", "unsatisfied": "不满意"}
ACTOR_LABELS: Final = {"reporter": "举报人", "member": "工作人员", "system": "系统"}

Getter = Callable[[TicketRecord], Any]


def _label(labels: Mapping[str, str], value: str | None) -> str | None:
    return None if value is None else labels.get(value, value)


def satisfaction_text(record: TicketRecord) -> str | None:
    """Return the reporter's rating in Chinese, marking a default rating as such."""
    if record.satisfaction_default:
        return "默认满意"
    return _label(SATISFACTION_LABELS, record.satisfaction)


def _shows_identity(record: TicketRecord, include_identity: bool) -> bool:
    return include_identity and not record.anonymous


TICKET_COLUMNS: Final[tuple[tuple[str, Getter], ...]] = (
    ("举报编号", lambda r: r.code),
    ("类别", lambda r: _label(CATEGORY_LABELS, r.category)),
    ("状态", lambda r: _label(STATE_LABELS, r.state)),
    ("承办部门", lambda r: r.department),
    ("提交时间", lambda r: r.created_at),
    ("受理期限", lambda r: r.accept_by),
    ("受理时间", lambda r: r.accepted_at),
    ("办结期限", lambda r: r.resolve_by),
    ("办结时间", lambda r: r.resolved_at),
    ("关闭时间", lambda r: r.closed_at),
    ("更新时间", lambda r: r.updated_at),
    ("地点", lambda r: r.place_text),
    ("纬度", lambda r: r.latitude),
    ("经度", lambda r: r.longitude),
    ("来源标签", lambda r: r.source_tag),
    ("反映内容", lambda r: r.description),
    ("答复", lambda r: r.public_reply),
    ("退回理由", lambda r: r.reject_reason),
    ("黄牌/红牌", lambda r: CARD_LABELS.get(r.card)),
    ("满意度", satisfaction_text),
    ("匿名", lambda r: "是" if r.anonymous else "否"),
)
IDENTITY_COLUMNS: Final[tuple[tuple[str, Getter], ...]] = (
    ("实名姓名", lambda r: r.real_name),
    ("联系电话", lambda r: r.phone),
)
EVENT_HEADERS: Final = ("举报编号", "时间", "操作方", "事件", "原状态", "新状态", "内容")
DEPARTMENT_HEADERS: Final = (
    "承办部门", "收件数", "受理及时率", "答复率", "按期办结率", "满意率", "已答复问卷",
    "默认满意", "重新办理率", "黄牌", "红牌", "受理用时中位数（工作小时）",
    "受理用时P90（工作小时）", "办结用时中位数（工作小时）", "办结用时P90（工作小时）",
)  # fmt: skip
RATE_COLUMNS: Final = frozenset({2, 3, 4, 5, 8})


def _ticket_header(include_identity: bool) -> list[str]:
    columns = TICKET_COLUMNS + (IDENTITY_COLUMNS if include_identity else ())
    return [header for header, _ in columns]


def _ticket_values(record: TicketRecord, include_identity: bool) -> list[Any]:
    values = [get(record) for _, get in TICKET_COLUMNS]
    if include_identity:
        shown = _shows_identity(record, include_identity)
        values += [get(record) if shown else None for _, get in IDENTITY_COLUMNS]
    return values


def _event_values(record: EventRecord) -> list[Any]:
    return [
        record.code,
        record.at,
        ACTOR_LABELS.get(record.actor_kind, record.actor_kind),
        record.kind,
        _label(STATE_LABELS, record.from_state),
        _label(STATE_LABELS, record.to_state),
        record.text,
    ]


def _department_values(department: DepartmentMeasures) -> list[Any]:
    m = department.measures
    c = m.counts
    return [
        department.name, c.received, m.on_time_accept_rate, m.reply_rate,
        m.on_time_resolve_rate, m.satisfaction_rate, c.answered, c.default_satisfied,
        m.reopen_rate, c.yellow_cards, c.red_cards, m.accept_hours.median, m.accept_hours.p90,
        m.resolve_hours.median, m.resolve_hours.p90,
    ]  # fmt: skip


def _local(value: datetime, tz: tzinfo) -> datetime:
    return value.astimezone(tz).replace(tzinfo=None)


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any, tz: tzinfo, rate: bool) -> Cell:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, _local(value, tz))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # a citizen's "=..." stays text, never a formula
        return cell
    cell = WriteOnlyCell(sheet, value)
    if rate and isinstance(value, float):
        cell.number_format = "0.0%"
    elif isinstance(value, float):
        cell.number_format = "0.0"
    return cell


def _write_sheet(
    workbook: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    tz: tzinfo,
    rate_columns: frozenset[int] = frozenset(),
) -> None:
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(sheet, name, tz, False) for name in header])
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v, tz, i in rate_columns) for i, v in enumerate(row)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"


def export_xlsx(
    tickets: Sequence[TicketRecord],
    events: Sequence[EventRecord] = (),
    departments: Sequence[DepartmentMeasures] = (),
    *,
    tz: tzinfo | str = DEFAULT_TZ,
    include_identity: bool = False,
) -> bytes:
    """Return a workbook with sheets 工单 (tickets), 事件 (events) and 部门指标 (measures)."""
    tz = zone(tz)
    workbook = Workbook(write_only=True)
    _write_sheet(
        workbook,
        "工单",
        _ticket_header(include_identity),
        (_ticket_values(record, include_identity) for record in tickets),
        tz,
    )
    _write_sheet(workbook, "事件", EVENT_HEADERS, map(_event_values, events), tz)
    _write_sheet(
        workbook,
        "部门指标",
        DEPARTMENT_HEADERS,
        map(_department_values, departments),
        tz,
        RATE_COLUMNS,
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_text(value: Any, tz: tzinfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def export_csv(
    tickets: Sequence[TicketRecord],
    *,
    tz: tzinfo | str = DEFAULT_TZ,
    include_identity: bool = False,
) -> bytes:
    """Return the tickets as UTF-8 CSV with a byte-order mark, so Excel reads the Chinese."""
    tz = zone(tz)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_ticket_header(include_identity))
    for record in tickets:
        writer.writerow(_csv_text(v, tz) for v in _ticket_values(record, include_identity))
    return buffer.getvalue().encode("utf-8-sig")


def _iso(value: datetime | None, tz: tzinfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat(timespec="seconds")


def open311_request(
    record: TicketRecord, *, tz: tzinfo | str = DEFAULT_TZ, include_identity: bool = False
) -> dict[str, Any]:
    """Return one ticket as an Open311 GeoReport v2 service request, extras apart."""
    tz = zone(tz)
    extended: dict[str, Any] = {
        "state": record.state,
        "card": record.card,
        "satisfaction": record.satisfaction,
        "satisfaction_default": record.satisfaction_default,
        "anonymous": record.anonymous,
        "source_tag": record.source_tag,
        "accept_by": _iso(record.accept_by, tz),
        "accepted_datetime": _iso(record.accepted_at, tz),
        "resolved_datetime": _iso(record.resolved_at, tz),
        "closed_datetime": _iso(record.closed_at, tz),
    }
    if _shows_identity(record, include_identity):
        extended["reporter"] = {"real_name": record.real_name, "phone": record.phone}
    return {
        "service_request_id": record.code,
        "status": "closed" if record.state in FINAL_OPEN311_STATES else "open",
        "status_notes": record.public_reply or record.reject_reason,
        "service_name": CATEGORY_LABELS.get(record.category, record.category),
        "service_code": record.category,
        "description": record.description,
        "agency_responsible": record.department,
        "requested_datetime": _iso(record.created_at, tz),
        "updated_datetime": _iso(record.updated_at, tz),
        "expected_datetime": _iso(record.resolve_by, tz),
        "address": record.place_text,
        "lat": record.latitude,
        "long": record.longitude,
        "extended_attributes": extended,
    }


def export_json(
    tickets: Sequence[TicketRecord],
    *,
    tz: tzinfo | str = DEFAULT_TZ,
    include_identity: bool = False,
) -> bytes:
    """Return the tickets as a JSON array of Open311 GeoReport v2 service requests."""
    requests = [open311_request(r, tz=tz, include_identity=include_identity) for r in tickets]
    return json.dumps(requests, ensure_ascii=False, indent=2).encode("utf-8")
