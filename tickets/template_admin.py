"""Administrators edit the reply templates (add, edit, retire, restore); staff use them.

A template's purpose, category and finding never change once added (edit its title and
body, or retire it and add another), so what a prompt offers stays predictable. Every
field is checked before anything is stored: a refused template leaves no row behind.
"""

from __future__ import annotations

from tickets.actors import Actor
from tickets.categories import Categories
from tickets.errors import NotFound
from tickets.membership import require_admin
from tickets.ports import TemplateStore
from tickets.reply_templates import (
    Purpose,
    ReplyTemplate,
    clean_body,
    clean_title,
    draft,
    offered,
)

# Ids are database integers: a larger number typed in a URL names nothing.
ID_MAX = 2**31 - 1


async def known(store: TemplateStore, template_id: int) -> ReplyTemplate:
    """The template with that id, retired or not."""
    if not 0 < template_id <= ID_MAX:
        raise NotFound("template_not_found")
    template = await store.get_template(template_id=template_id)
    if template is None:
        raise NotFound("template_not_found")
    return template


async def add_template(
    store: TemplateStore,
    actor: Actor,
    *,
    title: str,
    body: str,
    purpose: str,
    category: str | None,
    finding: str | None,
    categories: Categories,
) -> ReplyTemplate:
    """Add a template; any category it names must exist (a retired one is allowed)."""
    require_admin(actor)
    checked = draft(
        title=title,
        body=body,
        purpose=purpose,
        category=category,
        finding=finding,
        categories=[c.slug for c in categories],
    )
    return await store.add_template(checked)


async def edit_template(
    store: TemplateStore, actor: Actor, *, template_id: int, title: str, body: str
) -> ReplyTemplate:
    """Give a template a new title and body."""
    require_admin(actor)
    template = await known(store, template_id)
    await store.update_template(
        template_id=template_id,
        title=clean_title(title),
        body=clean_body(body, template.purpose),
    )
    return await known(store, template_id)


async def set_active(
    store: TemplateStore, actor: Actor, *, template_id: int, active: bool
) -> ReplyTemplate:
    """Retire (no longer offered) or restore a template."""
    require_admin(actor)
    await known(store, template_id)
    await store.update_template(template_id=template_id, active=active)
    return await known(store, template_id)


async def offer(
    store: TemplateStore, *, purpose: Purpose, category: str, finding: str | None = None
) -> tuple[ReplyTemplate, ...]:
    """The templates a prompt for this step of a ticket of `category` offers."""
    return offered(
        await store.list_templates(), purpose=purpose, category=category, finding=finding
    )


async def chosen(
    store: TemplateStore,
    *,
    template_id: int,
    purpose: Purpose,
    category: str,
    finding: str | None = None,
) -> ReplyTemplate:
    """The template pressed; one retired since, or not for this step, is refused."""
    template = await store.get_template(template_id=template_id)
    if template is None or not template.matches(purpose, category, finding):
        raise NotFound("template_not_found")
    return template
