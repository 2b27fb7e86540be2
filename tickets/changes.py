"""Administrators' configuration changes, as the audit log keeps them.

A change is a security-log record (who by keyed hash, when) whose kind is
`CONFIG_CHANGE_PREFIX` and the change's name, with a short detail: department and tag
numbers and names, never a member's or reporter's id. The chat's `/dept`, `/route`,
`/bind`, `/deadline`, `/categories` and `/templates`, and the console's settings pages,
record the same changes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tickets.ports import SecurityLog
from tickets.views import CONFIG_CHANGE_PREFIX

DETAIL_MAX = 200


class Change(StrEnum):
    DEPARTMENT_ADD = "department_add"
    DEPARTMENT_RENAME = "department_rename"
    DEPARTMENT_ARCHIVE = "department_archive"
    DEPARTMENT_PARENT = "department_parent"
    INVITE_CREATE = "invite_create"
    INVITE_REVOKE = "invite_revoke"
    MEMBER_REMOVE = "member_remove"
    GROUP_BIND = "group_bind"
    GROUP_UNBIND = "group_unbind"
    RULE_ADD = "rule_add"
    RULE_DELETE = "rule_delete"
    TAG_REGISTER = "tag_register"
    DEADLINE = "deadline"
    CATEGORY_ADD = "category_add"
    CATEGORY_RENAME = "category_rename"
    CATEGORY_RETIRE = "category_retire"
    CATEGORY_RESTORE = "category_restore"
    TEMPLATE_ADD = "template_add"
    TEMPLATE_EDIT = "template_edit"
    TEMPLATE_RETIRE = "template_retire"
    TEMPLATE_RESTORE = "template_restore"
    CALENDAR_DAY_ADD = "calendar_day_add"
    CALENDAR_DAY_REMOVE = "calendar_day_remove"


async def record_change(
    log: SecurityLog, *, actor_hash: str, change: Change, detail: str, at: datetime
) -> None:
    """Note one configuration change in the audit log."""
    await log.record(
        actor_hash=actor_hash,
        kind=CONFIG_CHANGE_PREFIX + change,
        detail=" ".join(detail.split())[:DETAIL_MAX],
        at=at,
    )
