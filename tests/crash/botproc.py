"""`snapreport run` as a real child process: started, SIGKILLed and restarted by the crash test.

The bot runs exactly as in production (`python -m bot.cli run`, settings from the
environment), writes its JSON log lines to a file per start, and dies only by the signals
the test sends it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class BotProcess:
    """One bot at a time: `start`, `kill` (SIGKILL), `start` again; logs kept per start."""

    env: dict[str, str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    logs: list[Path] = field(default_factory=list)
    _log_file: IO[bytes] | None = None

    def start(self) -> None:
        self.starts += 1
        log_path = self.workdir / f"bot-{self.starts}.log"
        self.logs.append(log_path)
        self._log_file = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=self.env,
            cwd=self.workdir,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    async def wait_ready(self, within: float = 60.0) -> None:
        """Wait until the current start logs `bot_started` (replay done, polling)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while '"bot_started"' not in self.logs[-1].read_text(errors="replace"):
            if not self.alive():
                raise AssertionError(f"the bot exited at start: {self.tracebacks()}")
            if loop.time() > deadline:
                raise AssertionError(f"the bot did not start within {within} s")
            await asyncio.sleep(0.1)  # another process: poll its log

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no lock released by the bot itself."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._close_log()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it does not go; returns its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._close_log()
        return self.process.returncode

    def log_lines(self) -> list[dict[str, Any]]:
        """Every JSON log line of every start, in order (other lines are skipped)."""
        lines: list[dict[str, Any]] = []
        for path in self.logs:
            for raw in path.read_text(errors="replace").splitlines():
                if raw.startswith("{"):
                    try:
                        lines.append(json.loads(raw))
                    except ValueError:
                        continue  # the last line of a killed process may be cut off
        return lines

    def tracebacks(self) -> list[str]:
        """Log files' text around each Python traceback, for the failure message."""
        found = []
        for path in self.logs:
            text = path.read_text(errors="replace")
            if "Traceback" in text:
                found.append(f"{path.name}: {text[text.index('Traceback') :][:3000]}")
        return found

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
