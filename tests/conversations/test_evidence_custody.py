"""Custody of the original upload: the department sees the stripped copy; an administrator,
and only an administrator, gets the exact bytes back with `/original CODE N`, audited."""

from __future__ import annotations

import hashlib
import io

from PIL import ExifTags, Image

from bot.app import SnapreportApp
from config.logs import user_hash
from emulator.client import ChatUser
from storage.media import ORIGINAL_SUFFIX, LocalMediaStore
from tests.conversations.staff import deliver, identity_views, prefer_language, security_events
from tests.conversations.steps import (
    evidence_of,
    file_with_a_phone_file,
    ticket_by_code,
)
from tests.imagefactory import phone_jpeg


def gps_of(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


audit_rows = identity_views


async def test_the_administrator_alone_gets_the_exact_original_and_it_is_audited(
    app: SnapreportApp, citizen: ChatUser, supervisor: ChatUser, admin: ChatUser
) -> None:
    await prefer_language(app, supervisor, citizen)
    upload = phone_jpeg(seed=21)
    assert gps_of(upload)  # the upload really carries a position
    code = await file_with_a_phone_file(citizen, upload)
    [evidence] = await evidence_of(app, (await ticket_by_code(app, code)).id)
    assert evidence.original_sha256 == hashlib.sha256(upload).hexdigest()
    assert not gps_of(app.media_store.get(evidence.sha256))

    await deliver(app)
    seen = await supervisor.expect(f"Evidence for {code}")
    assert not gps_of(await supervisor.download(seen))

    await admin.command("original", f"{code} 1")
    sent = await admin.expect("Original upload of photo 1/1")
    assert sent.document is not None and sent.document.file_name == f"{code}-original-1.jpg"
    assert await admin.download(sent) == upload
    [row] = await audit_rows(app)
    assert (row.kind, row.evidence_id, row.role) == ("original", evidence.id, "admin")
    assert row.viewer_hash == user_hash(admin.id)
    await admin.command("audit", code)
    await admin.expect("original upload of photo 1")

    await supervisor.command("original", f"{code} 1")
    await supervisor.expect("Only administrators can do this.")
    assert [e.kind for e in await security_events(app)] == ["not_admin"]
    assert len(await audit_rows(app)) == 1
    assert not [m for m in await supervisor.messages() if m.document is not None]


async def test_a_tampered_original_is_refused_and_logged(
    app: SnapreportApp, citizen: ChatUser, admin: ChatUser
) -> None:
    code = await file_with_a_phone_file(citizen, phone_jpeg(seed=22))
    [evidence] = await evidence_of(app, (await ticket_by_code(app, code)).id)
    assert isinstance(app.media_store, LocalMediaStore) and evidence.original_sha256
    path = app.media_store.path(evidence.original_sha256, suffix=ORIGINAL_SUFFIX)
    sealed = bytearray(path.read_bytes())
    sealed[len(sealed) // 2] ^= 0x40
    path.write_bytes(bytes(sealed))

    await admin.command("original", code)
    await admin.expect("failed its integrity check")
    assert not [m for m in await admin.messages() if m.document is not None]
    assert [e.kind for e in await security_events(app)] == ["original_unreadable"]
    assert await audit_rows(app) == []
