"""Settings of one emulator instance, fixed when it starts.

Tests build an `EmulatorConfig` to pick the bot identity, how strict the Telegram rate limits
are (scaled up so tests need not wait, or off), which share of calls fail on purpose, and the
clocks, so that nothing in the emulator reads the time behind a test's back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_TOKEN = "123456789:snapreport-emulator-token"
MB = 1024 * 1024


@dataclass(frozen=True)
class BotIdentity:
    """One bot the emulator serves: its token and the name `getMe` reports."""

    token: str = DEFAULT_TOKEN
    username: str = "snapreport_bot"
    first_name: str = "Snapreport"

    @property
    def id(self) -> int:
        # Telegram tokens start with the bot's user id.
        return int(self.token.split(":", 1)[0])


@dataclass(frozen=True)
class LimitRates:
    """Telegram's sending limits as token buckets: refill rate and burst size."""

    global_per_second: float = 30.0
    global_burst: float = 30.0
    private_per_second: float = 1.0
    private_burst: float = 3.0
    group_per_minute: float = 20.0
    group_burst: float = 20.0


@dataclass(frozen=True)
class FaultShares:
    """Shares (0..1) of bot calls that fail on purpose, and how a timeout behaves."""

    share_429: float = 0.0
    share_500: float = 0.0
    share_timeout: float = 0.0
    timeout_delay: float = 5.0
    # When set, a timed-out call still takes effect: the reply is what gets lost.
    timeout_after_effect: bool = False
    exempt: frozenset[str] = frozenset({"getupdates", "getme"})

    def __post_init__(self) -> None:
        shares = (self.share_429, self.share_500, self.share_timeout)
        if any(share < 0 or share > 1 for share in shares) or sum(shares) > 1:
            raise ValueError("fault shares must be within 0..1 and add up to at most 1")


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything an `EmulatorServer` needs to know before it starts."""

    bots: tuple[BotIdentity, ...] = (BotIdentity(),)
    limits: LimitRates = LimitRates()
    rate_scale: float = 1.0
    rate_limits: bool = True
    faults: FaultShares = FaultShares()
    seed: int | None = None
    webhook_retry_min: float = 0.1
    webhook_retry_max: float = 5.0
    webhook_timeout: float = 10.0
    # Telegram takes answerCallbackQuery for about 15 s after the press, then says "too old".
    callback_answer_window: float = 15.0
    max_download_bytes: int = 20 * MB
    max_upload_bytes: int = 50 * MB
    # The control API's token; None: a random one per server (`EmulatorServer.control_token`).
    control_token: str | None = None
    monotonic: Callable[[], float] = field(default=time.monotonic)
    wall_clock: Callable[[], float] = field(default=time.time)

    def __post_init__(self) -> None:
        if not self.bots:
            raise ValueError("the emulator needs at least one bot")
        if self.rate_scale <= 0:
            raise ValueError("rate_scale must be positive")

    @property
    def token(self) -> str:
        return self.bots[0].token
