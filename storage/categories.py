"""The category table behind `tickets.ports.CategoryStore`, and loading it from YAML."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CategoryRow
from storage.rows import update_row
from tickets.categories import Categories, Category


def category_of(row: CategoryRow) -> Category:
    return Category(row.slug, row.zh, row.en, row.position, row.retired)


class SqlCategories:
    """Categories on the unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_categories(self) -> Categories:
        return Categories.of(
            category_of(row) for row in await self._session.scalars(select(CategoryRow))
        )

    async def add_category(self, category: Category) -> None:
        self._session.add(
            CategoryRow(
                slug=category.slug,
                zh=category.zh,
                en=category.en,
                position=category.position,
                retired=category.retired,
            )
        )
        await self._session.flush()

    async def update_category(
        self,
        *,
        slug: str,
        zh: str | None = None,
        en: str | None = None,
        retired: bool | None = None,
    ) -> None:
        await update_row(self._session, CategoryRow, slug, zh=zh, en=en, retired=retired)

    async def upsert(self, *, slug: str, zh: str, en: str) -> None:
        """Add a category named in the routes file, or give an existing one these labels."""
        row = await self._session.get(CategoryRow, slug)
        if row is None:
            categories = await self.list_categories()
            position = max((c.position for c in categories), default=0) + 1
            await self.add_category(Category(slug, zh, en, position))
        else:
            await self.update_category(slug=slug, zh=zh, en=en)
