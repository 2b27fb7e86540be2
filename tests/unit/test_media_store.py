"""The content-addressed media store and the async pipeline in front of it."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import stat
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from storage.images import ImageLimits, ImageRejected, RejectReason, normalize_photo
from storage.media import (
    PHOTO_NICENESS,
    LocalMediaStore,
    PhotoWorkers,
    StoredPhoto,
    process_and_store,
    worker_niceness,
)
from tests import imagefactory as factory

DATA = b"evidence bytes"
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> LocalMediaStore:
    return LocalMediaStore(tmp_path / "media")


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_put_names_the_file_by_its_sha256_under_two_fan_out_levels(store: LocalMediaStore) -> None:
    sha = store.put(DATA)

    assert sha == SHA
    assert store.path(sha) == store.root / SHA[:2] / SHA[2:4] / f"{SHA}.jpg"
    assert store.get(sha) == DATA
    assert store.exists(sha)


def test_putting_the_same_bytes_twice_stores_one_file(store: LocalMediaStore) -> None:
    assert store.put(DATA) == store.put(DATA)
    assert stored_files(store.root) == [store.path(SHA)]


def test_files_are_private_to_the_bot_user(store: LocalMediaStore) -> None:
    mode = stat.S_IMODE(store.path(store.put(DATA)).stat().st_mode)
    assert mode & 0o077 == 0


def test_thumbnail_lives_next_to_its_photo(store: LocalMediaStore) -> None:
    sha = store.put(DATA)
    store.put_thumb(sha, b"small")

    assert store.get_thumb(sha) == b"small"
    assert store.path(sha, suffix="_thumb.jpg").parent == store.path(sha).parent


def test_delete_removes_photo_and_thumbnail_and_tolerates_repeats(store: LocalMediaStore) -> None:
    sha = store.put(DATA)
    store.put_thumb(sha, b"small")

    store.delete(sha)
    store.delete(sha)

    assert not store.exists(sha)
    assert stored_files(store.root) == []


def test_missing_file_raises_file_not_found(store: LocalMediaStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.get(SHA)


@pytest.mark.parametrize("sha", ["../../etc/passwd", SHA.upper(), SHA[:-1], f"{SHA}/x", ""])
def test_anything_but_a_lowercase_sha256_is_refused(store: LocalMediaStore, sha: str) -> None:
    with pytest.raises(ValueError, match="sha256"):
        store.path(sha)


@pytest.mark.parametrize("suffix", ["/../x", "..", ".jpg/evil"])
def test_unsafe_suffixes_are_refused(store: LocalMediaStore, suffix: str) -> None:
    with pytest.raises(ValueError, match="suffix"):
        store.put(DATA, suffix=suffix)


def test_a_failed_write_leaves_neither_file_nor_temporary(
    store: LocalMediaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(src: object, dst: object) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(os, "replace", disk_full)

    with pytest.raises(OSError, match="no space"):
        store.put(DATA)
    assert stored_files(store.root) == []


# -- process_and_store ------------------------------------------------------------------------


async def test_process_and_store_keeps_the_normalised_photo_and_its_thumbnail(
    store: LocalMediaStore,
) -> None:
    data = factory.phone_jpeg()
    expected = normalize_photo(data, keep_metadata=True)

    stored = await process_and_store(store, data, keep_metadata=True, limits=ImageLimits())

    assert stored == StoredPhoto(
        sha256=expected.sha256,
        phash=expected.phash,
        size_bytes=expected.size_bytes,
        width=expected.width,
        height=expected.height,
        metadata=expected.metadata,
    )
    assert store.get(stored.sha256) == expected.jpeg
    assert store.get_thumb(stored.sha256) == expected.thumbnail
    assert len(Image.open(io.BytesIO(store.get(stored.sha256))).getexif()) == 0


async def test_process_and_store_drops_metadata_without_consent(store: LocalMediaStore) -> None:
    stored = await process_and_store(store, factory.phone_jpeg(), keep_metadata=False)
    assert stored.metadata is None


async def test_the_same_photo_sent_twice_is_stored_once(store: LocalMediaStore) -> None:
    data = factory.jpeg_bytes()
    first = await process_and_store(store, data, keep_metadata=False)
    second = await process_and_store(store, data, keep_metadata=False)
    assert first.sha256 == second.sha256
    assert len(stored_files(store.root)) == 2  # the photo and its thumbnail


async def test_a_rejected_upload_stores_nothing(store: LocalMediaStore) -> None:
    with pytest.raises(ImageRejected) as caught:
        await process_and_store(store, factory.truncated_jpeg(), keep_metadata=False)
    assert caught.value.reason is RejectReason.TRUNCATED
    assert not store.root.exists()


class ThreadRecordingStore(LocalMediaStore):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.threads: set[int] = set()

    def put(self, data: bytes, *, suffix: str = ".jpg") -> str:
        self.threads.add(threading.get_ident())
        return super().put(data, suffix=suffix)


async def test_process_and_store_works_off_the_event_loop_thread(tmp_path: Path) -> None:
    store = ThreadRecordingStore(tmp_path)

    await process_and_store(store, factory.jpeg_bytes(), keep_metadata=False)

    assert store.threads
    assert threading.get_ident() not in store.threads


class ConcurrencyRecorder:
    """Work that records how many copies of it run at once, and in which threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.most = 0
        self.names: set[str] = set()

    def __call__(self) -> None:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
            self.names.add(threading.current_thread().name)
        time.sleep(0.02)  # long enough for a third copy to start if the pool allowed it
        with self.lock:
            self.active -= 1


