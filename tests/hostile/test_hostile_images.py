"""Hostile files sent as a report's photos: bombs, cut-off files, polyglots, odd formats,
broken EXIF, lying names and mime types. A refused file gets a clear answer and leaves
nothing behind (no draft, no stored file); an odd but real photo is taken and stored as a
clean RGB JPEG with nothing else in it.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from emulator.client import ChatUser, ControlApiError
from tests.conversations.steps import (
    begin_with_photo,
    categorize,
    describe,
    draft_data,
    fsm_records,
    skip_place,
    stay_anonymous,
)
from tests.hostile.checks import footprint
from tests.hostile.conftest import Shared, module_loop
from tests.imagefactory import (
    animated,
    cmyk_jpeg,
    exif_bad_offsets,
    exif_huge_tag_count,
    gif_bytes,
    html_with_jpeg_header,
    huge_dimensions_jpeg,
    huge_dimensions_png,
    jpeg_bytes,
    jpeg_with_exif_segment,
    jpeg_zip_polyglot,
    png_bytes,
    text_file,
    truncated_jpeg,
    truncated_png,
)

pytestmark = module_loop

NOT_A_PHOTO = "not a photo we can read"
TOO_MANY_PIXELS = "over 50 megapixels"
INCOMPLETE = "incomplete"

# name → (bytes, file name, mime type, what the citizen is told)
REFUSED: dict[str, tuple[Callable[[], bytes], str, str | None, str]] = {
    "png-claiming-10-gigapixels": (huge_dimensions_png, "bomb.png", "image/png", TOO_MANY_PIXELS),
    "jpeg-claiming-65000x65000": (huge_dimensions_jpeg, "bomb.jpg", "image/jpeg", TOO_MANY_PIXELS),
    "jpeg-claiming-81-megapixels": (
        lambda: huge_dimensions_jpeg(9000, 9000),
        "big.jpg",
        "image/jpeg",
        TOO_MANY_PIXELS,
    ),
    "truncated-jpeg": (truncated_jpeg, "cut.jpg", "image/jpeg", INCOMPLETE),
    "truncated-png": (truncated_png, "cut.png", "image/png", INCOMPLETE),
    "html-behind-a-jpeg-header": (html_with_jpeg_header, "page.jpg", "image/jpeg", NOT_A_PHOTO),
    "gif-named-jpeg": (gif_bytes, "still.jpg", "image/jpeg", NOT_A_PHOTO),
    "text-as-png-document": (text_file, "scan.png", "image/png", NOT_A_PHOTO),
    "one-byte-jpeg": (lambda: b"\xff", "photo.jpg", "image/jpeg", NOT_A_PHOTO),
}


@pytest.mark.parametrize("kind", REFUSED)
async def test_a_hostile_file_as_the_first_message_is_refused_and_leaves_nothing(
    shared: Shared, kind: str
) -> None:
    make, name, mime, told = REFUSED[kind]
    citizen = await shared.citizen()
    before = await footprint(shared.app)

    await citizen.send_document(make(), name, mime)

    await citizen.expect(told)
    await citizen.expect_nothing()
    assert await fsm_records(shared.app, citizen.id) == []
    assert await footprint(shared.app) == before


@pytest.mark.parametrize("kind", ["jpeg-claiming-65000x65000", "truncated-png", "gif-named-jpeg"])
async def test_a_hostile_file_within_a_draft_leaves_its_photos_as_they_were(
    shared: Shared, kind: str
) -> None:
    make, name, mime, told = REFUSED[kind]
    citizen = await shared.citizen()
    await begin_with_photo(citizen, seed=40)
    photos = (await draft_data(shared.app, citizen.id))["photos"]
    before = await footprint(shared.app)

    await citizen.send_document(make(), name, mime)

    await citizen.expect(told)
    await citizen.expect_nothing()
    assert (await draft_data(shared.app, citizen.id))["photos"] == photos
    assert await footprint(shared.app) == before


async def test_an_animated_gif_or_a_text_file_in_a_draft_is_answered(shared: Shared) -> None:
    citizen = await shared.citizen()
    await begin_with_photo(citizen, seed=41)

    await citizen.send_document(animated("GIF"), "funny.gif", "image/gif")
    await citizen.expect("Please send a photo (JPEG, PNG or WebP)")
    await citizen.send_document(text_file(), "notes.txt", "text/plain")
    await citizen.expect("Please send a photo (JPEG, PNG or WebP)")

    assert len((await draft_data(shared.app, citizen.id))["photos"]) == 1


async def test_an_empty_file_never_reaches_the_bot(shared: Shared) -> None:
    """Telegram (and the emulator) refuse to send a zero-byte document at all."""
    citizen = await shared.citizen()

    with pytest.raises(ControlApiError, match="must not be empty"):
        await citizen.send_document(b"", "photo.jpg", "image/jpeg")

    await citizen.expect_nothing()


# name → (bytes, file name, mime type)
TAKEN: dict[str, tuple[Callable[[], bytes], str, str | None]] = {
    "jpeg-with-a-zip-appended": (jpeg_zip_polyglot, "holiday.jpg", "image/jpeg"),
    "cmyk-jpeg": (cmyk_jpeg, "print.jpg", "image/jpeg"),
    "16-bit-png": (lambda: png_bytes(320, 240, mode="I;16"), "scan.png", "image/png"),
    "animated-webp": (lambda: animated("WEBP"), "clip.webp", "image/webp"),
    "exif-claiming-65535-tags": (
        lambda: jpeg_with_exif_segment(exif_huge_tag_count()),
        "IMG_0100.jpg",
        "image/jpeg",
    ),
    "exif-with-wild-offsets-and-a-loop": (
        lambda: jpeg_with_exif_segment(exif_bad_offsets()),
        "IMG_0101.jpg",
        "image/jpeg",
    ),
    "png-named-jpeg": (lambda: png_bytes(320, 240, seed=3), "photo.jpg", "image/jpeg"),
    "jpeg-as-octet-stream": (
        lambda: jpeg_bytes(320, 240, seed=4),
        "IMG_0102.JPG",
        "application/octet-stream",
    ),
}


@pytest.mark.parametrize("kind", TAKEN)
async def test_an_odd_but_real_photo_is_taken_as_a_clean_jpeg(shared: Shared, kind: str) -> None:
    make, name, mime = TAKEN[kind]
    citizen = await shared.citizen()

    await citizen.send_document(make(), name, mime)

    await citizen.expect("Received: 1 photo")
    [photo] = (await draft_data(shared.app, citizen.id))["photos"]
    stored = shared.app.media_store.get(photo["sha256"])
    assert_clean_jpeg(stored)
    assert b"PK\x03\x04" not in stored and b"<script" not in stored


async def test_a_photo_with_broken_exif_still_files(
    shared: Shared,
) -> None:
    citizen = await shared.citizen()
    await citizen.send_document(
        jpeg_with_exif_segment(exif_bad_offsets()), "IMG_0103.jpg", "image/jpeg"
    )
    await citizen.expect("Received: 1 photo")
    await describe_and_preview(citizen)

    await citizen.press("Confirm")

    await citizen.expect("Tracking code")


async def describe_and_preview(citizen: ChatUser) -> None:
    await describe(citizen, "The clerk at window 3 asked for a red envelope")
    await categorize(citizen)
    await skip_place(citizen)
    await stay_anonymous(citizen)


def assert_clean_jpeg(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.mode) == ("JPEG", "RGB")
        assert getattr(image, "n_frames", 1) == 1
        assert not image.getexif()
        assert not {"exif", "xmp", "comment", "icc_profile"} & image.info.keys()
