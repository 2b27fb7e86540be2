"""Counts what happened, so tests and benchmarks can tell how the bot treated the API.

A bot that respects Telegram's limits should cause no limit violations: 429s that the rate
limits (not injected faults) had to send. Faults injected, errors by code and requests per
method are counted too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from emulator.errors import ApiError
from emulator.faults import Fault


@dataclass
class Stats:
    """Running totals since the emulator started or was last reset."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    limit_violations: Counter[str] = field(default_factory=Counter)
    too_many_requests: int = 0

    def clear(self) -> None:
        self.requests.clear()
        self.errors.clear()
        self.faults.clear()
        self.limit_violations.clear()
        self.too_many_requests = 0

    def request(self, method: str) -> None:
        self.requests[method] += 1

    def fault(self, fault: Fault) -> None:
        self.faults[fault.value] += 1
        if fault is Fault.TOO_MANY_REQUESTS:
            self.too_many_requests += 1

    def error(self, error: ApiError) -> None:
        self.errors[error.code] += 1
        if error.code == 429:
            self.too_many_requests += 1
        if error.limit_scope is not None:
            self.limit_violations[error.limit_scope] += 1

    def to_json(self) -> dict[str, object]:
        return {
            "requests": dict(self.requests),
            "errors": {str(code): count for code, count in self.errors.items()},
            "faults": dict(self.faults),
            "too_many_requests": self.too_many_requests,
            "limit_violations": sum(self.limit_violations.values()),
            "limit_violations_by_scope": dict(self.limit_violations),
        }
