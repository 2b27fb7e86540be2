"""structlog set-up: key=value lines for people, JSON lines for log shippers."""

from __future__ import annotations

import hashlib
import logging
import sys

import structlog


class _CurrentStderr:
    """Whatever `sys.stderr` is now: test runners swap it, and a stream kept from
    configuration time may be closed by the time something logs."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    # stderr: stdout belongs to commands' own output (benchmark JSON, the demo transcript).
    logging.basicConfig(level=level.upper(), format="%(message)s", stream=sys.stderr)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


def user_hash(user_id: int) -> str:
    """A short stable pseudonym for logs: raw Telegram ids never reach a log line."""
    return hashlib.sha256(f"snapreport:{user_id}".encode()).hexdigest()[:12]
