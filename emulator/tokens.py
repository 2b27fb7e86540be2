"""The control API's token: made when an emulator is built, required by every /control route.

Whoever reaches the control API can play any user and read every chat, so it takes
`Authorization: Bearer <token>`. An emulator running in this process registers its token
under its base URL while it listens, so `EmulatorClient(server.url)` finds it without being
told; a client of an emulator in another process passes `token=` or reads
`EMULATOR_CONTROL_TOKEN`, which `python -m emulator` prints at start.
"""

from __future__ import annotations

import hmac
import os
import secrets

ENV_VAR = "EMULATOR_CONTROL_TOKEN"
HEADER = "Authorization"
SCHEME = "Bearer "

# Base URL → token of the emulators listening in this process.
_listening: dict[str, str] = {}


def new_token() -> str:
    return secrets.token_urlsafe(24)


def register(url: str, token: str) -> None:
    _listening[url.rstrip("/")] = token


def forget(url: str) -> None:
    _listening.pop(url.rstrip("/"), None)


def token_for(url: str) -> str | None:
    """The token of the emulator at `url`: one in this process, else the environment's."""
    return _listening.get(url.rstrip("/")) or os.environ.get(ENV_VAR) or None


def header(token: str) -> dict[str, str]:
    return {HEADER: SCHEME + token}


def authorized(value: str | None, token: str) -> bool:
    """Whether an Authorization header carries `token` (compared in constant time)."""
    if not value or not value.startswith(SCHEME):
        return False
    return hmac.compare_digest(value.removeprefix(SCHEME).encode(), token.encode())
