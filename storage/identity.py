"""Identity at rest: who a reporter is never sits in the database in the clear.

Reporters fear retaliation, so a copy of the database (a backup, a dump, a stolen disk)
must identify nobody. Channel ids, names, phones, chat ids of outbox rows and cards, FSM
data and raw inbox updates are stored AES-256-GCM encrypted (random nonce, so equal values
give different ciphertexts); what must be looked up by value (a reporter by their Telegram
id, an outbox chat's queue) is found through a keyed hash column (HMAC-SHA256) beside it.
Both keys are derived with HKDF from one `IDENTITY_KEY`, so neither reveals the other.
A third derived key seals the original uploads of evidence photos (`seal_original`): files
in the media store, not columns, but identifying in the same way (a phone photo's EXIF says
where it was taken), so they share the key, its ring and its rotation.

The key ring travels with the engine (`create_engine(url, keys=...)` attaches it to the
engine's dialect, the one object a column type sees when it converts a value). That keeps
keys out of module globals and lets two engines with different keys live in one process:
the rotation command, a test, a migration. A ring holds one key that encrypts and hashes
and any number of old keys that only decrypt; every ciphertext names the key it was made
with (a 4-byte key id), so a wrong key is reported as such instead of as garbage.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.types import TypeDecorator

KEY_BYTES = 32
HASH_CHARS = 32  # 128 bits of HMAC-SHA256, hex: plenty against collisions, short in indexes
_PREFIX = "v1."
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12
_ATTRIBUTE = "_snapreport_identity_keys"
_SEALED_MAGIC = b"SRO1"  # a sealed original: magic, key id, nonce, ciphertext and tag


class IdentityKeyError(ValueError):
    """The identity key is missing or malformed, or no key of the ring fits a value."""


class IdentityDecryptError(ValueError):
    """A stored value did not authenticate: it was altered, or it is not ours."""


def generate_key() -> str:
    """A fresh random IDENTITY_KEY (base64 of 32 bytes)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parse_key(text: str, *, name: str = "IDENTITY_KEY") -> bytes:
    """The 32 key bytes of a base64 (standard or URL-safe) IDENTITY_KEY."""
    cleaned = text.strip().strip("'\"")
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise IdentityKeyError(f"{name} is not base64 (make one: snapreport keys init)") from None
    if len(raw) != KEY_BYTES:
        raise IdentityKeyError(f"{name} must be {KEY_BYTES} bytes of base64, not {len(raw)}")
    return raw


def is_encrypted(value: str) -> bool:
    """Whether a stored value has the form of `IdentityKeys.encrypt`'s output."""
    return value.startswith(_PREFIX)


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(
        master
    )


class _Key:
    """One IDENTITY_KEY's derived keys: encryption, lookup hash, and its public id."""

    def __init__(self, master: bytes) -> None:
        self.aead = AESGCM(_derive(master, b"snapreport identity encryption v1"))
        self.hash_key = _derive(master, b"snapreport identity lookup hash v1")
        self.original_aead = AESGCM(_derive(master, b"snapreport evidence original v1"))
        # Names the key in each ciphertext; derived, so it reveals nothing about the key.
        self.key_id = _derive(master, b"snapreport identity key id v1")[:_KEY_ID_BYTES]


class IdentityKeys:
    """The key ring: `key` encrypts and hashes; `old` keys only decrypt (during rotation)."""

    def __init__(self, key: bytes, *, old: Iterable[bytes] = ()) -> None:
        self._current = _Key(key)
        self._by_id = {k.key_id: k for k in (*(_Key(o) for o in old), self._current)}

    @classmethod
    def from_text(cls, key: str, *, old: Iterable[str] = ()) -> IdentityKeys:
        """A ring from base64 settings values (IDENTITY_KEY, IDENTITY_KEY_OLD)."""
        return cls(
            parse_key(key),
            old=[parse_key(o, name="IDENTITY_KEY_OLD") for o in old if o.strip()],
        )

    @classmethod
    def from_environment(cls) -> IdentityKeys | None:
        """The ring of IDENTITY_KEY (and IDENTITY_KEY_OLD) in the environment, if set.

        Only for Alembic migrations, which run outside the composition root.
        """
        key = os.environ.get("IDENTITY_KEY", "")
        if not key.strip():
            return None
        return cls.from_text(key, old=[os.environ.get("IDENTITY_KEY_OLD", "")])

    def encrypt(self, plaintext: bytes, *, context: bytes) -> str:
        """Authenticated ciphertext of `plaintext` under the current key, as text."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._current.aead.encrypt(nonce, plaintext, context)
        blob = self._current.key_id + nonce + sealed
        return _PREFIX + base64.urlsafe_b64encode(blob).decode().rstrip("=")

    def decrypt(self, token: str, *, context: bytes) -> bytes:
        """The plaintext of `encrypt`'s output; raise if it was altered or the key is unknown."""
        if not token.startswith(_PREFIX):
            raise IdentityDecryptError("stored value is not an encrypted identity value")
        body = token[len(_PREFIX) :]
        try:
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise IdentityDecryptError("encrypted identity value is corrupted") from None
        key_id = blob[:_KEY_ID_BYTES]
        key = self._by_id.get(key_id)
        if key is None:
            raise IdentityKeyError(
                f"value was encrypted with key id {key_id.hex()}, not with IDENTITY_KEY "
                f"(key id {self._current.key_id.hex()}) nor IDENTITY_KEY_OLD: wrong key"
            )
        nonce = blob[_KEY_ID_BYTES : _KEY_ID_BYTES + _NONCE_BYTES]
        try:
            return key.aead.decrypt(nonce, blob[_KEY_ID_BYTES + _NONCE_BYTES :], context)
        except InvalidTag:
            raise IdentityDecryptError(
                "encrypted identity value failed authentication: altered or corrupted"
            ) from None

    def lookup_hash(self, value: int | str) -> str:
        """The keyed hash that finds a row by `value` without storing `value`."""
        tagged = f"i:{value}" if isinstance(value, int) else f"s:{value}"
        digest = hmac.new(self._current.hash_key, tagged.encode(), hashlib.sha256)
        return digest.hexdigest()[:HASH_CHARS]

    @property
    def key_id(self) -> str:
        return self._current.key_id.hex()

    def seal_original(self, data: bytes, *, sha256: str) -> bytes:
        """The original upload `data` (whose sha256 it is) encrypted under the current key."""
        nonce = os.urandom(_NONCE_BYTES)
        # The hash is the associated data: a sealed file moved under another name fails.
        sealed = self._current.original_aead.encrypt(nonce, data, _original_context(sha256))
        return _SEALED_MAGIC + self._current.key_id + nonce + sealed

    def open_original(self, sealed: bytes, *, sha256: str) -> bytes:
        """The bytes `seal_original` sealed; raise if altered, misnamed or under an unknown key."""
        head = len(_SEALED_MAGIC)
        if not sealed.startswith(_SEALED_MAGIC) or len(sealed) < head + _KEY_ID_BYTES + 28:
            raise IdentityDecryptError("stored file is not a sealed original")
        key_id = sealed[head : head + _KEY_ID_BYTES]
        key = self._by_id.get(key_id)
        if key is None:
            raise IdentityKeyError(
                f"original was sealed with key id {key_id.hex()}, not with IDENTITY_KEY "
                f"(key id {self._current.key_id.hex()}) nor IDENTITY_KEY_OLD: wrong key"
            )
        start = head + _KEY_ID_BYTES
        nonce, body = sealed[start : start + _NONCE_BYTES], sealed[start + _NONCE_BYTES :]
        try:
            return key.original_aead.decrypt(nonce, body, _original_context(sha256))
        except InvalidTag:
            raise IdentityDecryptError(
                "sealed original failed authentication: altered or corrupted"
            ) from None

    def sealed_with_current(self, sealed: bytes) -> bool:
        """Whether a sealed original is under the current key (rotation skips it)."""
        head = len(_SEALED_MAGIC)
        return sealed[head : head + _KEY_ID_BYTES] == self._current.key_id


