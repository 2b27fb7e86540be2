"""Custody of original uploads: sealing round-trips, and only an administrator gets the
original back, verified against the hash recorded at arrival and audited."""

from __future__ import annotations

import base64
import hashlib

import pytest

from storage.identity import IdentityDecryptError, IdentityKeyError, IdentityKeys, generate_key
from tests.factories import admin, staff, ticket_view
from tests.fakes import Fakes
from tests.imagefactory import phone_jpeg
from tickets.custody import (
    EvidenceItem,
    OriginalUnreadable,
    Unreadable,
    retrieve_original,
)
from tickets.errors import Conflict, Forbidden, NotFound

UPLOAD = phone_jpeg(seed=11)
SHA = hashlib.sha256(UPLOAD).hexdigest()
CODE = "SR-CUST-0001-0"


# -- sealing ----------------------------------------------------------------------------------


def test_a_sealed_original_opens_to_the_exact_bytes() -> None:
    keys = IdentityKeys.from_text(generate_key())

    sealed = keys.seal_original(UPLOAD, sha256=SHA)

    assert UPLOAD not in sealed and b"SnapPhone" not in sealed
    assert keys.open_original(sealed, sha256=SHA) == UPLOAD
    assert keys.seal_original(UPLOAD, sha256=SHA) != sealed  # a fresh nonce every time


@pytest.mark.parametrize("where", [10, -1])
def test_an_altered_byte_is_refused(where: int) -> None:
    keys = IdentityKeys.from_text(generate_key())
    sealed = bytearray(keys.seal_original(UPLOAD, sha256=SHA))
    sealed[where] ^= 0x01

    with pytest.raises(IdentityDecryptError):
        keys.open_original(bytes(sealed), sha256=SHA)


def test_a_sealed_file_moved_under_another_hash_is_refused() -> None:
    keys = IdentityKeys.from_text(generate_key())
    sealed = keys.seal_original(UPLOAD, sha256=SHA)

    with pytest.raises(IdentityDecryptError):
        keys.open_original(sealed, sha256=hashlib.sha256(b"other").hexdigest())


@pytest.mark.parametrize("junk", [b"", b"SRO1", b"\xff\xd8\xff plain jpeg" * 4])
def test_what_is_not_a_sealed_original_is_refused(junk: bytes) -> None:
    with pytest.raises(IdentityDecryptError):
        IdentityKeys.from_text(generate_key()).open_original(junk, sha256=SHA)


def test_the_old_key_opens_during_rotation_and_an_unknown_key_is_named() -> None:
    old_text, new_text = generate_key(), generate_key()
    sealed = IdentityKeys.from_text(old_text).seal_original(UPLOAD, sha256=SHA)
    ring = IdentityKeys.from_text(new_text, old=[old_text])

    assert ring.open_original(sealed, sha256=SHA) == UPLOAD
    assert not ring.sealed_with_current(sealed)
    assert ring.sealed_with_current(ring.seal_original(UPLOAD, sha256=SHA))
    with pytest.raises(IdentityKeyError, match="wrong key"):
        IdentityKeys.from_text(new_text).open_original(sealed, sha256=SHA)


def test_an_identity_key_value_cannot_open_an_original() -> None:
    keys = IdentityKeys.from_text(generate_key())
    sealed = keys.seal_original(UPLOAD, sha256=SHA)
    # Same ring, another derived key: a value sealed for one purpose opens for no other.
    as_column = "v1." + base64.urlsafe_b64encode(sealed[4:]).decode().rstrip("=")
    with pytest.raises(IdentityDecryptError, match="authentication"):
        keys.decrypt(as_column, context=b"original:" + SHA.encode())
    token = keys.encrypt(UPLOAD, context=b"original:" + SHA.encode())
    column_value = base64.urlsafe_b64decode(token[3:] + "=" * (-len(token[3:]) % 4))
    with pytest.raises(IdentityDecryptError, match="authentication"):
        keys.open_original(b"SRO1" + column_value, sha256=SHA)


