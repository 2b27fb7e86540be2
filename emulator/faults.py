"""Makes a chosen share of bot calls fail, to prove the bot survives a flaky Telegram.

Each call draws once from a seedable `random.Random`: below the 429 share it is refused with
`retry_after` 1, below 429+500 it gets an Internal Server Error, below 429+500+timeout it is
held and then dropped. getUpdates and getMe are exempt by default so polling itself keeps
working. The shares can be changed while the emulator runs.
"""

from __future__ import annotations

import random
from enum import StrEnum

from emulator.config import FaultShares


class Fault(StrEnum):
    """The ways an injected fault makes a call fail."""

    TOO_MANY_REQUESTS = "429"
    SERVER_ERROR = "500"
    TIMEOUT = "timeout"


class FaultInjector:
    """Decides, call by call, whether a bot method fails on purpose."""

    def __init__(self, shares: FaultShares, seed: int | None = None) -> None:
        self.shares = shares
        self._random = random.Random(seed)

    def configure(self, shares: FaultShares, seed: int | None = None) -> None:
        self.shares = shares
        if seed is not None:
            self._random.seed(seed)

    def draw(self, method: str) -> Fault | None:
        """The fault this call suffers, if any."""
        shares = self.shares
        if method.lower() in shares.exempt:
            return None
        if shares.share_429 == shares.share_500 == shares.share_timeout == 0:
            return None
        roll = self._random.random()
        for fault, share in (
            (Fault.TOO_MANY_REQUESTS, shares.share_429),
            (Fault.SERVER_ERROR, shares.share_500),
            (Fault.TIMEOUT, shares.share_timeout),
        ):
            if roll < share:
                return fault
            roll -= share
        return None
