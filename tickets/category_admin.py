"""Administrators edit the category table: add, rename, retire and restore.

Slugs never change once added (tickets and callback data carry them), so renaming
touches only the labels, and a category is retired rather than deleted.
"""

from __future__ import annotations

from tickets.actors import Actor
from tickets.categories import Category, clean_label, clean_slug
from tickets.errors import NotFound, ValidationError
from tickets.membership import require_admin
from tickets.ports import CategoryStore


async def known(store: CategoryStore, slug: str) -> Category:
    """The category with `slug`, retired or not."""
    category = (await store.list_categories()).get(slug)
    if category is None:
        raise NotFound("category_not_found", slug=slug)
    return category


async def add_category(
    store: CategoryStore, actor: Actor, *, slug: str, zh: str, en: str
) -> Category:
    """Add a category after the others; a slug already used is refused."""
    require_admin(actor)
    slug = clean_slug(slug)
    categories = await store.list_categories()
    if categories.get(slug) is not None:
        raise ValidationError("category_exists", slug=slug)
    position = max((c.position for c in categories), default=0) + 1
    category = Category(slug, clean_label(zh), clean_label(en), position)
    await store.add_category(category)
    return category


async def rename_category(
    store: CategoryStore, actor: Actor, *, slug: str, zh: str, en: str
) -> Category:
    """Give a category new labels; its old tickets show them too."""
    require_admin(actor)
    await known(store, slug)
    await store.update_category(slug=slug, zh=clean_label(zh), en=clean_label(en))
    return await known(store, slug)


async def set_retired(store: CategoryStore, actor: Actor, *, slug: str, retired: bool) -> Category:
    """Retire (no longer offered; old tickets keep it) or restore a category."""
    require_admin(actor)
    await known(store, slug)
    await store.update_category(slug=slug, retired=retired)
    return await known(store, slug)
