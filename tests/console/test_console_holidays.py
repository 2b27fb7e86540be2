"""The deadlines page's holidays: administrators add a holiday or a make-up working day
(over the package and HOLIDAYS_FILE) and remove one, each change audited; bad input is
refused with nothing stored; deadlines set afterwards count on the new calendar, those
already set stay."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.app import SnapreportApp
from config.logs import user_hash
from emulator.client import ChatUser
from storage.calendar_days import SqlCalendarDays
from tests.console.test_console_config import CSRF, csrf_of, post, urls
from tests.console.test_console_oversight import signed_in
from tests.conversations.staff import config_changes, new_ticket, prefer_language, security_events
from tests.conversations.steps import file_report, ticket_by_code
from tickets.holidays import CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 18, tzinfo=SHANGHAI)


async def console_days(app: SnapreportApp) -> list[tuple[date, bool, str]]:
    async with app.session_factory() as session:
        return [(d.day, d.working, d.name) for d in await SqlCalendarDays(session).list_days()]


async def test_a_holiday_added_in_the_console_moves_later_deadlines_only(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, console_port: int
) -> None:
    await prefer_language(app, citizen)
    before = await new_ticket(app, citizen)  # Monday 2026-11-23, the clock's day
    base = f"{urls(console_port)}/deadlines"
    async with await signed_in(admin, app) as http:
        csrf = await csrf_of(http, base)
        holiday = {"kind": "holiday", "date": "2026-11-24", "name": "Office closed"}
        status, page = await post(http, f"{base}/days", csrf, **holiday)
        added = "2026-11-24: holiday Office closed added; deadlines set from now on skip it."
        assert status == 200 and added in page
        assert "<td>2026-11-24</td>" in page and "set in the console" in page
        assert 'action="/console/config/deadlines/days/2026-11-24/remove"' in page
        assert f"<code>{user_hash(admin.id)}</code>" in page  # who added it

        code = await file_report(citizen)
        after = await ticket_by_code(app, code)
        assert (after.accept_by, after.resolve_by) == (local(11, 25), local(12, 1))
        kept = await ticket_by_code(app, before.code)
        assert (kept.accept_by, kept.resolve_by) == (local(11, 24), local(11, 30))

        status, page = await post(http, f"{base}/days/2026-11-24/remove", csrf)
        assert status == 200 and "2026-11-24 removed from the console&#39;s calendar." in page
        status, page = await post(http, f"{base}/days/2026-11-24/remove", csrf)
        assert status == 404 and "No date 2026-11-24 is set in the console." in page
        workday = {"kind": "workday", "date": "2026-11-28", "name": "调休"}
        status, page = await post(http, f"{base}/days", csrf, **workday)
        assert "make-up working day 调休 added" in page

        audit = await (await http.get(f"http://127.0.0.1:{console_port}/console/audit")).text()
        assert "calendar_day_add" in audit and "holiday 2026-11-24 Office closed" in audit
        assert "calendar_day_remove" in audit
    assert await console_days(app) == [(date(2026, 11, 28), True, "调休")]
    assert await config_changes(app) == [
        ("calendar_day_add", "holiday 2026-11-24 Office closed"),
        ("calendar_day_remove", "2026-11-24 Office closed"),
        ("calendar_day_add", "workday 2026-11-28 调休"),
    ]


async def test_bad_input_is_refused_in_the_pages_language_and_nothing_is_stored(
    app: SnapreportApp, admin: ChatUser, console_port: int
) -> None:
    base = f"{urls(console_port)}/deadlines"
    good = {"kind": "holiday", "date": "2027-10-01", "until": "2027-10-07", "name": "国庆节"}
    refusals = {
        "not a date": ({"date": "2027-10-32"}, "Not a date: “2027-10-32”"),
        "backwards": ({"until": "2027-09-30"}, "The range ends before it begins"),
        "too long": ({"until": "2027-11-01"}, "A range covers at most 31 days"),
        "empty name": ({"name": "  "}, "A name is one line of 1–100 characters."),
        "duplicate": ({"date": "2027-10-07", "until": "2027-10-08"}, "2027-10-07 is already"),
    }
    async with await signed_in(admin, app) as http:
        csrf = await csrf_of(http, base)
        status, page = await post(http, f"{base}/days", csrf, **good)
        assert status == 200 and "2027-10-01..2027-10-07: holiday 国庆节 added" in page
        for why, (change, message) in refusals.items():
            status, page = await post(http, f"{base}/days", csrf, **{**good, **change})
            assert status == 400 and message in page, why
            assert '<a href="/console/config/deadlines">Back to the settings</a>' in page
        forged = await http.post(f"{base}/days", data={**good, "date": "2027-10-08"})
        assert forged.status == 403
        forged = await http.post(f"{base}/days/2027-10-01/remove", data={})
        assert forged.status == 403
        back = "/console/config/deadlines"
        lang = f"http://127.0.0.1:{console_port}/console/language"
        status, page = await post(http, lang, csrf, language="zh_CN", back=back)
        assert "在管理后台设置的日期" in page and "管理后台设置" in page
        status, page = await post(http, f"{base}/days", csrf, **{**good, "until": "2027-09-30"})
        assert status == 400 and "区间的结束日期早于开始日期" in page
    assert [d for d, _working, _name in await console_days(app)] == [
        date(2027, 10, day) for day in range(1, 8)
    ]
    assert [change for change, _ in await config_changes(app)] == ["calendar_day_add"]
    assert "console_csrf" in {e.kind for e in await security_events(app)}


async def test_a_supervisor_gets_403_on_the_holiday_forms(
    app: SnapreportApp, supervisor: ChatUser, console_port: int
) -> None:
    base = f"{urls(console_port)}/deadlines"
    kept = CalendarDay(date(2027, 1, 1), working=False, name="元旦", added_by="admin")
    async with app.session_factory() as session:
        await SqlCalendarDays(session).add_days([kept])
        await session.commit()
    async with await signed_in(supervisor, app) as http:
        page = await (await http.get(f"http://127.0.0.1:{console_port}/console/")).text()
        csrf = CSRF.search(page)
        assert csrf
        form = {"kind": "holiday", "date": "2027-10-01", "name": "国庆节"}
        status, _text = await post(http, f"{base}/days", csrf.group(1), **form)
        assert status == 403
        status, _text = await post(http, f"{base}/days/2027-01-01/remove", csrf.group(1))
        assert status == 403
    assert await console_days(app) == [(date(2027, 1, 1), False, "元旦")]
    assert await config_changes(app) == []
    assert {e.kind for e in await security_events(app)} == {"console_not_admin"}
