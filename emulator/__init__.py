"""A local Telegram Bot API server, so the bot, its tests, the demo and benchmarks run offline.

`EmulatorServer` speaks Telegram's HTTP protocol (aiogram points at it with
`TelegramAPIServer.from_base(server.url)`), enforces Telegram's limits and errors, and can fail
on purpose; `EmulatorClient` and `ChatUser` drive it through its control API to play users.
"""

from emulator.client import ChatUser, ControlApiError, EmulatorClient
from emulator.config import DEFAULT_TOKEN, BotIdentity, EmulatorConfig, FaultShares, LimitRates
from emulator.server import EmulatorServer
from emulator.views import BotAction, Button, CallbackAnswer, ChatInfo, ChatMessage, UserInfo

__all__ = [
    "DEFAULT_TOKEN",
    "BotAction",
    "BotIdentity",
    "Button",
    "CallbackAnswer",
    "ChatInfo",
    "ChatMessage",
    "ChatUser",
    "ControlApiError",
    "EmulatorClient",
    "EmulatorConfig",
    "EmulatorServer",
    "FaultShares",
    "LimitRates",
    "UserInfo",
]