async def test_photo_workers_run_no_more_photos_at_once_than_they_have_workers() -> None:
    work = ConcurrencyRecorder()
    workers = PhotoWorkers(2, pool="thread")
    try:
        await asyncio.gather(*(workers.run(work) for _ in range(6)))
    finally:
        workers.close()

    assert work.most == 2
    assert work.names and all(name.startswith("photo") for name in work.names)


async def test_photo_worker_threads_run_at_a_lower_priority_than_the_event_loop() -> None:
    workers = PhotoWorkers(1, pool="thread", niceness=5)
    try:
        niceness = await workers.run(worker_niceness)
    finally:
        workers.close()

    assert niceness == min(19, worker_niceness() + 5)
    assert worker_niceness() < niceness  # the loop's own thread kept its priority


async def test_a_worker_process_runs_niced_stores_the_same_photo_and_keeps_refusals(
    tmp_path: Path,
) -> None:
    upload = factory.jpeg_bytes(seed=3, exif=factory.make_exif(gps=(31.23, 121.47)))
    workers = PhotoWorkers(1, pool="process")
    try:
        niceness = await workers.run(worker_niceness)
        in_process = await process_and_store(
            LocalMediaStore(tmp_path / "a"), upload, keep_metadata=True, workers=workers
        )
        with pytest.raises(ImageRejected) as refused:
            await process_and_store(
                LocalMediaStore(tmp_path / "a"),
                factory.truncated_jpeg(),
                keep_metadata=True,
                workers=workers,
            )
    finally:
        workers.close(wait=True)
    in_thread = await process_and_store(
        LocalMediaStore(tmp_path / "b"), upload, keep_metadata=True
    )

    assert niceness == min(19, worker_niceness() + PHOTO_NICENESS)
    assert in_process == in_thread
    assert in_process.metadata is not None and in_process.metadata.latitude is not None
    assert refused.value.reason is RejectReason.TRUNCATED
    # The photo and its thumbnail; the refused file left nothing behind.
    assert len(stored_files(tmp_path / "a")) == 2


async def test_closed_photo_workers_take_no_more_photos() -> None:
    workers = PhotoWorkers(1, pool="thread")
    workers.close(wait=True)

    with pytest.raises(RuntimeError):
        await workers.run(worker_niceness)
