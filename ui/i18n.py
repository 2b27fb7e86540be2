"""gettext catalogs (Babel) and the per-update locale choice.

Message ids are English; `ui/locales/zh_CN` translates them and is the default locale.
The locale of an update is the user's `/lang` choice, else their Telegram language
(English for `en*`), else `DEFAULT_LANGUAGE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n.middleware import I18nMiddleware

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
SUPPORTED = ("zh_CN", "en")


def create_i18n(default_locale: str) -> I18n:
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


@dataclass(frozen=True)
class Translator:
    """A message id to `locale`, for work done outside the update's context (a thread).

    It keeps its locale in sight: category labels are data, picked by language, not msgids.
    """

    i18n: I18n
    locale: str

    def __call__(self, message: str) -> str:
        return self.i18n.gettext(message, locale=self.locale)


def translator(i18n: I18n, locale: str) -> Translator:
    return Translator(i18n, locale)


def locale_from_telegram(language_code: str | None) -> str | None:
    """Map Telegram's IETF tag to one of our locales; None when we have nothing closer."""
    if not language_code:
        return None
    tag = language_code.lower()
    if tag.startswith("en"):
        return "en"
    if tag.startswith("zh"):
        return "zh_CN"
    return None


class LocaleMiddleware(I18nMiddleware):
    """Pick the locale from the stored preference, then Telegram, then the default."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        preferred = data.get("user_language")
        if isinstance(preferred, str) and preferred in SUPPORTED:
            return preferred
        user = data.get("event_from_user")
        from_telegram = (
            locale_from_telegram(user.language_code) if isinstance(user, User) else None
        )
        return from_telegram or self.i18n.default_locale
