"""Departments, routing rules, place tags and deadline policy from a YAML file.

```yaml
departments: [市政务服务中心, 市交通运输局]
tags:
  - {tag: hall_01, place: 市民服务中心一楼大厅, department: 市政务服务中心}
rules:
  - {department: 市交通运输局, category: car}
  - {department: 市政务服务中心, tag: hall_01}
deadlines:
  extortion: {accept_days: 1, resolve_days: 3}
categories:
  - {slug: permits, zh: 违规审批, en: Irregular approvals}
parents:
  市交通运输局: 市政务服务中心
```
Loading replaces all routing rules and deadline overrides; departments and tags are
added or updated, never deleted (tickets point at them). A rule or tag naming an archived
department is refused (`department_archived`) and nothing of the file is loaded.
`categories` adds categories or relabels existing ones (by slug; never retires or deletes);
rules and deadlines may name them. A rule or deadline naming an unknown category is
refused (`unknown_category`).
`parents` names each listed department's supervising office (`tickets.accused`): reports
about it go there. Departments not listed keep theirs; a loop is refused (`parent_loop`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from config.settings import Settings
from storage.categories import SqlCategories
from storage.db import create_engine, create_session_factory, identity_keys
from storage.directory import department_view
from storage.migrate import upgrade
from storage.models import DeadlinePolicyRow, Department, RoutingRule, SourceTag
from tickets.accused import check_parent
from tickets.categories import SLUG_RE, Categories, clean_label, require_known
from tickets.deadlines import ACCEPT_DAYS_MAX, RESOLVE_DAYS_MAX
from tickets.membership import require_active
from tickets.routing import SOURCE_TAG_PATTERN


class TagSpec(BaseModel):
    tag: str = Field(pattern=SOURCE_TAG_PATTERN)
    place: str = Field(min_length=1, max_length=256)
    department: str | None = None


class CategorySpec(BaseModel):
    slug: str = Field(pattern=SLUG_RE.pattern)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class RuleSpec(BaseModel):
    department: str
    category: str | None = None
    tag: str | None = Field(default=None, pattern=SOURCE_TAG_PATTERN)
    priority: int = 0


class DaysSpec(BaseModel):
    """A category's deadlines, from YAML or `/deadline`: resolving cannot be due first."""

    accept_days: int = Field(ge=1, le=ACCEPT_DAYS_MAX)
    resolve_days: int = Field(ge=1, le=RESOLVE_DAYS_MAX)

    @model_validator(mode="after")
    def _accept_not_after_resolve(self) -> DaysSpec:
        if self.resolve_days < self.accept_days:
            raise ValueError("resolve_days must be at least accept_days")
        return self


class RoutesFile(BaseModel):
    departments: list[str] = []
    tags: list[TagSpec] = []
    rules: list[RuleSpec] = []
    deadlines: dict[str, DaysSpec] = {}
    parents: dict[str, str] = {}
    categories: list[CategorySpec] = []


async def department_id(session: AsyncSession, name: str, *, to_route: bool = False) -> int:
    """The department called `name`, created if new; `to_route`: refused if archived."""
    row = await session.scalar(select(Department).where(col(Department.name) == name))
    if row is None:
        row = Department(name=name)
        session.add(row)
        await session.flush()
    elif to_route:
        require_active(department_view(row))
    assert row.id is not None
    return row.id


async def apply_categories(session: AsyncSession, specs: list[CategorySpec]) -> Categories:
    """Add or relabel the file's categories; return the whole table as it now stands."""
    store = SqlCategories(session)
    for spec in specs:
        await store.upsert(slug=spec.slug, zh=clean_label(spec.zh), en=clean_label(spec.en))
    return await store.list_categories()


async def apply_routes(session: AsyncSession, spec: RoutesFile) -> str:
    categories = await apply_categories(session, spec.categories)
    for named in [*(r.category for r in spec.rules), *spec.deadlines]:
        require_known(categories, named)
    for name in spec.departments:
        await department_id(session, name)
    for tag in spec.tags:
        await upsert_tag(session, tag=tag.tag, place=tag.place, department=tag.department)
    await session.execute(delete(RoutingRule))
    for rule in spec.rules:
        session.add(
            RoutingRule(
                department_id=await department_id(session, rule.department, to_route=True),
                category=rule.category or None,
                source_tag=rule.tag,
                priority=rule.priority,
            )
        )
    await apply_parents(session, spec.parents)
    await session.execute(delete(DeadlinePolicyRow))
    for category, days in spec.deadlines.items():
        session.add(
            DeadlinePolicyRow(
                category=category, accept_days=days.accept_days, resolve_days=days.resolve_days
            )
        )
    return (
        f"{len(spec.departments)} departments, {len(spec.tags)} tags, "
        f"{len(spec.rules)} rules, {len(spec.deadlines)} deadline overrides loaded"
        + (f", {len(spec.parents)} parents set" if spec.parents else "")
        + (f", {len(spec.categories)} categories" if spec.categories else "")
    )


async def apply_parents(session: AsyncSession, parents: dict[str, str]) -> None:
    """Set each named department's parent, checked for loops against the whole tree."""
    for unit_name, parent_name in parents.items():
        unit_id = await department_id(session, unit_name)
        parent_id = await department_id(session, parent_name, to_route=True)
        tree = {row.id: row.parent_id for row in await session.scalars(select(Department))}
        check_parent(unit_id, parent_id, parents={k: v for k, v in tree.items() if k})
        unit = await session.get(Department, unit_id)
        assert unit is not None
        unit.parent_id = parent_id
        await session.flush()


async def upsert_tag(
    session: AsyncSession, *, tag: str, place: str, department: str | None
) -> None:
    row = await session.get(SourceTag, tag) or SourceTag(tag=tag, place_text=place)
    row.place_text = place
    row.department_id = None
    session.add(row)
    if department:
        row.department_id = dept_id = await department_id(session, department, to_route=True)
        # A tag with a department routes there: keep exactly one rule for it.
        await session.execute(delete(RoutingRule).where(col(RoutingRule.source_tag) == tag))
        session.add(RoutingRule(department_id=dept_id, source_tag=tag))


def parse_routes(text: str) -> RoutesFile:
    data: Any = yaml.safe_load(text) or {}
    return RoutesFile.model_validate(data)


async def _in_session(settings: Settings, work: Any) -> Any:
    keys = identity_keys(settings)
    await asyncio.to_thread(upgrade, settings.database_url, keys=keys)
    engine = create_engine(settings.database_url, keys=keys)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


async def load_routes_file(settings: Settings, path: Path) -> str:
    spec = parse_routes(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    return str(await _in_session(settings, lambda s: apply_routes(s, spec)))


async def register_tag(
    settings: Settings, *, tag: str, place: str, department: str | None
) -> None:
    await _in_session(
        settings, lambda s: upsert_tag(s, tag=tag, place=place, department=department)
    )
