"""WeChat's request signatures: sha1 over the sorted parameters, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac


def sign(*parts: str) -> str:
    """Return WeChat's signature: sha1 of the sorted parts, concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def url_signature(token: str, timestamp: str, nonce: str) -> str:
    """Return the `signature` WeChat puts on every request to the server URL."""
    return sign(token, timestamp, nonce)


def message_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """Return the `msg_signature` of a safe-mode message (the ciphertext is signed too)."""
    return sign(token, timestamp, nonce, encrypt)


def matches(expected: str, given: str) -> bool:
    """Compare signatures in constant time: a timing leak would let a forger guess them."""
    return hmac.compare_digest(expected.encode(), given.lower().encode())
