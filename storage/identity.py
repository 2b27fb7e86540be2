"""Identity at rest: who a reporter is never sits in the database in the clear.

Reporters fear retaliation, so a copy of the database (a backup, a dump, a stolen disk)
must identify nobody. Channel ids, names, phones, chat ids of outbox rows and cards, FSM
data and raw inbox updates are stored AES-256-GCM encrypted (random nonce, so equal values
give different ciphertexts); FSM data, drafts of a few KB, is compressed first and stored
as raw bytes, not base64 text (`EncryptedCompressedJSON`). What must be looked up by value
(a reporter by their Telegram id, an outbox chat's queue) is found through a keyed hash
column (HMAC-SHA256) beside it.
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
import zlib
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import LargeBinary, Text
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
_TAG_BYTES = 16  # AES-GCM's
_ATTRIBUTE = "_snapreport_identity_keys"
_SEALED_MAGIC = b"SRO1"  # a sealed original: magic, key id, nonce, ciphertext and tag
# Far above any draft (~2 KB of JSON at the preview), far below what would hurt a process.
MAX_INFLATED_JSON_BYTES = 1 << 20
# Measured on drafts at the preview (bench.memory_bench.draft_data): level 6 (zlib's
# default) gives 1,257 B from 2,154 B; level 1 1,278 B; levels 7-9 nothing more for
# 15% more time. Compressing one takes ~35 µs, inflating ~8 µs.
_ZLIB_LEVEL = 6


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
        blob = self.encrypt_bytes(plaintext, context=context)
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
        return self.decrypt_bytes(blob, context=context)

    def encrypt_bytes(self, plaintext: bytes, *, context: bytes) -> bytes:
        """Authenticated ciphertext of `plaintext` under the current key, as raw bytes:
        key id, nonce, ciphertext and tag (`encrypt` is this in base64 text)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._current.aead.encrypt(nonce, plaintext, context)
        return self._current.key_id + nonce + sealed

    def decrypt_bytes(self, blob: bytes, *, context: bytes) -> bytes:
        """The plaintext of `encrypt_bytes`'s output; raise if altered or the key is unknown."""
        key_id = blob[:_KEY_ID_BYTES]
        key = self._by_id.get(key_id)
        if key is None:
            raise IdentityKeyError(
                f"value was encrypted with key id {key_id.hex()}, not with IDENTITY_KEY "
                f"(key id {self._current.key_id.hex()}) nor IDENTITY_KEY_OLD: wrong key"
            )
        if len(blob) < _KEY_ID_BYTES + _NONCE_BYTES + _TAG_BYTES:
            raise IdentityDecryptError("encrypted identity value is corrupted: truncated")
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
    """Base of the encrypted column types: a value in Python, sealed in the database.

    Subclasses say how a value becomes bytes (`encode`, `decode`); the sealed bytes are
    stored as base64 text (`IdentityKeys.encrypt`) unless a subclass stores them otherwise
    (`_EncryptedBinary`). Comparing such a column with a Python value would compare a fresh
    random ciphertext and silently match nothing: that raises (IS [NOT] NULL excepted).
    """

    impl: Any = Text
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

    def _seal(self, keys: IdentityKeys, plaintext: bytes) -> str | bytes:
        return keys.encrypt(plaintext, context=self.context)

    def _unseal(self, keys: IdentityKeys, stored: Any) -> bytes:
        return keys.decrypt(str(stored), context=self.context)

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | bytes | None:
        if value is None:
            return None
        return self._seal(keys_of(dialect), self.encode(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.decode(self._unseal(keys_of(dialect), value))


class _EncryptedBinary(_Encrypted):
    """Sealed as raw bytes (`IdentityKeys.encrypt_bytes`) in a binary column: BLOB on
    SQLite, BYTEA on PostgreSQL, a third smaller than base64 text."""

    impl = LargeBinary
    cache_ok = True

    def _seal(self, keys: IdentityKeys, plaintext: bytes) -> bytes:
        return keys.encrypt_bytes(plaintext, context=self.context)

    def _unseal(self, keys: IdentityKeys, stored: Any) -> bytes:
        return keys.decrypt_bytes(bytes(stored), context=self.context)


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


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class EncryptedJSON(_Encrypted):
    """A JSON document (an outbox request, a raw update) stored encrypted."""

    cache_ok = True
    context = b"json"

    def encode(self, value: Any) -> bytes:
        return _json_bytes(value)

    def decode(self, data: bytes) -> Any:
        return json.loads(data)


class EncryptedCompressedJSON(_EncryptedBinary):
    """A JSON document (FSM data: a report draft) zlib-compressed, then stored encrypted
    as raw bytes: a draft at the preview is ~1,290 B so, not ~2,940 B of base64 text.

    Compressing before encrypting lets the stored length tell how repetitive the document
    is. That leaks nothing here: only the reporter writes their draft and only someone
    reading the database sees its length, so no attacker mixes text of their choosing
    with a secret in one document and watches the length change, as CRIME and BREACH do.
    """

    cache_ok = True
    context = b"json+zlib"  # of its own: an EncryptedJSON value moved here fails to open

    def encode(self, value: Any) -> bytes:
        document = _json_bytes(value)
        # Refused here rather than stored: `decode` would refuse it on every read after.
        if len(document) > MAX_INFLATED_JSON_BYTES:
            raise ValueError(
                f"JSON document of {len(document):,} B exceeds "
                f"{MAX_INFLATED_JSON_BYTES:,} B, the most a stored one may inflate to"
            )
        return zlib.compress(document, _ZLIB_LEVEL)

    def decode(self, data: bytes) -> Any:
        # Capped: deflate inflates up to ~1,000-fold, and a restart inflates every live
        # draft at once. Only a holder of the key can store a value that opens (it is
        # authenticated first), but a bug or a leaked key must not exhaust the bot's memory.
        inflater = zlib.decompressobj()
        try:
            document = inflater.decompress(data, MAX_INFLATED_JSON_BYTES + 1)
        except zlib.error:
            raise IdentityDecryptError("compressed JSON value is corrupted") from None
        if len(document) > MAX_INFLATED_JSON_BYTES:
            raise IdentityDecryptError(
                f"compressed JSON value inflates beyond {MAX_INFLATED_JSON_BYTES:,} B: refused"
            )
        if not inflater.eof or inflater.unused_data:
            raise IdentityDecryptError("compressed JSON value is truncated or padded")
        return json.loads(document)
