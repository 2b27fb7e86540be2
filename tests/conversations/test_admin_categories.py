"""Categories are data: administrators add, rename and retire them with `/categories`, or
load them from the routes YAML; a retired category is not offered to new reports but its
old tickets keep their label, in `/status` and in `/stats`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.categories import SqlCategories
from storage.directory import SqlDirectory
from storage.routes_file import load_routes_file
from tests.conversations.staff import config_changes, prefer_language
from tests.conversations.steps import (
    begin_with_photo,
    describe,
    file_from_photos,
    go_to_description,
    ticket_by_code,
)
from tickets.categories import Categories
from tickets.errors import ValidationError


async def table(app: SnapreportApp) -> Categories:
    async with app.session_factory() as session:
        return await SqlCategories(session).list_categories()


async def add_permits(admin: ChatUser) -> None:
    await admin.command("categories")
    listing = await admin.expect("Categories (slug · 中文 · English)")
    assert "bidding · 围标串标 · Bid rigging" in listing.content
    await admin.press("Add a category")
    await admin.expect("its slug")
    await admin.send("per mits")
    await admin.expect("A slug is 2–32 Latin letters")  # the step stays
    await admin.send("car")
    await admin.expect("There is already a category car")
    await admin.send("Permits")
    await admin.expect("Its label in Chinese")
    await admin.send("违规审批")
    await admin.expect("And its label in English")
    await admin.send("Irregular approvals")
    saved = await admin.expect("Saved: Irregular approvals")
    assert "permits · 违规审批 · Irregular approvals" in saved.content


async def test_an_added_category_is_offered_and_once_retired_only_labels_old_tickets(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser
) -> None:
    await prefer_language(app, admin, citizen)
    await add_permits(admin)

    await begin_with_photo(citizen)
    code = await file_from_photos(citizen, category="Irregular approvals")
    assert (await ticket_by_code(app, code)).category == "permits"

    await begin_with_photo(citizen, seed=2)
    await describe(citizen, "The same office again asked for a fee to stamp a form")
    await admin.press("Retire permits")
    retired = await admin.expect("Retired: Irregular approvals")
    assert "permits · 违规审批 · Irregular approvals · retired" in retired.content
    assert await config_changes(app) == [
        ("category_add", "permits"),
        ("category_retire", "permits"),
    ]
    answer = await citizen.press("Irregular approvals")  # the keyboard sent before
    assert answer.text == "Please choose a category with the buttons."

    await citizen.command("cancel")
    await begin_with_photo(citizen, seed=3)
    await go_to_description(citizen)
    await citizen.send("The same office again asked for a fee to stamp a form")
    step = await citizen.expect("Step 3/5")
    offered = str(step.inline_buttons)
    assert "Irregular approvals" not in offered and "Bid rigging" in offered

    await citizen.command("status", code)
    assert "Category: Irregular approvals" in (await citizen.expect(code)).content
    await admin.command("stats")
    summary = await admin.expect("Statistics · all departments", timeout=10)
    assert "Irregular approvals 1" in summary.content


async def test_renaming_relabels_old_tickets_and_restoring_offers_it_again(
    app: SnapreportApp, admin: ChatUser
) -> None:
    await prefer_language(app, admin)
    await add_permits(admin)
    await admin.press("Retire permits")
    await admin.expect("Retired")
    await admin.press("Restore permits")
    await admin.expect("Restored: Irregular approvals")
    await admin.press("✏️ Irregular approvals")
    await admin.expect("New Chinese label for permits (now: 违规审批)")
    await admin.send("违规审批发证")
    await admin.expect("And its label in English")
    await admin.send("Irregular permits")
    await admin.expect("Saved: Irregular permits")
    permits = (await table(app)).get("permits")
    assert permits is not None and (permits.zh, permits.en, permits.retired) == (
        "违规审批发证",
        "Irregular permits",
        False,
    )


async def test_categories_in_the_routes_yaml_are_loaded_and_may_be_routed(
    app: SnapreportApp, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text(
        "departments: [市自然资源局]\n"
        "categories:\n"
        "  - {slug: permits, zh: 违规审批, en: Irregular approvals}\n"
        "  - {slug: other, zh: 其他问题, en: Other}\n"
        "rules:\n"
        "  - {department: 市自然资源局, category: permits}\n",
        "utf-8",
    )
    assert "2 categories" in await load_routes_file(app.settings, routes)
    categories = await table(app)
    assert categories.label("permits", "zh_CN") == "违规审批"
    assert categories.label("other", "zh_CN") == "其他问题"  # relabelled, slug kept
    assert [c.slug for c in categories][-1] == "permits"
    async with app.session_factory() as session:
        assert [r.category for r in await SqlDirectory(session).list_rules()] == ["permits"]

    routes.write_text("rules:\n  - {department: 市自然资源局, category: boats}\n", "utf-8")
    with pytest.raises(ValidationError):
        await load_routes_file(app.settings, routes)