# -- the use case -----------------------------------------------------------------------------


class FakeVault:
    """Two photos of ticket 1; the first has its original, the second predates custody."""

    def __init__(self, stored: bytes | OriginalUnreadable = UPLOAD) -> None:
        self.stored = stored

    async def evidence(self, *, ticket_id: int) -> list[EvidenceItem]:
        return [
            EvidenceItem(id=31, number=1, sha256="a" * 64, original_sha256=SHA),
            EvidenceItem(id=32, number=2, sha256="b" * 64, original_sha256=None),
        ]

    async def open_original(self, *, original_sha256: str) -> bytes:
        if isinstance(self.stored, OriginalUnreadable):
            raise self.stored
        return self.stored


async def retrieve(fakes: Fakes, vault: FakeVault, **overrides: object) -> object:
    values: dict[str, object] = {"number": 1, "private_chat": True, "actor": admin()}
    values.update(overrides)
    return await retrieve_original(
        fakes.ws,
        vault,
        fakes.identity_views,
        values["actor"],  # type: ignore[arg-type]
        code=CODE,
        number=values["number"],  # type: ignore[arg-type]
        private_chat=values["private_chat"],  # type: ignore[arg-type]
    )


@pytest.fixture
def seeded(fakes: Fakes) -> Fakes:
    fakes.tickets.seed(ticket_view(code=CODE))
    return fakes


async def test_an_administrator_gets_the_exact_original_and_the_look_is_audited(
    seeded: Fakes,
) -> None:
    found = await retrieve_original(
        seeded.ws,
        FakeVault(),
        seeded.identity_views,
        admin(),
        code=CODE,
        number=1,
        private_chat=True,
    )

    assert found.data == UPLOAD and found.sha256 == SHA and found.count == 2
    assert found.filename == f"{CODE}-original-1.jpg"
    [look] = seeded.identity_views.looks
    assert (look.kind, look.evidence_id, look.role, look.member_id) == (
        "original",
        31,
        "admin",
        None,
    )
    assert look.at == seeded.clock.now()


async def test_a_supervisor_of_the_department_is_refused(seeded: Fakes) -> None:
    with pytest.raises(Forbidden) as refused:
        await retrieve(seeded, FakeVault(), actor=staff(1))

    assert refused.value.code == "not_admin" and seeded.identity_views.looks == []


async def test_not_in_a_group_chat(seeded: Fakes) -> None:
    with pytest.raises(Forbidden, match="original_private_only"):
        await retrieve(seeded, FakeVault(), private_chat=False)


async def test_bytes_that_do_not_hash_as_recorded_are_refused(seeded: Fakes) -> None:
    with pytest.raises(Conflict, match="original_tampered"):
        await retrieve(seeded, FakeVault(UPLOAD + b"\x00"))

    assert seeded.identity_views.looks == []


@pytest.mark.parametrize(
    ("reason", "code"),
    [(Unreadable.UNDECRYPTABLE, "original_unreadable"), (Unreadable.MISSING, "original_missing")],
)
async def test_an_unreadable_original_is_refused(
    seeded: Fakes, reason: Unreadable, code: str
) -> None:
    with pytest.raises(Conflict, match=code):
        await retrieve(seeded, FakeVault(OriginalUnreadable(reason)))

    assert seeded.identity_views.looks == []


@pytest.mark.parametrize(("number", "code"), [(2, "original_not_kept"), (3, "evidence_number")])
async def test_a_photo_without_an_original_or_out_of_range(
    seeded: Fakes, number: int, code: str
) -> None:
    with pytest.raises(NotFound, match=code):
        await retrieve(seeded, FakeVault(), number=number)


async def test_an_unknown_code(fakes: Fakes) -> None:
    with pytest.raises(NotFound, match="ticket_not_found"):
        await retrieve(fakes, FakeVault())
