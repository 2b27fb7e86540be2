"""The console's categories page: the chat's `/categories` use cases, audited, for
administrators only; a taken slug, an empty label or an unknown slug is refused and nothing
is stored. What the page changes is what the chat's draft offers."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.categories import SqlCategories
from tests.console.test_console_config import csrf_of, post, tried_by, urls
from tests.console.test_console_oversight import signed_in
from tests.conversations.staff import config_changes, prefer_language, security_events
from tests.conversations.steps import begin_with_photo, go_to_description
from tickets.categories import DEFAULTS, Categories


async def table(app: SnapreportApp) -> Categories:
    async with app.session_factory() as session:
        return await SqlCategories(session).list_categories()


async def offered(app: SnapreportApp) -> list[str]:
    return [c.slug for c in (await table(app)).offered()]


async def test_an_administrator_adds_renames_retires_and_restores_a_category(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, console_port: int
) -> None:
    base = f"{urls(console_port)}/categories"
    async with await signed_in(admin, app) as http:
        page = await (await http.get(base)).text()
        assert "<code>bidding</code>" in page and 'value="围标串标"' in page  # the seed
        assert 'href="/console/config/categories"' in page  # in the settings' navigation
        csrf = await csrf_of(http, base)
        form = {"slug": "permits", "zh": "违规审批", "en": "Irregular approvals"}
        status, page = await post(http, base, csrf, **{**form, "slug": "car"})
        assert status == 400 and "There is already a category car" in page
        assert '<a href="/console/config/categories">Back to the settings</a>' in page
        status, page = await post(http, base, csrf, **{**form, "zh": "   "})
        assert status == 400 and "A label is one line of 1–64 characters." in page
        status, page = await post(http, base, csrf, **{**form, "slug": "per mits"})
        assert status == 400 and "A slug is 2–32 Latin letters" in page
        assert await table(app) == DEFAULTS
        status, page = await post(http, base, csrf, **form)
        assert status == 200 and "Category permits added." in page
        assert 'value="Irregular approvals"' in page
        status, page = await post(http, f"{base}/permits", csrf, zh="", en="Irregular permits")
        assert status == 400 and "A label is one line" in page
        status, page = await post(
            http, f"{base}/permits", csrf, zh="违规审批发证", en="Irregular permits"
        )
        assert status == 200 and "Category permits saved." in page

        await prefer_language(app, citizen)
        await begin_with_photo(citizen)
        await go_to_description(citizen)
        await citizen.send("The office asked for a fee to stamp a form, twice")
        step = await citizen.expect("Step 3/5")
        assert "Irregular permits" in str(step.inline_buttons)  # the chat offers it at once

        status, page = await post(http, f"{base}/permits/retire", csrf)
        assert "Category permits retired: new reports no longer offer it." in page
        assert "permits" not in await offered(app)
        forged = await http.post(f"{base}/permits/restore", data={})
        assert forged.status == 403
        assert "permits" not in await offered(app)
        status, page = await post(http, f"{base}/permits/restore", csrf)
        assert "Category permits restored: new reports offer it again." in page
        status, page = await post(http, f"{base}/parking/retire", csrf)
        assert status == 404 and "There is no category parking." in page
    permits = (await table(app)).get("permits")
    assert permits is not None and (permits.zh, permits.en, permits.retired) == (
        "违规审批发证",
        "Irregular permits",
        False,
    )
    assert await offered(app) == [*(c.slug for c in DEFAULTS), "permits"]
    assert await config_changes(app) == [
        ("category_add", "permits"),
        ("category_rename", "permits"),
        ("category_retire", "permits"),
        ("category_restore", "permits"),
    ]
    assert "console_csrf" in {e.kind for e in await security_events(app)}


async def test_a_supervisor_gets_403_on_the_categories_page_and_forms(
    app: SnapreportApp, supervisor: ChatUser, console_port: int
) -> None:
    base = f"{urls(console_port)}/categories"
    forms = {
        "": {"slug": "permits", "zh": "违规审批", "en": "Irregular approvals"},
        "/car": {"zh": "公车", "en": "Car"},
        "/car/retire": {},
        "/car/restore": {},
    }
    async with await signed_in(supervisor, app) as http:
        page, csrf, shown, posted = await tried_by(http, console_port, base, forms)
    assert 'href="/console/config/categories"' not in page
    assert csrf
    assert shown == 403
    for path, status in posted.items():
        assert status == 403, path
    assert await table(app) == DEFAULTS
    assert await config_changes(app) == []
    assert {e.kind for e in await security_events(app)} == {"console_not_admin"}
