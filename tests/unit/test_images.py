"""The photo pipeline, tested by reopening the bytes it produces."""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
import warnings
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageFile

from storage.images import (
    DEFAULT_LIMITS,
    POSSIBLE_DUPLICATE_DISTANCE,
    ImageLimits,
    ImageRejected,
    PhotoMetadata,
    ProcessedPhoto,
    RejectReason,
    is_possible_duplicate,
    normalize_photo,
    phash_distance,
)
from tests import imagefactory as factory

RED, BLUE = (255, 0, 0), (0, 0, 255)


def normalize(
    data: bytes, *, keep_metadata: bool = False, limits: ImageLimits = DEFAULT_LIMITS
) -> ProcessedPhoto:
    return normalize_photo(data, keep_metadata=keep_metadata, limits=limits)


def rejection(data: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> RejectReason:
    with pytest.raises(ImageRejected) as caught:
        normalize(data, limits=limits)
    return caught.value.reason


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel: object, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


# -- rejections -------------------------------------------------------------------------------


def test_upload_over_20_mb_is_too_large() -> None:
    assert rejection(factory.oversized_jpeg()) is RejectReason.TOO_LARGE


def test_size_limit_is_inclusive() -> None:
    data = factory.jpeg_bytes()
    assert normalize(data, limits=ImageLimits(max_bytes=len(data))).width == 640
    assert rejection(data, ImageLimits(max_bytes=len(data) - 1)) is RejectReason.TOO_LARGE


def test_text_file_is_not_an_image() -> None:
    assert rejection(factory.text_file()) is RejectReason.NOT_AN_IMAGE


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_formats_pillow_reads_but_we_do_not_accept_are_not_images(fmt: str) -> None:
    assert rejection(factory.encode(factory.photo(64, 48), fmt)) is RejectReason.NOT_AN_IMAGE


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_cut_off_jpeg_is_truncated(keep: float) -> None:
    assert rejection(factory.truncated_jpeg(keep=keep)) is RejectReason.TRUNCATED


def test_cut_off_png_is_truncated() -> None:
    whole = factory.png_bytes(320, 240)
    assert rejection(whole[: len(whole) // 2]) is RejectReason.TRUNCATED


def test_sixty_megapixels_are_refused_before_any_pixel_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = factory.many_pixels_png()
    assert len(data) < 10_000

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("decoded a decompression bomb")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    assert rejection(data) is RejectReason.TOO_MANY_PIXELS


@pytest.mark.parametrize("side", [10_000, 14_000])  # past Pillow's warning, past its error
def test_pillow_bomb_limits_become_rejections_without_leaking_a_warning(side: int) -> None:
    data = factory.many_pixels_png(side, side)
    pillow_limit = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        assert rejection(data, ImageLimits(max_pixels=side * side)) is RejectReason.TOO_MANY_PIXELS
    assert leaked == []
    assert pillow_limit == Image.MAX_IMAGE_PIXELS


def test_many_pixels_png_helper_makes_a_decodable_file() -> None:
    image = reopen(factory.many_pixels_png(100, 30))
    assert (image.mode, image.size) == ("1", (100, 30))


# -- what is stored ---------------------------------------------------------------------------


@pytest.mark.parametrize("keep_metadata", [True, False])
def test_stored_jpeg_and_thumbnail_carry_no_metadata(keep_metadata: bool) -> None:
    source = reopen(factory.phone_jpeg())
    assert {"exif", "xmp", "comment", "icc_profile"} <= source.info.keys()

    result = normalize(factory.phone_jpeg(), keep_metadata=keep_metadata)

    for data in (result.jpeg, result.thumbnail):
        stored = reopen(data)
        assert stored.format == "JPEG"
        assert len(stored.getexif()) == 0
        assert not {"exif", "xmp", "comment", "icc_profile"} & stored.info.keys()


def test_exif_orientation_is_applied_to_the_pixels() -> None:
    sideways = Image.new("RGB", (80, 40), RED)
    sideways.paste(BLUE, (40, 0, 80, 40))  # left red, right blue
    data = factory.jpeg_bytes(image=sideways, exif=factory.make_exif(orientation=6))

    upright = reopen(normalize(data).jpeg)

    assert upright.size == (40, 80)  # orientation 6: rotate 90° clockwise to display
    assert near(upright.getpixel((20, 10)), RED)
    assert near(upright.getpixel((20, 70)), BLUE)


def test_transparent_png_is_flattened_onto_white() -> None:
    data = factory.encode(Image.new("RGBA", (20, 20), (0, 0, 0, 0)), "PNG")
    stored = reopen(normalize(data).jpeg)
    assert stored.mode == "RGB"
    assert near(stored.getpixel((10, 10)), (255, 255, 255), tolerance=2)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L", "1", "I;16"])
def test_png_modes_become_rgb_jpeg(mode: str) -> None:
    result = normalize(factory.png_bytes(mode=mode))
    stored = reopen(result.jpeg)
    assert (stored.mode, stored.size) == ("RGB", (64, 48))


def test_palette_image_is_averaged_when_shrunk_not_sampled() -> None:
    stripes = Image.new("P", (400, 400), 0)
    stripes.putpalette([0, 0, 0, 255, 255, 255])
    for x in range(0, 400, 2):
        stripes.paste(1, (x, 0, x + 1, 400))  # one-pixel black and white columns
    data = factory.encode(stripes, "PNG")

    shrunk = reopen(normalize(data, limits=ImageLimits(max_side=100)).jpeg)

    assert near(shrunk.getpixel((50, 50)), (128, 128, 128), tolerance=20)


def test_sixteen_bit_grey_keeps_its_tones() -> None:
    data = factory.encode(Image.new("I;16", (8, 8), 32768), "PNG")
    grey = reopen(normalize(data).jpeg).getpixel((4, 4))
    assert near(grey, (128, 128, 128), tolerance=3)


def test_webp_is_accepted() -> None:
    data = factory.encode(factory.photo(64, 48), "WEBP")
    assert normalize(data).source_format == "WEBP"


def test_large_photo_is_downscaled_and_thumbnailed() -> None:
    data = factory.jpeg_bytes(2000, 1000)

    result = normalize(data, limits=ImageLimits(max_side=800, thumb_side=100))

    assert (result.width, result.height) == (800, 400)
    assert reopen(result.jpeg).size == (800, 400)
    assert reopen(result.thumbnail).size == (100, 50)


def test_jpeg_far_above_the_stored_size_still_ends_at_the_stored_size() -> None:
    # 1600 / 400 lets Pillow decode at 1/4 scale; the result must not depend on it.
    result = normalize(factory.jpeg_bytes(1600, 1200), limits=ImageLimits(max_side=400))
    assert (result.width, result.height) == (400, 300)


def test_embedded_colour_profile_is_applied_then_dropped() -> None:
    srgb = factory.phone_jpeg()  # carries an sRGB profile
    red = factory.encode(Image.new("RGB", (16, 16), RED), "JPEG", icc_profile=_icc(srgb))
    stored = reopen(normalize(red).jpeg)
    assert "icc_profile" not in stored.info
    assert near(stored.getpixel((8, 8)), RED, tolerance=12)


def test_unreadable_colour_profile_does_not_cost_the_photo() -> None:
    data = factory.encode(factory.photo(64, 48), "JPEG", icc_profile=b"not a profile")
    assert reopen(normalize(data).jpeg).size == (64, 48)


def _icc(data: bytes) -> bytes:
    profile = reopen(data).info["icc_profile"]
    assert isinstance(profile, bytes)
    return profile


def test_small_photo_keeps_its_size() -> None:
    result = normalize(factory.jpeg_bytes(300, 200))
    assert (result.width, result.height) == (300, 200)


def test_sha256_names_the_stored_bytes_and_is_stable() -> None:
    data = factory.jpeg_bytes()
    first, second = normalize(data), normalize(data)
    assert first.sha256 == hashlib.sha256(first.jpeg).hexdigest()
    assert (second.jpeg, second.sha256) == (first.jpeg, first.sha256)
    assert first.size_bytes == len(first.jpeg)


# -- metadata ---------------------------------------------------------------------------------


def test_metadata_is_read_only_with_consent() -> None:
    data = factory.phone_jpeg(gps=(31.230416, 121.473701))

    assert normalize(data, keep_metadata=False).metadata is None
    metadata = normalize(data, keep_metadata=True).metadata

    assert metadata is not None
    assert metadata.captured_at_text == "2024:05:01 14:30:00"
    assert metadata.captured_at == datetime(2024, 5, 1, 14, 30)  # noqa: DTZ001 - EXIF is naive
    assert metadata.latitude == pytest.approx(31.230416, abs=1e-4)
    assert metadata.longitude == pytest.approx(121.473701, abs=1e-4)


def test_southern_and_western_positions_are_negative() -> None:
    data = factory.phone_jpeg(gps=(-33.856784, -70.648270))
    metadata = normalize(data, keep_metadata=True).metadata
    assert metadata is not None
    assert metadata.latitude == pytest.approx(-33.856784, abs=1e-4)
    assert metadata.longitude == pytest.approx(-70.648270, abs=1e-4)


def test_photo_without_exif_has_no_metadata() -> None:
    assert normalize(factory.jpeg_bytes(), keep_metadata=True).metadata is None


def test_png_exif_is_read_too() -> None:
    exif = factory.make_exif(captured_at="2023:12:31 23:59:58", gps=(22.5, 114.0))
    data = factory.encode(factory.photo(64, 48), "PNG", exif=exif)
    metadata = normalize(data, keep_metadata=True).metadata
    assert metadata is not None
    assert metadata.captured_at_text == "2023:12:31 23:59:58"
    assert metadata.latitude == pytest.approx(22.5)
    assert metadata.longitude == pytest.approx(114.0)


def test_camera_placeholder_time_is_kept_as_text_but_not_parsed() -> None:
    data = factory.phone_jpeg(captured_at="0000:00:00 00:00:00", gps=None)
    metadata = normalize(data, keep_metadata=True).metadata
    assert metadata == PhotoMetadata(captured_at_text="0000:00:00 00:00:00")


def test_zero_zero_gps_means_no_fix() -> None:
    data = factory.phone_jpeg(captured_at=None, gps=(0.0, 0.0))
    assert normalize(data, keep_metadata=True).metadata is None


def test_corrupt_exif_never_escapes_as_a_crash_or_warning() -> None:
    # Seeded byte flips: a handful of these crash ImageOps.exif_transpose in Pillow 13.
    exif = factory.make_exif(captured_at="2024:05:01 14:30:00", gps=(31.2, 121.4), orientation=6)
    pristine, picture, rng = exif.tobytes(), factory.photo(32, 24), random.Random(7)
    for _ in range(300):
        flipped = bytearray(pristine)
        for _ in range(rng.randint(1, 6)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        data = factory.encode(picture, "JPEG", exif=bytes(flipped))
        with contextlib.suppress(ImageRejected):
            normalize(data, keep_metadata=True)


def test_capture_time_uses_the_exif_offset_when_present() -> None:
    exif = factory.make_exif(captured_at="2024:05:01 14:30:00", utc_offset="+08:00")
    metadata = normalize(factory.jpeg_bytes(exif=exif), keep_metadata=True).metadata

    assert metadata is not None
    assert metadata.utc_offset == timedelta(hours=8)
    aware = metadata.captured_at_in(UTC)
    assert aware == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    assert aware is not None and aware.utcoffset() == timedelta(hours=8)


def test_capture_time_without_offset_takes_the_given_zone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    metadata = PhotoMetadata(
        captured_at_text="2024:05:01 14:30:00",
        captured_at=datetime(2024, 5, 1, 14, 30),  # noqa: DTZ001 - EXIF is naive
    )
    assert metadata.captured_at_in(shanghai) == datetime(2024, 5, 1, 14, 30, tzinfo=shanghai)
    assert PhotoMetadata().captured_at_in(UTC) is None


# -- perceptual hash --------------------------------------------------------------------------


def test_recompressed_and_resized_copy_is_a_possible_duplicate() -> None:
    original = factory.photo(seed=3)
    first = normalize(factory.encode(original, "JPEG", quality=95))
    copies = [
        factory.encode(original, "JPEG", quality=40),
        factory.encode(original.resize((320, 240)), "JPEG", quality=60),
        factory.encode(original.resize((800, 600)), "PNG"),
    ]
    for data in copies:
        assert is_possible_duplicate(first.phash, normalize(data).phash)


def test_different_photos_are_not_duplicates() -> None:
    hashes = [normalize(factory.jpeg_bytes(seed=seed)).phash for seed in range(6)]
    for i, a in enumerate(hashes):
        for b in hashes[i + 1 :]:
            assert phash_distance(a, b) > POSSIBLE_DUPLICATE_DISTANCE


def test_phash_distance_counts_differing_bits() -> None:
    assert phash_distance("ff00ff00ff00ff00", "ff00ff00ff00ff00") == 0
    assert phash_distance("0000000000000000", "000000000000000f") == 4
    assert phash_distance("ffffffffffffffff", "0000000000000000") == 64
    with pytest.raises(ValueError, match="lengths"):
        phash_distance("ff", "ffff")


def test_phash_is_16_hex_digits() -> None:
    digest = normalize(factory.jpeg_bytes()).phash
    assert len(digest) == 16
    int(digest, 16)
