"""A throwaway Redis server for the test session: temp dir, loopback, no persistence.

Started from the Debian package's `redis-server` binary (scripts/bootstrap.sh installs it),
as the current user, on a free loopback port, with its working directory in a temp dir that
is removed when it stops.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


class RedisUnavailable(RuntimeError):
    """No redis-server binary, or the server did not start."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """Start with `start()`, read `url`, stop with `stop()`."""

    port: int = 0
    root: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisUnavailable("redis-server not found: install the Debian package")
        self.root = Path(tempfile.mkdtemp(prefix="snapreport-redis-"))
        self.port = _free_port()
        args = [
            binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.root),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", str(self.root / "server.log"),
        ]  # fmt: skip
        quiet = subprocess.DEVNULL
        self._process = subprocess.Popen(args, stdout=quiet, stderr=quiet)
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        """Empty every database: each test starts from nothing."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
            if not sock.recv(64).startswith(b"+OK"):
                raise RedisUnavailable("FLUSHALL failed")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self.root / "server.log") if self.root else None
                detail = log.read_text()[-2000:] if log and log.exists() else ""
                raise RedisUnavailable(f"redis-server exited at start: {detail}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        raise RedisUnavailable("redis-server did not accept connections within 30 s")
