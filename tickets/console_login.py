"""Passwordless login to the web console: a one-time link sent by the bot to a staff member.

A token is 32 random bytes (URL-safe); only its sha256 is stored, so a database dump holds
no usable link or session. A link lives 10 minutes and is spent by its first use.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from tickets.actors import Actor
from tickets.errors import Forbidden
from tickets.ports import ConsoleAccess

LOGIN_TTL = timedelta(minutes=10)
LOGIN_PATH = "/console/login"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_login_link(
    console: ConsoleAccess, actor: Actor, *, base_url: str, now: datetime
) -> str:
    """A fresh one-time login link for a staff member (department member or administrator)."""
    if not actor.is_staff:
        raise Forbidden("not_staff")
    token = new_token()
    await console.issue_login(
        user_id=actor.user_id,
        token_hash=token_hash(token),
        now=now,
        expires_at=now + LOGIN_TTL,
    )
    return f"{base_url.rstrip('/')}{LOGIN_PATH}?t={token}"
