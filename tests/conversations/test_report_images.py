"""Photos a citizen sends: bad files are refused clearly, and no metadata leaves the system."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from PIL import Image

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.media import LocalMediaStore
from tests.conversations.steps import (
    begin_with_photo,
    categorize,
    confirm,
    describe,
    draft_data,
    evidence_of,
    file_with_a_phone_file,
    fsm_records,
    skip_place,
    ticket_by_code,
)
from tests.imagefactory import (
    many_pixels_png,
    oversized_jpeg,
    phone_jpeg,
    png_bytes,
    text_file,
    truncated_jpeg,
)

BAD_FILES: dict[str, tuple[Callable[[], bytes], str, str | None, str]] = {
    "text-named-jpg": (text_file, "notes.jpg", None, "not a photo we can read"),
    "truncated-jpeg": (truncated_jpeg, "cut.jpg", "image/jpeg", "incomplete"),
    "60-megapixel-png": (many_pixels_png, "huge.png", "image/png", "over 50 megapixels"),
    "25-mb-file": (oversized_jpeg, "big.jpg", "image/jpeg", "larger than 20 MB"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
# The emulator's control client posts the 25 MB upload as one JSON body; aiohttp warns.
@pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")
async def test_bad_image_sent_as_a_file_is_refused_and_not_added(
    citizen: ChatUser, app: SnapreportApp, kind: str
) -> None:
    make, name, mime, message = BAD_FILES[kind]
    await begin_with_photo(citizen)
    before = await draft_data(app, citizen.id)

    await citizen.send_document(make(), name, mime)

    await citizen.expect(message)
    await citizen.expect_nothing()
    after = await draft_data(app, citizen.id)
    assert after["photos"] == before["photos"]
    assert isinstance(app.media_store, LocalMediaStore)  # the default without MEDIA_URL
    assert sum(1 for _ in app.media_store.root.rglob("*_thumb.jpg")) == 1


@pytest.mark.parametrize("kind", ["text-named-jpg", "truncated-jpeg"])
async def test_bad_file_as_the_first_message_starts_no_draft(
    citizen: ChatUser, app: SnapreportApp, kind: str
) -> None:
    make, name, mime, message = BAD_FILES[kind]

    await citizen.send_document(make(), name, mime)

    await citizen.expect(message)
    await citizen.expect_nothing()
    assert await fsm_records(app, citizen.id) == []


async def test_png_sent_as_a_file_is_accepted(citizen: ChatUser, app: SnapreportApp) -> None:
    await citizen.send_document(png_bytes(400, 300, mode="RGBA"), "screen.png", "image/png")

    await citizen.expect("Received: 1 photo")
    [photo] = (await draft_data(app, citizen.id))["photos"]
    assert (photo["width"], photo["height"]) == (400, 300)


def assert_no_metadata(jpeg: bytes) -> None:
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG"
        assert not image.getexif(), dict(image.getexif())
        assert not {"exif", "xmp", "comment", "icc_profile"} & image.info.keys(), image.info
        assert not any(marker in image.applist for marker in ("APP1", "APP13")), image.applist  # type: ignore[attr-defined]


async def test_stored_jpegs_carry_no_exif(citizen: ChatUser, app: SnapreportApp) -> None:
    original = phone_jpeg(seed=5)
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif()  # the upload really does carry EXIF and GPS
    code = await file_with_a_phone_file(citizen, original)

    [evidence] = await evidence_of(app, (await ticket_by_code(app, code)).id)
    stored = app.media_store.get(evidence.sha256)
    assert_no_metadata(stored)
    assert_no_metadata(app.media_store.get_thumb(evidence.sha256))
    assert b"taken at home" not in stored and b"SnapPhone" not in stored
    assert (evidence.captured_at, evidence.gps_lat, evidence.gps_lon) == (None, None, None)


async def to_preview_with_phone_file(citizen: ChatUser) -> None:
    await citizen.send_document(phone_jpeg(seed=6), "IMG_0002.jpg", "image/jpeg")
    await citizen.expect("Received: 1 photo")
    await describe(citizen)
    await categorize(citizen)
    await skip_place(citizen)
    await citizen.press("Anonymous")
    assert await metadata_button(citizen) == "📎 Photo time/GPS: not included"


async def metadata_button(citizen: ChatUser) -> str:
    """Wait for the preview (shown or edited) and return its photo-metadata button."""
    preview = await citizen.expect("Please check your report")
    return next(b.text for b in preview.inline_buttons if "GPS" in b.text)


async def test_capture_time_and_gps_kept_when_the_reporter_turns_them_on(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await to_preview_with_phone_file(citizen)

    await citizen.press("Photo time/GPS")
    assert await metadata_button(citizen) == "📎 Photo time/GPS: included"
    code = await confirm(citizen)

    [evidence] = await evidence_of(app, (await ticket_by_code(app, code)).id)
    # 14:30 on the camera's clock, which wrote no offset: Shanghai time, UTC+8.
    assert evidence.captured_at == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    assert evidence.gps_lat == pytest.approx(31.230416, abs=1e-5)
    assert evidence.gps_lon == pytest.approx(121.473701, abs=1e-5)
    assert_no_metadata(app.media_store.get(evidence.sha256))


async def test_capture_time_and_gps_dropped_when_turned_off_again(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await to_preview_with_phone_file(citizen)
    await citizen.press("Photo time/GPS")
    assert await metadata_button(citizen) == "📎 Photo time/GPS: included"

    await citizen.press("Photo time/GPS")
    assert await metadata_button(citizen) == "📎 Photo time/GPS: not included"
    code = await confirm(citizen)

    [evidence] = await evidence_of(app, (await ticket_by_code(app, code)).id)
    assert (evidence.captured_at, evidence.gps_lat, evidence.gps_lon) == (None, None, None)


async def test_photo_sent_as_a_photo_offers_no_metadata_choice(citizen: ChatUser) -> None:
    await citizen.send_photo(phone_jpeg(seed=7))  # Telegram re-encodes photos without EXIF
    await citizen.expect("Received: 1 photo")
    await describe(citizen)
    await categorize(citizen)
    await skip_place(citizen)
    await citizen.press("Anonymous")

    preview = await citizen.expect("Please check your report")
    assert not any("GPS" in b.text for b in preview.inline_buttons)
