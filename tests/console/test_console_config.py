"""The console's settings pages over HTTP: the chat's directory use cases, audited,
for administrators only."""

from __future__ import annotations

import re

import aiohttp

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.directory import SqlDirectory
from tests.console.test_console_oversight import signed_in
from tests.conversations.staff import config_changes, intake_id, security_events

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def urls(console_port: int) -> str:
    return f"http://127.0.0.1:{console_port}/console/config"


async def csrf_of(http: aiohttp.ClientSession, url: str) -> str:
    page = await http.get(url)
    assert page.status == 200, url
    found = CSRF.search(await page.text())
    assert found
    return found.group(1)


async def post(http: aiohttp.ClientSession, url: str, csrf: str, **form: str) -> tuple[int, str]:
    """Send a settings form; the status and text of the page it ends on."""
    response = await http.post(url, data={"csrf": csrf, **form})
    return response.status, await response.text()


async def tried_by(
    http: aiohttp.ClientSession, console_port: int, base: str, forms: dict[str, dict[str, str]]
) -> tuple[str, str | None, int, dict[str, int]]:
    """As the signed-in reader: the console's home page and its CSRF token (None if it has
    none), the status of `base`, and of each form posted to `base` + its path with it."""
    home = await (await http.get(f"http://127.0.0.1:{console_port}/console/")).text()
    found = CSRF.search(home)
    csrf = found.group(1) if found else None
    shown = (await http.get(base)).status
    posted = {
        path: (await post(http, f"{base}{path}", csrf or "", **form))[0]
        for path, form in forms.items()
    }
    return home, csrf, shown, posted


async def rules(app: SnapreportApp) -> list[str]:
    async with app.session_factory() as session:
        return [r.department_name for r in await SqlDirectory(session).list_rules()]


async def test_an_administrator_configures_departments_routing_and_members(
    app: SnapreportApp, admin: ChatUser, supervisor: ChatUser, console_port: int
) -> None:
    base = urls(console_port)
    intake = await intake_id(app)
    async with await signed_in(supervisor, app) as removed:
        assert (await removed.get(f"http://127.0.0.1:{console_port}/console/")).status == 200
        async with await signed_in(admin, app) as http:
            home = await (await http.get(f"http://127.0.0.1:{console_port}/console/")).text()
            assert 'href="/console/config/departments"' in home
            csrf = await csrf_of(http, f"{base}/departments")
            status, page = await post(http, f"{base}/departments", csrf, name="Traffic Police")
            assert status == 200 and "Department Traffic Police created." in page
            found = re.search(r"/console/config/departments/(\d+)/invite", page)
            assert found
            traffic = found.group(1)
            status, page = await post(
                http, f"{base}/routing/rules", csrf, category="car", department=traffic
            )
            assert "added: → Traffic Police" in page and await rules(app) == ["Traffic Police"]
            status, page = await post(
                http, f"{base}/departments/{traffic}/invite", csrf, role="handler"
            )
            invite = re.search(r"Invite #(\d+) to Traffic Police as .*?(https://t\.me/\S+)", page)
            assert invite and "?start=inv_" in invite.group(2)
            status, page = await post(http, f"{base}/invites/{invite.group(1)}/revoke", csrf)
            assert "revoked: its link no longer works." in page and "No open invites." in page
            page = await (await http.get(f"{base}/departments/{intake}")).text()
            member = re.search(r"/console/config/members/(\d+)/remove", page)
            assert member and "Sup" in page
            status, page = await post(http, f"{base}/members/{member.group(1)}/remove", csrf)
            assert "Sup is no longer a member." in page
            again = await (await http.get(f"{base}/departments")).text()
            assert "Sup is no longer a member." not in again  # a flash is shown once
            audit = await (await http.get(f"{base[:-7]}/audit?kind=config")).text()
        # The removed supervisor's console session ends at its next request.
        assert (await removed.get(f"http://127.0.0.1:{console_port}/console/")).status == 401
    changes = [change for change, _detail in await config_changes(app)]
    assert changes == [
        "department_add",
        "rule_add",
        "invite_create",
        "invite_revoke",
        "member_remove",
    ]
    assert "department_add" in audit and "member_remove" in audit


