"""The command menu shown by Telegram clients, per language and per role."""

from __future__ import annotations

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

log = structlog.get_logger(__name__)


def citizen_commands() -> list[BotCommand]:
    return [
        BotCommand(command="report", description=_("Report misconduct")),
        BotCommand(command="praise", description=_("Praise good service (表扬)")),
        BotCommand(command="status", description=_("Check a report by its code")),
        BotCommand(command="mytickets", description=_("My reports")),
        BotCommand(command="lang", description=_("Language / 语言")),
        BotCommand(command="forget", description=_("Delete my messages in this chat")),
        BotCommand(command="help", description=_("Help")),
        BotCommand(command="cancel", description=_("Cancel")),
    ]


def staff_commands() -> list[BotCommand]:
    return [
        BotCommand(command="queue", description=_("Open tickets of my department")),
        BotCommand(command="new", description=_("Register a report received elsewhere")),
        BotCommand(command="ticket", description=_("A ticket's full history")),
        BotCommand(command="find", description=_("Find tickets by category, state or date")),
        BotCommand(command="stats", description=_("Statistics and charts")),
        BotCommand(command="export", description=_("Export tickets (XLSX, CSV)")),
        *citizen_commands(),
    ]


def admin_commands() -> list[BotCommand]:
    return [
        BotCommand(command="dept", description=_("Departments, invites, members")),
        BotCommand(command="route", description=_("Routing rules and place tags")),
        BotCommand(command="deadline", description=_("Deadlines per category")),
        BotCommand(command="categories", description=_("Report categories")),
        BotCommand(command="templates", description=_("Reply templates")),
        BotCommand(command="ranking", description=_("Quarterly department ranking")),
        BotCommand(command="publish", description=_("Publish a closed ticket")),
        BotCommand(command="dead", description=_("Undelivered messages")),
        BotCommand(command="audit", description=_("Who viewed a reporter's identity")),
        BotCommand(command="original", description=_("The original upload of a photo")),
        *staff_commands(),
    ]


async def set_commands(bot: Bot, i18n: I18n, *, admin_ids: frozenset[int]) -> None:
    """Default menu in the default language, an English one, and admins' own menus."""
    with i18n.use_locale(i18n.default_locale):
        await bot.set_my_commands(citizen_commands(), scope=BotCommandScopeDefault())
    with i18n.use_locale("en"):
        await bot.set_my_commands(
            citizen_commands(), scope=BotCommandScopeDefault(), language_code="en"
        )
    for admin_id in sorted(admin_ids):
        with i18n.use_locale(i18n.default_locale):
            commands = admin_commands()
        try:
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=admin_id))
        except TelegramBadRequest:
            # Telegram knows no chat until the admin has opened the bot once.
            log.info("admin_menu_deferred", reason="chat not found")


async def set_staff_menu(bot: Bot, chat_id: int) -> None:
    """Give a new department member the staff menu, in the current locale."""
    try:
        await bot.set_my_commands(staff_commands(), scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramBadRequest:
        log.info("staff_menu_deferred", reason="chat not found")
