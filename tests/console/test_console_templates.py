"""The console's reply templates page: the chat's `/templates` use cases, audited, for
administrators only; a text with an unknown placeholder is refused and nothing is stored.
The ticket page's resolve, reject and ask forms offer the templates the chat would, filled
from the ticket; one the form does not offer is ignored with a notice."""

from __future__ import annotations

import html
import re

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from storage.reply_templates import SqlReplyTemplates
from tests.console.test_console_config import csrf_of, post, tried_by, urls
from tests.console.test_console_oversight import signed_in
from tests.conversations.staff import (
    config_changes,
    intake_id,
    leaks,
    make_department_with_rule,
    new_ticket,
    security_events,
    staff_action,
    staff_member,
)
from tickets.findings import Finding
from tickets.reply_templates import Purpose, ReplyTemplate, TemplateDraft

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
        _page, csrf, shown, posted = await tried_by(http, console_port, base, forms)
    assert csrf
    assert shown == 403
    for path, status in posted.items():
        assert status == 403, path
    templates = await stored(app)
    assert len(templates) == SEEDED and all(t.active for t in templates)
    assert templates[0].title == "问题已核实处理"
    assert await config_changes(app) == []


# -- offered on the ticket page's forms --------------------------------------------------------

ALL_PLACES = "{code} · {category} · {place} · {department} · {date}: which window was it?"


async def add_templates(app: SnapreportApp, *drafts: TemplateDraft) -> list[int]:
    async with app.session_factory() as session, session.begin():
        return [(await SqlReplyTemplates(session).add_template(d)).id for d in drafts]


def textarea(page: str, form: str) -> str:
    found = re.search(rf'<textarea id="text-{form}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, form
    return html.unescape(found.group(1))


def links(page: str, form: str) -> str:
    """The templates block of one form (empty when the form offers none)."""
    found = re.search(rf'<div class="templates" id="templates-{form}">(.*?)</div>', page, re.S)
    return found.group(1) if found else ""


async def test_the_ticket_forms_offer_the_fitting_templates_filled_from_the_ticket(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, console_port: int
) -> None:
    ticket = await new_ticket(app, citizen)  # anonymous, "idle"
    await staff_action(app, ticket.id, action="accept")
    own, other = await add_templates(
        app,
        TemplateDraft("Which window", ALL_PLACES, Purpose.ASK, category="idle"),
        TemplateDraft("Whose car", "{code}: whose car?", Purpose.ASK, category="car"),
    )
    page_url = f"http://127.0.0.1:{console_port}/console/t/{ticket.code}"
    async with await signed_in(supervisor, app) as http:
        page = await (await http.get(page_url)).text()
        ask = links(page, "ask")
        assert "Which window" in ask and "请补充时间地点" in ask and "Whose car" not in ask
        assert ask.index("Which window") < ask.index("请补充时间地点")  # the category's own first
        assert f'href="/console/t/{ticket.code}?form=ask&amp;template={own}#text-ask"' in ask
        assert "非作风问题" in links(page, "reject") and "Which window" not in links(
            page, "reject"
        )
        resolve = links(page, "resolve")
        assert resolve.count("通用答复") == len(Finding)  # a general reply under every finding
        assert "form=resolve&amp;finding=substantiated&amp;template=1#" in resolve
        assert "finding=unsubstantiated&amp;template=1#" not in resolve
        assert textarea(page, "ask") == textarea(page, "resolve") == ""

        asked = await (await http.get(f"{page_url}?form=ask&template={own}")).text()
        day = ticket.created_at.astimezone(app.settings.tz).date().isoformat()
        expected = (
            f"{ticket.code} · Phone or private business at work · — · "
            f"{ticket.department_name} · {day}: which window was it?"
        )
        assert textarea(asked, "ask") == expected
        assert f'data-text="{html.escape(expected)}"' in asked  # what the script fills in
        assert textarea(asked, "reject") == "" and 'role="alert"' not in asked
        assert not leaks([asked], citizen)

        url = f"{page_url}?form=resolve&finding=substantiated&template=1"
        resolved = await (await http.get(url)).text()
        reply = textarea(resolved, "resolve")
        assert f"（编号 {ticket.code}），经{ticket.department_name}调查核实" in reply
        assert "“上班玩手机/干私事”问题" in reply and "核查结果：查实。" in reply
        assert 'value="substantiated" required checked>' in resolved
        assert textarea(resolved, "ask") == ""
        assert f"template={other}" not in resolved


async def test_a_template_the_form_does_not_offer_is_ignored_with_a_notice(
    app: SnapreportApp,
    supervisor: ChatUser,
    client: EmulatorClient,
    citizen: ChatUser,
    console_port: int,
) -> None:
    ticket = await new_ticket(app, citizen)
    await staff_action(app, ticket.id, action="accept")
    (car,) = await add_templates(
        app, TemplateDraft("Whose car", "{code}: whose car?", Purpose.ASK, category="car")
    )
    handler = await staff_member(app, client, "Handler", await intake_id(app), role="handler")
    page_url = f"http://127.0.0.1:{console_port}/console/t/{ticket.code}"
    refused = [
        f"form=ask&template={car}",  # another category's
        "form=ask&template=99999999999",  # no such template
        "form=ask&template=x",
        "form=reject&template=7",  # a question, not a reason
        "form=resolve&finding=unsubstantiated&template=1",  # another finding's
        "form=resolve&template=4",  # a reply needs its finding
        "form=accept&template=5",
    ]
    async with await signed_in(supervisor, app) as http:
        for query in refused:
            answer = await http.get(f"{page_url}?{query}")
            page = await answer.text()
            assert answer.status == 200, query
            assert "That template is not offered for this form" in page, query
            assert all(textarea(page, f) == "" for f in ("ask", "reject", "resolve")), query
    # A handler may ask and resolve but not reject: no reasons offered, none filled in.
    async with await signed_in(handler, app) as http:
        page = await (await http.get(f"{page_url}?form=reject&template=5")).text()
        assert "That template is not offered for this form" in page
        assert 'id="text-reject"' not in page and links(page, "reject") == ""
        assert "请补充时间地点" in links(page, "ask")


async def test_another_departments_supervisor_gets_403_and_no_templates(
    app: SnapreportApp,
    supervisor: ChatUser,
    client: EmulatorClient,
    citizen: ChatUser,
    console_port: int,
) -> None:
    ticket = await new_ticket(app, citizen)
    roads = await make_department_with_rule(app, "Roads")
    outsider = await staff_member(app, client, "Outsider", roads)
    page_url = f"http://127.0.0.1:{console_port}/console/t/{ticket.code}"
    async with await signed_in(outsider, app) as http:
        answer = await http.get(f"{page_url}?form=reject&template=5")
        page = await answer.text()
    assert answer.status == 403
    assert "非作风问题" not in page and ticket.code not in page.split("<main", 1)[-1]
    assert "console_not_your_department" in {e.kind for e in await security_events(app)}
