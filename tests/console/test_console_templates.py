"""The console's reply templates page: the chat's `/templates` use cases, audited, for
administrators only; a text with an unknown placeholder is refused and nothing is stored."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.reply_templates import SqlReplyTemplates
from tests.console.test_console_config import CSRF, csrf_of, post, urls
from tests.console.test_console_oversight import signed_in
from tests.conversations.staff import config_changes, security_events
from tickets.reply_templates import ReplyTemplate

SEEDED = 8


async def stored(app: SnapreportApp) -> list[ReplyTemplate]:
    async with app.session_factory() as session:
        return await SqlReplyTemplates(session).list_templates()


async def test_an_administrator_adds_edits_and_retires_templates(
    app: SnapreportApp, admin: ChatUser, console_port: int
) -> None:
    base = f"{urls(console_port)}/templates"
    async with await signed_in(admin, app) as http:
        page = await (await http.get(base)).text()
        assert "通用答复" in page and "{department}" in page  # the seed, the placeholders
        csrf = await csrf_of(http, base)
        form = {"purpose": "reject", "category": "car", "title": "Not ours", "body": "{code}"}
        status, page = await post(http, base, csrf, **{**form, "body": "{code} {finding}"})
        assert status == 400 and "is only known when resolving" in page
        status, page = await post(http, base, csrf, **{**form, "body": "{code} {who}"})
        assert status == 400 and "Unknown placeholder {who}" in page
        assert '<a href="/console/config/templates">Back to the settings</a>' in page
        assert len(await stored(app)) == SEEDED
        status, page = await post(http, base, csrf, **form)
        assert status == 200 and "Template #9 added." in page
        assert "Reason for rejecting · Private use of an official car" in page
        body = "{code}: not a matter of official conduct; call 12345."
        status, page = await post(http, f"{base}/9", csrf, title="Call 12345", body=body)
        assert "Template #9 saved." in page
        status, page = await post(http, f"{base}/9", csrf, title="x", body="{code")
        assert status == 400 and "A brace is not closed" in page
        status, page = await post(http, f"{base}/9/retire", csrf)
        assert "Template #9 retired." in page
        forged = await http.post(f"{base}/9/restore", data={})
        assert forged.status == 403
        status, page = await post(http, f"{base}/99999999999/restore", csrf)
        assert status == 404
    template = (await stored(app))[-1]
    assert (template.title, template.body, template.category, template.active) == (
        "Call 12345",
        body,
        "car",
        False,
    )
    assert await config_changes(app) == [
        ("template_add", "#9 Not ours"),
        ("template_edit", "#9 Call 12345"),
        ("template_retire", "#9 Call 12345"),
    ]
    assert "console_csrf" in {e.kind for e in await security_events(app)}


async def test_a_supervisor_gets_403_on_the_templates_page_and_forms(
    app: SnapreportApp, supervisor: ChatUser, console_port: int
) -> None:
    base = f"{urls(console_port)}/templates"
    forms = {
        "": {"purpose": "ask", "title": "Mine", "body": "Where?"},
        "/1": {"title": "Mine", "body": "Where?"},
        "/1/retire": {},
        "/1/restore": {},
    }
    async with await signed_in(supervisor, app) as http:
        page = await (await http.get(f"http://127.0.0.1:{console_port}/console/")).text()
        csrf = CSRF.search(page)
        assert csrf
        assert (await http.get(base)).status == 403
        for path, form in forms.items():
            status, _text = await post(http, f"{base}{path}", csrf.group(1), **form)
            assert status == 403, path
    templates = await stored(app)
    assert len(templates) == SEEDED and all(t.active for t in templates)
    assert templates[0].title == "问题已核实处理"
    assert await config_changes(app) == []
