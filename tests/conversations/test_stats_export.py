"""`/export` sends an XLSX and a CSV of the actor's scope, in the requester's language;
identities only on request, only to administrators, and never an anonymous reporter's."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from openpyxl import load_workbook

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from emulator.views import ChatMessage
from storage.directory import INTAKE_DEPARTMENT_NAME
from tests.conversations.staff import leaks, make_department_with_rule, new_ticket

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
ENGLISH_SHEETS = ["Ticket list", "Event log", "Department measures", "Measures by source"]
CHINESE_SHEETS = ["工单", "事件", "部门指标", "按来源指标"]


async def exported(
    user: ChatUser, args: str = "", *, done: str = "Export ready"
) -> tuple[ChatMessage, ChatMessage]:
    """Send /export and return the XLSX and the CSV documents, once it says it is done."""
    await user.command("export", args)
    await user.expect(done, timeout=10)
    documents = [m for m in await user.messages() if m.from_bot and m.document]
    xlsx, csv_file = documents[-2:]
    assert xlsx.document and xlsx.document.file_name
    assert csv_file.document and csv_file.document.file_name
    assert xlsx.document.file_name.endswith(".xlsx") and csv_file.document.file_name.endswith(
        ".csv"
    )
    return xlsx, csv_file


def workbook_text(
    data: bytes, sheet_names: list[str] = ENGLISH_SHEETS
) -> tuple[list[list[Any]], str]:
    """The ticket sheet's rows, and every cell of every sheet as one text."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheets = {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book
    }
    book.close()
    assert list(sheets) == sheet_names
    text = "\n".join(str(cell) for rows in sheets.values() for row in rows for cell in row)
    return sheets[sheet_names[0]], text


async def test_admin_export_holds_every_ticket_and_no_anonymous_identity(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    named = await client.chat_user(first_name="Lina", last_name="Qiao", language_code="en")
    await make_department_with_rule(app, "Traffic Police", category="car")
    anonymous = await new_ticket(app, citizen)
    real = await new_ticket(app, named, category="car", real_name=True)

    xlsx, csv_file = await exported(admin)
    assert "Tickets received 2026-11-01 – 2026-11-30: 2" in xlsx.content
    rows, text = workbook_text(await admin.download(xlsx))
    assert "Real name" not in rows[0]  # no identity columns without the flag
    # An English-speaking admin: no Chinese left but the office's own department name.
    assert not CJK.search(text.replace(INTAKE_DEPARTMENT_NAME, ""))
    assert {row[0] for row in rows[1:]} == {anonymous.code, real.code}
    assert not leaks([text], citizen) and not leaks([text], named)

    raw = await admin.download(csv_file)
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads the Chinese
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) == 3 and not leaks([raw.decode("utf-8-sig")], citizen)
    assert table[0][:3] == ["Tracking code", "Misconduct category", "State"]
    assert not CJK.search(raw.decode("utf-8-sig").replace(INTAKE_DEPARTMENT_NAME, ""))

    xlsx, csv_file = await exported(admin, "identity")
    assert "real-name reporters" in xlsx.content
    rows, text = workbook_text(await admin.download(xlsx))
    assert "Real name" in rows[0] and "Lina Qiao" in text and named.phone_number in text
    assert not leaks([text, (await admin.download(csv_file)).decode("utf-8-sig")], citizen)


async def test_supervisor_exports_their_department_without_identities(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    named = await client.chat_user(first_name="Lina", last_name="Qiao", language_code="en")
    await make_department_with_rule(app, "Traffic Police", category="car")
    own = await new_ticket(app, named, real_name=True)  # the intake department: theirs
    other = await new_ticket(app, citizen, category="car")

    await supervisor.command("export", "identity")
    await supervisor.expect("Real names are exported for administrators only")
    await supervisor.expect("Export ready: 1 ticket(s)", timeout=10)
    xlsx = [m for m in await supervisor.messages() if m.document][-2]
    rows, text = workbook_text(await supervisor.download(xlsx))
    assert [row[0] for row in rows[1:]] == [own.code]
    assert other.code not in text and "Traffic Police" not in text
    assert not leaks([text], named) and "Real name" not in rows[0]


async def test_export_periods_and_usage(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser
) -> None:
    await new_ticket(app, citizen)
    await admin.command("export", "2026-11-24 2026-11-30")
    await admin.expect("Export ready: 0 ticket(s), 2026-11-24 – 2026-11-30", timeout=10)
    await admin.command("export", "week")
    await admin.expect("Export ready: 1 ticket(s), 2026-11-23 – 2026-11-29", timeout=10)
    await admin.command("export", "last year")
    await admin.expect("/export [week|month|quarter|FIRST LAST] [identity]")


async def test_export_follows_a_chinese_speaking_admin(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen)
    await admin.command("lang")
    await admin.expect("Choose your language")
    await admin.press("中文")
    await admin.expect("中文")
    xlsx, csv_file = await exported(admin, done="导出完成")
    rows, _ = workbook_text(await admin.download(xlsx), CHINESE_SHEETS)
    assert rows[0][:3] == ["举报编号", "类别", "状态"]
    assert rows[1][0] == ticket.code and rows[1][2] == "待受理"
    table = list(csv.reader(io.StringIO((await admin.download(csv_file)).decode("utf-8-sig"))))
    assert table[0] == [str(header) for header in rows[0]]