def _original_context(sha256: str) -> bytes:
    return b"original:" + sha256.encode()


# -- where the ring lives -----------------------------------------------------------------


def attach_keys(engine: AsyncEngine | Engine, keys: IdentityKeys) -> None:
    """Make `engine`'s sessions encrypt, decrypt and hash with `keys`."""
    setattr(engine.dialect, _ATTRIBUTE, keys)


def keys_of(
    where: AsyncSession | Session | AsyncEngine | Engine | AsyncConnection | Connection | Dialect,
) -> IdentityKeys:
    """The key ring of the engine behind `where`; a clear error when it has none."""
    if isinstance(where, AsyncSession | Session):
        dialect = where.get_bind().dialect
    elif isinstance(where, Dialect):
        dialect = where
    else:
        dialect = where.dialect
    keys = getattr(dialect, _ATTRIBUTE, None)
    if not isinstance(keys, IdentityKeys):
        raise IdentityKeyError(
            "no identity key on this database engine: set IDENTITY_KEY "
            "(snapreport keys init writes one into .env)"
        )
    return keys


def lookup_hash(where: AsyncSession | Session | AsyncConnection | Connection, value: int) -> str:
    """The keyed hash of a channel id, to compare with a `*_hash` column."""
    return keys_of(where).lookup_hash(value)


# -- column types -------------------------------------------------------------------------


class _Encrypted(TypeDecorator[Any]):
    """Base of the encrypted column types: text in the database, a value in Python.

    Comparing such a column with a Python value would compare a fresh random ciphertext
    and silently match nothing: that raises (IS [NOT] NULL excepted).
    """

    impl = Text
    cache_ok = True
    context = b""

    class comparator_factory(TypeDecorator.Comparator[Any]):
        def operate(self, op: OperatorType, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
            # SQL expressions pass (SQLAlchemy itself compares columns, e.g. as dict keys);
            # a Python value would be bound as a fresh ciphertext and match nothing.
            literal = any(not isinstance(o, ClauseElement) for o in other)
            if op in (operators.is_, operators.is_not) or not literal:
                return super().operate(op, *other, **kwargs)
            raise TypeError(
                f"{self.expr} is encrypted: compare its keyed-hash column "
                "(storage.identity.lookup_hash) instead"
            )

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keys_of(dialect).encrypt(self.encode(value), context=self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.decode(keys_of(dialect).decrypt(str(value), context=self.context))


class EncryptedStr(_Encrypted):
    """A text value stored encrypted (a name, a phone, an FSM key)."""

    cache_ok = True
    context = b"str"

    def encode(self, value: Any) -> bytes:
        return str(value).encode()

    def decode(self, data: bytes) -> str:
        return data.decode()


class EncryptedInt(_Encrypted):
    """A channel user or chat id stored encrypted; `*_hash` beside it finds it."""

    cache_ok = True
    context = b"int"

    def encode(self, value: Any) -> bytes:
        return str(int(value)).encode()

    def decode(self, data: bytes) -> int:
        return int(data)


class EncryptedJSON(_Encrypted):
    """A JSON document (an outbox request, FSM data, a raw update) stored encrypted."""

    cache_ok = True
    context = b"json"

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    def decode(self, data: bytes) -> Any:
        return json.loads(data)
