"""Safe-mode (安全模式) message crypto: AES-256-CBC as WeChat specifies it.

key = base64(EncodingAESKey + "="), IV = key[:16], PKCS#7 padding to 32-byte blocks (not
AES's 16), plaintext = 16 random bytes + 4-byte big-endian length + message + AppID. The
AppID at the end is checked on decrypt, so a message sealed for another account (with a
leaked key shared between accounts) is refused.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AES_KEY_LENGTH = 43
BLOCK = 32
_AES_KEY_CHARS = re.compile(r"[A-Za-z0-9+/]{43}")


class CryptoError(Exception):
    """A ciphertext that is not valid base64, padding, length or AppID."""


def aes_key_problem(encoding_aes_key: str) -> str | None:
    """Say why an EncodingAESKey is unusable, or None when it is fine."""
    if len(encoding_aes_key) != AES_KEY_LENGTH:
        return f"is {len(encoding_aes_key)} characters; WeChat's EncodingAESKey has 43"
    if not _AES_KEY_CHARS.fullmatch(encoding_aes_key):
        return "may hold only A-Z, a-z, 0-9, + and / (it is base64 without the final '=')"
    return None


def _pad(data: bytes) -> bytes:
    amount = BLOCK - len(data) % BLOCK
    return data + bytes([amount]) * amount


def _unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError("empty plaintext")
    amount = data[-1]
    if not 1 <= amount <= BLOCK or data[-amount:] != bytes([amount]) * amount:
        raise CryptoError("bad padding")
    return data[:-amount]


class MessageCipher:
    """Encrypts and decrypts one account's safe-mode messages."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        if problem := aes_key_problem(encoding_aes_key):
            raise ValueError(f"EncodingAESKey {problem}")
        self._key = base64.b64decode(encoding_aes_key + "=")
        self._app_id = app_id.encode()

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, message: bytes, *, random_prefix: bytes | None = None) -> str:
        """Seal a message for WeChat; `random_prefix` is fixed only by known-answer tests."""
        prefix = os.urandom(16) if random_prefix is None else random_prefix
        if len(prefix) != 16:
            raise ValueError("the random prefix is 16 bytes")
        plain = prefix + struct.pack(">I", len(message)) + message + self._app_id
        encryptor = self._cipher().encryptor()
        sealed = encryptor.update(_pad(plain)) + encryptor.finalize()
        return base64.b64encode(sealed).decode()

    def decrypt(self, encrypted: str) -> bytes:
        """Open a message and check it was sealed for this AppID."""
        try:
            sealed = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as error:
            raise CryptoError("not base64") from error
        if not sealed or len(sealed) % 16:
            raise CryptoError("not whole AES blocks")
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(sealed) + decryptor.finalize())
        if len(plain) < 20:
            raise CryptoError("too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, app_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length:
            raise CryptoError("length beyond the plaintext")
        if app_id != self._app_id:
            raise CryptoError("sealed for another AppID")
        return message