async def test_place_tags_and_deadlines_and_an_archived_department_is_refused(
    app: SnapreportApp, admin: ChatUser, console_port: int
) -> None:
    base = urls(console_port)
    async with await signed_in(admin, app) as http:
        csrf = await csrf_of(http, f"{base}/routing")
        tag = {"tag": "hall_01", "place": "市民中心"}
        status, page = await post(http, f"{base}/routing/tags", csrf, **tag)
        assert "Place tag hall_01 registered" in page
        poster = await http.get(f"{base}/routing/tags/hall_01/poster.png")
        assert poster.status == 200 and (await poster.read()).startswith(b"\x89PNG")
        status, page = await post(http, f"{base}/departments", csrf, name="Old Office")
        old = re.search(r"/console/config/departments/(\d+)/invite", page)
        assert old
        status, page = await post(http, f"{base}/departments/{old.group(1)}/archive", csrf)
        assert "Old Office is archived" in page
        status, page = await post(
            http, f"{base}/routing/rules", csrf, tag="hall_01", department=old.group(1)
        )
        assert status == 409 and "The department Old Office is archived." in page
        assert '<a href="/console/config/routing">Back to the settings</a>' in page
        assert await rules(app) == []
        status, page = await post(
            http, f"{base}/deadlines", csrf, category="car", accept="2", resolve="10"
        )
        assert "accept within 2 and resolve within 10 working days" in page
        status, page = await post(
            http, f"{base}/deadlines", csrf, category="car", accept="5", resolve="2"
        )
        assert status == 400 and "accept 1–60" in page
        page = await (await http.get(f"{base}/deadlines")).text()
        assert 'name="accept" type="number" min="1" max="60" value="2"' in page
        assert "Holidays and make-up working days" in page
        forged = await http.post(f"{base}/departments", data={"name": "Forged"})
        assert forged.status == 403
        back = "/console/config/deadlines"
        status, page = await post(http, f"{base[:-7]}/language", csrf, language="zh_CN", back=back)
        assert "时限与节假日" in page and "受理时限" in page and "设置" in page
    async with app.session_factory() as session:
        directory = SqlDirectory(session)
        assert await directory.list_deadline_days() == {"car": (2, 10)}
        assert "Forged" not in {d.name for d in await directory.list_departments()}
    assert "console_csrf" in {e.kind for e in await security_events(app)}


async def test_a_supervisor_gets_403_on_every_settings_page_and_form(
    app: SnapreportApp, supervisor: ChatUser, console_port: int
) -> None:
    base = urls(console_port)
    intake = await intake_id(app)
    pages = ["departments", f"departments/{intake}", "routing", "deadlines"]
    forms = {
        "departments": {"name": "Mine"},
        f"departments/{intake}/invite": {"role": "supervisor"},
        f"departments/{intake}/archive": {},
        f"departments/{intake}/parent": {"parent": "-"},
        "invites/1/revoke": {},
        "members/1/remove": {},
        "routing/rules": {"category": "car", "department": str(intake)},
        "routing/rules/1/delete": {},
        "routing/tags": {"tag": "x1", "place": "Somewhere"},
        "deadlines": {"category": "car", "accept": "2", "resolve": "3"},
    }
    async with await signed_in(supervisor, app) as http:
        page = await (await http.get(f"http://127.0.0.1:{console_port}/console/")).text()
        assert "/console/config/" not in page
        csrf = CSRF.search(page)
        assert csrf
        for path in [*pages, "routing/tags/x1/poster.png"]:
            assert (await http.get(f"{base}/{path}")).status == 403, path
        for path, form in forms.items():
            status, _text = await post(http, f"{base}/{path}", csrf.group(1), **form)
            assert status == 403, path
    async with app.session_factory() as session:
        directory = SqlDirectory(session)
        assert [m.display_name for m in await directory.list_members(department_id=intake)]
        assert await directory.list_deadline_days() == {}
        assert await directory.list_rules() == []
