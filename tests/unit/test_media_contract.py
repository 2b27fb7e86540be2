"""One contract for every media store: the local directory and an S3 bucket over real HTTP.

The callers (intake, outbox, draft clean-up, charts) only see the `MediaStore` port, so both
stores must answer the same calls the same way, missing files and bad keys included.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from config.settings import Settings
from storage.media import (
    ORIGINAL_SUFFIX,
    THUMB_SUFFIX,
    LocalMediaStore,
    MediaStore,
    MediaUnavailable,
    process_and_store,
)
from storage.mediastores import open_media_store
from storage.s3media import S3MediaStore
from tests import imagefactory as factory
from tests.keys import TEST_KEYS
from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY, S3Server, free_port

DATA = b"evidence bytes"
SHA = hashlib.sha256(DATA).hexdigest()
OTHER = hashlib.sha256(b"other").hexdigest()


def s3_store(server: S3Server, bucket: str, prefix: str = "media") -> S3MediaStore:
    return S3MediaStore(
        bucket,
        prefix=prefix,
        endpoint_url=server.url,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        region=REGION,
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MediaStore:
    if request.param == "local":
        return LocalMediaStore(tmp_path / "media")
    server: S3Server = request.getfixturevalue("s3")
    return s3_store(server, request.getfixturevalue("bucket"))


def test_put_returns_the_sha256_and_get_returns_the_bytes(store: MediaStore) -> None:
    assert store.put(DATA) == SHA
    assert store.get(SHA) == DATA
    assert store.exists(SHA)
    assert store.size(SHA) == len(DATA)


def test_putting_the_same_bytes_twice_keeps_one_copy(store: MediaStore) -> None:
    assert store.put(DATA) == store.put(DATA) == SHA
    assert store.get(SHA) == DATA


def test_a_thumbnail_is_stored_beside_its_photo_not_over_it(store: MediaStore) -> None:
    store.put(DATA)
    store.put_thumb(SHA, b"small")

    assert store.get_thumb(SHA) == b"small"
    assert store.get(SHA) == DATA
    assert store.size(SHA, suffix=THUMB_SUFFIX) == len(b"small")


def test_delete_removes_photo_and_thumbnail_and_tolerates_repeats(store: MediaStore) -> None:
    store.put(DATA)
    store.put_thumb(SHA, b"small")
    store.put(b"other")

    store.delete(SHA)
    store.delete(SHA)

    assert not store.exists(SHA)
    assert not store.exists(SHA, suffix=THUMB_SUFFIX)
    assert store.exists(OTHER)


def test_a_sealed_original_is_kept_beside_the_photo_under_its_own_hash(
    store: MediaStore,
) -> None:
    store.put(DATA)
    store.put_original(OTHER, b"sealed once")
    store.put_original(OTHER, b"sealed twice")  # the first copy stays

    assert store.get_original(OTHER) == b"sealed once"
    assert store.exists(OTHER, suffix=ORIGINAL_SUFFIX) and not store.exists(OTHER)
    store.put_original(OTHER, b"re-sealed", replace=True)  # a key rotation
    assert store.get_original(OTHER) == b"re-sealed"
    assert store.get(SHA) == DATA


def test_deleting_a_photo_keeps_the_original_and_the_reverse(store: MediaStore) -> None:
    store.put(DATA)
    store.put_original(SHA, b"sealed")

    store.delete(SHA)
    assert store.get_original(SHA) == b"sealed"
    store.put(DATA)
    store.delete_original(SHA)
    store.delete_original(SHA)

    assert store.get(SHA) == DATA
    with pytest.raises(FileNotFoundError):
        store.get_original(SHA)


async def test_the_photo_pipeline_keeps_the_original_sealed(store: MediaStore) -> None:
    upload = factory.phone_jpeg(seed=2)
    stored = await process_and_store(store, upload, keep_metadata=False, keys=TEST_KEYS)

    assert stored.original_sha256 == hashlib.sha256(upload).hexdigest()
    sealed = store.get_original(stored.original_sha256)
    assert upload not in sealed
    assert TEST_KEYS.open_original(sealed, sha256=stored.original_sha256) == upload
    assert store.get(stored.sha256) != upload


def test_missing_files_raise_file_not_found(store: MediaStore) -> None:
    assert not store.exists(SHA)
    with pytest.raises(FileNotFoundError):
        store.get(SHA)
    with pytest.raises(FileNotFoundError):
        store.get_thumb(SHA)
    with pytest.raises(FileNotFoundError):
        store.size(SHA)
    with pytest.raises(FileNotFoundError):
        store.get_original(SHA)


@pytest.mark.parametrize("sha", ["../../etc/passwd", SHA.upper(), SHA[:-1], ""])
def test_anything_but_a_lowercase_sha256_is_refused(store: MediaStore, sha: str) -> None:
    for call in (
        store.get,
        store.exists,
        store.delete,
        store.size,
        store.get_original,
        store.delete_original,
    ):
        with pytest.raises(ValueError):
            call(sha)
    with pytest.raises(ValueError):
        store.put_original(sha, b"sealed")


def test_unsafe_suffixes_are_refused(store: MediaStore) -> None:
    with pytest.raises(ValueError):
        store.put(DATA, suffix="/../x")
    with pytest.raises(ValueError):
        store.get(SHA, suffix="..jpg")


def test_check_reports_a_usable_store(store: MediaStore) -> None:
    assert store.check()


async def test_the_photo_pipeline_stores_photo_and_thumbnail(store: MediaStore) -> None:
    stored = await process_and_store(store, factory.jpeg_bytes(), keep_metadata=False)

    assert store.size(stored.sha256) == stored.size_bytes
    assert store.get_thumb(stored.sha256)[:2] == b"\xff\xd8"  # a JPEG


# -- S3 only ----------------------------------------------------------------------------------


def test_objects_live_under_the_prefix_in_the_local_layout(s3: S3Server, bucket: str) -> None:
    store = s3_store(s3, bucket, prefix="/prov/media/")
    store.put(DATA)

    assert s3.list_keys(bucket) == [f"prov/media/{SHA[:2]}/{SHA[2:4]}/{SHA}.jpg"]
    store.put_original(SHA, b"sealed")
    assert f"prov/media/{SHA[:2]}/{SHA[2:4]}/{SHA}.orig" in s3.list_keys(bucket)


def test_two_replicas_share_one_bucket(s3: S3Server, bucket: str) -> None:
    intake, sender = s3_store(s3, bucket), s3_store(s3, bucket)
    intake.put(DATA)

    assert sender.get(SHA) == DATA


def test_check_names_a_missing_bucket(s3: S3Server) -> None:
    with pytest.raises(MediaUnavailable, match="no-such-bucket"):
        s3_store(s3, "no-such-bucket").check()


def test_check_fails_when_nothing_listens(tmp_path: Path) -> None:
    dead = S3MediaStore(
        "b",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        access_key_id="k",
        secret_access_key="s",
        region=REGION,
    )
    with pytest.raises(MediaUnavailable, match=r"127\.0\.0\.1"):
        dead.check()


def test_media_url_picks_the_bucket_and_its_prefix(s3: S3Server, bucket: str) -> None:
    settings = Settings(
        _env_file=None,
        media_url=f"s3://{bucket}/evidence",
        s3_endpoint_url=s3.url,
        s3_access_key_id=ACCESS_KEY,
        s3_secret_access_key=SECRET_KEY,
        s3_region=REGION,
    )
    store = open_media_store(settings)
    store.put(DATA)

    assert isinstance(store, S3MediaStore)
    assert s3.list_keys(bucket) == [f"evidence/{SHA[:2]}/{SHA[2:4]}/{SHA}.jpg"]
    assert SECRET_KEY in settings.secret_values()


def test_without_media_url_photos_stay_in_media_dir(tmp_path: Path) -> None:
    store = open_media_store(Settings(_env_file=None, media_dir=tmp_path / "m"))
    assert isinstance(store, LocalMediaStore) and store.root == tmp_path / "m"


@pytest.mark.parametrize("url", ["http://bucket/x", "s3:///prefix", "/var/media", "s3://b?x=1"])
def test_a_media_url_that_is_not_a_bucket_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="MEDIA_URL"):
        Settings(_env_file=None, media_url=url)


def test_the_example_env_file_leaves_media_on_disk_and_metrics_off() -> None:
    settings = Settings(_env_file=Path(__file__).parents[2] / ".env.example")
    assert settings.media_bucket is None and settings.s3_secret_access_key is None
    assert settings.metrics_port is None
