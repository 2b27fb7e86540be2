"""A throwaway PostgreSQL server for the test session: temp data dir, loopback, stopped after.

PostgreSQL refuses to run as root, and tests and CI run as root here, so the server runs
as the `postgres` system user (created by the Debian package) through `runuser`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TEMPLATE_TRIES = 20


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries, or the server did not start."""


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not candidates:
        raise PostgresUnavailable("pg_ctl not found: install the Debian package `postgresql`")
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


@dataclass
class PostgresServer:
    """Start with `start()`, read `url`, stop with `stop()`."""

    port: int = 0
    data_dir: Path | None = None

    def start(self) -> None:
        bin_dir = _bin_dir()
        root = Path(tempfile.mkdtemp(prefix="snapreport-pg-"))
        os.chmod(root, 0o777)  # the server user must reach its data dir
        self.data_dir = root / "data"
        self.port = _free_port()
        if os.geteuid() == 0:
            shutil.chown(root, user="postgres", group="postgres")
        self._run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
            ]
        )
        options = f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-o",
                options,
                "-l",
                str(root / "server.log"),
                "-w",
                "-t",
                "30",
                "start",
            ]
        )
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str, template: str | None = None) -> str:
        """A fresh database on this server, empty or a copy of `template`; returns its URL."""
        args = [str(_bin_dir() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
        args += ["-U", "postgres", *(["-T", template] if template else []), name]
        for attempt in range(TEMPLATE_TRIES):
            try:
                self._run(args)
                break
            except PostgresUnavailable as error:
                # A copy needs the template to itself; a closing connection may linger.
                if template is None or attempt == TEMPLATE_TRIES - 1:
                    raise
                if "being accessed by other users" not in str(error):
                    raise
                time.sleep(0.1)
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def dump(self, name: str) -> str:
        """`pg_dump` of a database, schema and data, as the text SQL a backup would hold."""
        result = subprocess.run(
            _as_server_user(
                [
                    str(_bin_dir() / "pg_dump"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    name,
                ]
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"pg_dump failed: {result.stderr.strip()[-2000:]}")
        return result.stdout

    def stop(self) -> None:
        if self.data_dir is None:
            return
        bin_dir = _bin_dir()
        subprocess.run(
            _as_server_user(
                [str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)
        self.data_dir = None

    def _run(self, args: list[str]) -> None:
        try:
            result = subprocess.run(
                _as_server_user(args), capture_output=True, text=True, check=False, timeout=120
            )
        except subprocess.TimeoutExpired as error:
            raise PostgresUnavailable(f"{args[0]} did not finish within 120 s") from error
        if result.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed: {result.stderr.strip()[-2000:]}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise PostgresUnavailable("PostgreSQL did not accept connections within 30 s")
