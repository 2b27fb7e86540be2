"""Files for supervision offices: XLSX, CSV and Open311-style JSON, as bytes.

Pure functions over the plain records of `tickets.records`, so `/export` and the CLI write
the same files. Two rules hold whatever the caller passes: an anonymous reporter's
identity never appears (the query layer does not fetch it, and these functions drop it
again), and real-name fields appear only with `include_identity=True`. Text typed by
citizens is written as text, never as a formula: cells starting with `=`, `+`, `-`, `@`
would otherwise run in Excel (CSV injection), so CSV cells get a leading apostrophe and
XLSX cells are typed as strings.

Sheet names, headers and labels (states, categories, ratings) are English message ids
translated by the `tr` the caller passes, in the requester's language: the files are
made in a worker thread, outside the update's locale context, as charts are.

Spreadsheet timestamps are local wall time in `tz` (Excel has no time zones); JSON ones
are ISO 8601 with their UTC offset, as Open311 GeoReport v2 expects. openpyxl is imported
by the first workbook written, not with this module, so a bot that never exports XLSX does
not hold it in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Final

from tickets.calendar import DEFAULT_TZ, zone
from tickets.categories import N_
from tickets.measures import DepartmentMeasures, SourceMeasures
from tickets.records import EventRecord, TicketRecord
from ui.categories import label_for
from ui.charts import STATE_NAMES, Translate
from ui.render import FINDING_NAMES, SANCTION_NAMES, SOURCE_NAMES

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FINAL_OPEN311_STATES: Final = frozenset({"closed", "rejected", "duplicate"})
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
# English message ids, translated into the requester's language when a file is written.
CARD_NAMES: Final[Mapping[str, str]] = {"yellow": N_("Yellow card"), "red": N_("Red card")}
SATISFACTION_NAMES: Final[Mapping[str, str]] = {
    "satisfied": N_("Satisfied"),
    "fair": N_("Fairly satisfied"),
    "unsatisfied": N_("Unsatisfied"),
}
ACTOR_NAMES: Final[Mapping[str, str]] = {
    "reporter": N_("Reporter"),
    "member": N_("Staff member"),
    "system": N_("System"),
    "supporter": N_("Supporter"),
    "office": N_("Supervision office"),  # a moderation step, as department members read it
}
SHEET_NAMES: Final = (N_("Ticket list"), N_("Event log"), N_("Department measures"))
SOURCES_SHEET: Final = N_("Measures by source")

Getter = Callable[[TicketRecord, Translate], Any]


def _label(names: Mapping[str, str], value: str | None, tr: Translate) -> str | None:
    if value is None:
        return None
    return tr(names[value]) if value in names else value


def category_name(slug: str, tr: Translate) -> str:
    """Return a category's name in `tr`'s language; an unknown slug stays as it is."""
    return label_for(slug, tr)


def satisfaction_text(record: TicketRecord, tr: Translate) -> str | None:
    """Return the reporter's rating in `tr`'s language, marking a default rating as such."""
    if record.satisfaction_default:
        return tr("Satisfied by default")
    return _label(SATISFACTION_NAMES, record.satisfaction, tr)


def _card_text(record: TicketRecord, tr: Translate) -> str | None:
    return tr(CARD_NAMES[record.card]) if record.card in CARD_NAMES else None  # "none": blank


def _actions_text(record: TicketRecord, tr: Translate) -> str | None:
    names = [_label(SANCTION_NAMES, action, tr) or action for action in record.finding_actions]
    return tr(", ").join(names) if names else None


def _shows_identity(record: TicketRecord, include_identity: bool) -> bool:
    return include_identity and not record.anonymous


TICKET_COLUMNS: Final[tuple[tuple[str, Getter], ...]] = (
    (N_("Tracking code"), lambda r, tr: r.code),
    (N_("Misconduct category"), lambda r, tr: category_name(r.category, tr)),
    (N_("State"), lambda r, tr: _label(STATE_NAMES, r.state, tr)),
    (N_("Handling department"), lambda r, tr: r.department),
    (N_("Filed at"), lambda r, tr: r.created_at),
    (N_("Accept by"), lambda r, tr: r.accept_by),
    (N_("Accepted at"), lambda r, tr: r.accepted_at),
    (N_("Resolve by"), lambda r, tr: r.resolve_by),
    (N_("Resolved at"), lambda r, tr: r.resolved_at),
    (N_("Closed at"), lambda r, tr: r.closed_at),
    (N_("Updated at"), lambda r, tr: r.updated_at),
    (N_("Place"), lambda r, tr: r.place_text),
    (N_("Latitude"), lambda r, tr: r.latitude),
    (N_("Longitude"), lambda r, tr: r.longitude),
    (N_("Source tag"), lambda r, tr: r.source_tag),
    (N_("Report text"), lambda r, tr: r.description),
    (N_("Reply"), lambda r, tr: r.public_reply),
    (N_("Reason for rejection"), lambda r, tr: r.reject_reason),
    (N_("Yellow/red card"), _card_text),
    (N_("Satisfaction"), satisfaction_text),
    (N_("Anonymous"), lambda r, tr: tr("Yes") if r.anonymous else tr("No")),
    (N_("Finding"), lambda r, tr: _label(FINDING_NAMES, r.finding, tr)),
    (N_("Action taken"), _actions_text),
    (N_("People concerned"), lambda r, tr: r.people_concerned),
    # Last, so the columns before it keep their places for existing spreadsheets.
    (N_("Unit reported"), lambda r, tr: r.unit_reported),
    (N_("Source"), lambda r, tr: _label(SOURCE_NAMES, r.intake_source, tr)),
)
IDENTITY_COLUMNS: Final[tuple[tuple[str, Getter], ...]] = (
    (N_("Real name"), lambda r, tr: r.real_name),
    (N_("Phone"), lambda r, tr: r.phone),
)
EVENT_HEADERS: Final = (
    N_("Tracking code"), N_("Time"), N_("Actor"), N_("Event"), N_("State before"),
    N_("State after"), N_("Text"),
)  # fmt: skip
DEPARTMENT_HEADERS: Final = (
    N_("Handling department"), N_("Received"), N_("On-time acceptance rate"), N_("Reply rate"),
    N_("On-time resolution rate"), N_("Satisfaction rate"), N_("Surveys answered"),
    N_("Satisfied by default"), N_("Reopen rate"), N_("Yellow cards"), N_("Red cards"),
    N_("Median hours to accept (working hours)"), N_("P90 hours to accept (working hours)"),
    N_("Median hours to resolve (working hours)"), N_("P90 hours to resolve (working hours)"),
    N_("Cases resolved with a finding"), N_("Substantiated cases"), N_("People dealt with"),
    N_("Substantiation rate"),
    # Last, so the columns before it keep their places for existing spreadsheets.
    N_("Praises received"),
)  # fmt: skip
RATE_COLUMNS: Final = frozenset({2, 3, 4, 5, 8, 18})
SOURCE_HEADERS: Final = (
    N_("Source"), N_("Received"), N_("On-time acceptance rate"), N_("Reply rate"),
    N_("On-time resolution rate"), N_("Satisfaction rate"), N_("Surveys answered"),
)  # fmt: skip
SOURCE_RATE_COLUMNS: Final = frozenset({2, 3, 4, 5})


def _ticket_header(include_identity: bool, tr: Translate) -> list[str]:
    columns = TICKET_COLUMNS + (IDENTITY_COLUMNS if include_identity else ())
    return [tr(header) for header, _ in columns]


def _ticket_values(record: TicketRecord, include_identity: bool, tr: Translate) -> list[Any]:
    values = [get(record, tr) for _, get in TICKET_COLUMNS]
    if include_identity:
        shown = _shows_identity(record, include_identity)
        values += [get(record, tr) if shown else None for _, get in IDENTITY_COLUMNS]
    return values


def _event_values(record: EventRecord, tr: Translate) -> list[Any]:
    return [
        record.code,
        record.at,
        _label(ACTOR_NAMES, record.actor_kind, tr),
        record.kind,  # a stable event code, for filtering; the chat shows it in words
        _label(STATE_NAMES, record.from_state, tr),
        _label(STATE_NAMES, record.to_state, tr),
        record.text,
    ]


def _department_values(department: DepartmentMeasures) -> list[Any]:
    m = department.measures
    c = m.counts
    return [
        department.name, c.received, m.on_time_accept_rate, m.reply_rate,
        m.on_time_resolve_rate, m.satisfaction_rate, c.answered, c.default_satisfied,
        m.reopen_rate, c.yellow_cards, c.red_cards, m.accept_hours.median, m.accept_hours.p90,
        m.resolve_hours.median, m.resolve_hours.p90, c.with_finding, c.substantiated,
        c.people_concerned, m.substantiation_rate, c.praises,
    ]  # fmt: skip


def _source_values(source: SourceMeasures, tr: Translate) -> list[Any]:
    m = source.measures
    return [
        _label(SOURCE_NAMES, source.source, tr), m.counts.received, m.on_time_accept_rate,
        m.reply_rate, m.on_time_resolve_rate, m.satisfaction_rate, m.counts.answered,
    ]  # fmt: skip


def _local(value: datetime, tz: tzinfo) -> datetime:
    return value.astimezone(tz).replace(tzinfo=None)


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any, tz: tzinfo, rate: bool) -> Cell:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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
    from openpyxl.utils import get_column_letter

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
    tr: Translate,
    tz: tzinfo | str = DEFAULT_TZ,
    include_identity: bool = False,
    sources: Sequence[SourceMeasures] = (),
) -> bytes:
    """Return a workbook with sheets of tickets, events and department measures, and the
    measures by source when `sources` are given.

    Sheet names, headers and labels are in `tr`'s language (the requester's), since the
    file is read by whoever asked for it; what people typed stays as they typed it.
    """
    from openpyxl import Workbook

    tz = zone(tz)
    tickets_sheet, events_sheet, measures_sheet = (tr(name) for name in SHEET_NAMES)
    workbook = Workbook(write_only=True)
    _write_sheet(
        workbook,
        tickets_sheet,
        _ticket_header(include_identity, tr),
        (_ticket_values(record, include_identity, tr) for record in tickets),
        tz,
    )
    _write_sheet(
        workbook,
        events_sheet,
        [tr(header) for header in EVENT_HEADERS],
        (_event_values(record, tr) for record in events),
        tz,
    )
    _write_sheet(
        workbook,
        measures_sheet,
        [tr(header) for header in DEPARTMENT_HEADERS],
        map(_department_values, departments),
        tz,
        RATE_COLUMNS,
    )
    if sources:
        _write_sheet(
            workbook,
            tr(SOURCES_SHEET),
            [tr(header) for header in SOURCE_HEADERS],
            (_source_values(source, tr) for source in sources),
            tz,
            SOURCE_RATE_COLUMNS,
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
    tr: Translate,
    tz: tzinfo | str = DEFAULT_TZ,
    include_identity: bool = False,
) -> bytes:
    """Return the tickets as UTF-8 CSV with a byte-order mark, so Excel reads the Chinese."""
    tz = zone(tz)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_ticket_header(include_identity, tr))
    for record in tickets:
        writer.writerow(_csv_text(v, tz) for v in _ticket_values(record, include_identity, tr))
    return buffer.getvalue().encode("utf-8-sig")


def _iso(value: datetime | None, tz: tzinfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat(timespec="seconds")


def open311_request(
    record: TicketRecord,
    *,
    tr: Translate,
    tz: tzinfo | str = DEFAULT_TZ,
    include_identity: bool = False,
) -> dict[str, Any]:
    """Return one ticket as an Open311 GeoReport v2 service request, extras apart.

    Only `service_name` is for people, so only it follows `tr`; codes stay stable.
    """
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
        "finding": record.finding,
        "finding_actions": list(record.finding_actions),
        "people_concerned": record.people_concerned,
        "unit_reported": record.unit_reported,
    }
    if _shows_identity(record, include_identity):
        extended["reporter"] = {"real_name": record.real_name, "phone": record.phone}
    return {
        "service_request_id": record.code,
        "status": "closed" if record.state in FINAL_OPEN311_STATES else "open",
        "status_notes": record.public_reply or record.reject_reason,
        "service_name": category_name(record.category, tr),
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
    tr: Translate,
    tz: tzinfo | str = DEFAULT_TZ,
    include_identity: bool = False,
) -> bytes:
    """Return the tickets as a JSON array of Open311 GeoReport v2 service requests."""
    requests = [
        open311_request(r, tr=tr, tz=tz, include_identity=include_identity) for r in tickets
    ]
    return json.dumps(requests, ensure_ascii=False, indent=2).encode("utf-8")
