"""The category table behind `tickets.ports.CategoryStore`, and each replica's copy of it.

Every update renders with the table (labels, the draft's choices), but only an
administrator changes it: `ReplicaCategories` keeps this process's copy, read again a
minute on or right after this process commits a change (`storage.replica_copy`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CategoryRow
from storage.replica_copy import ReplicaCopy
from storage.rows import update_row
from tickets.categories import Categories, Category
from tickets.clock import Clock


def category_of(row: CategoryRow) -> Category:
    return Category(row.slug, row.zh, row.en, row.position, row.retired)


async def read_categories(session: AsyncSession) -> Categories:
    return Categories.of(category_of(row) for row in await session.scalars(select(CategoryRow)))


class ReplicaCategories(ReplicaCopy[Categories]):
    """This process's copy of the category table (empty until the first unit of work)."""

    def __init__(self, *, clock: Clock) -> None:
        super().__init__(Categories.of(()), clock=clock)

    async def load(self, session: AsyncSession) -> Categories:
        return await read_categories(session)


class SqlCategories:
    """Categories on the unit of work's session; a change refreshes `copy` once committed."""

    def __init__(self, session: AsyncSession, copy: ReplicaCategories | None = None) -> None:
        self._session = session
        self._copy = copy

    async def list_categories(self) -> Categories:
        return await read_categories(self._session)

    def _changed(self) -> None:
        if self._copy is not None:
            self._copy.forget_after_commit(self._session)

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
        self._changed()

    async def update_category(
        self,
        *,
        slug: str,
        zh: str | None = None,
        en: str | None = None,
        retired: bool | None = None,
    ) -> None:
        await update_row(self._session, CategoryRow, slug, zh=zh, en=en, retired=retired)
        self._changed()

    async def upsert(self, *, slug: str, zh: str, en: str) -> None:
        """Add a category named in the routes file, or give an existing one these labels."""
        row = await self._session.get(CategoryRow, slug)
        if row is None:
            categories = await self.list_categories()
            position = max((c.position for c in categories), default=0) + 1
            await self.add_category(Category(slug, zh, en, position))
        else:
            await self.update_category(slug=slug, zh=zh, en=en)
