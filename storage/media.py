"""The content-addressed media store for evidence photos, and the async door into it.

`MediaStore` is the port every user of media goes through (intake, the outbox, draft clean-up,
charts): bytes in and out by sha256, never a file path, so a deployment can swap the local
directory (one machine, the default) for an S3-compatible bucket (`storage.s3media`, shared
by every replica) without touching a caller. The methods block: call them in a worker thread.

`LocalMediaStore`: files are named by the sha256 of their bytes and fanned out as
`root/ab/cd/<sha256>.jpg`, so the same photo sent twice is stored once and a database row
needs only the hash. Writes go to a temporary file in the target directory and are renamed
into place, so a reader never sees half a file and a crash leaves at most a stray temporary.
A photo's thumbnail sits next to it as `<sha256>_thumb.jpg`. The original upload, exactly as
received, is kept too (chain of custody), sealed with the identity key (it may carry GPS),
as `<sha256 of the original>.orig` in the same layout: named by the hash of the plaintext,
recorded on the evidence row at arrival, so a retrieval can prove it got the same bytes back.
Files are created readable by the bot's user only: they are evidence, sometimes of who took
them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import multiprocessing
import os
import re
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from storage.identity import IdentityKeys
from storage.images import (
    DEFAULT_LIMITS,
    ImageLimits,
    PhotoMetadata,
    ProcessedPhoto,
    normalize_photo,
)
from tickets.views import PhotoRef

PHOTO_SUFFIX = ".jpg"
THUMB_SUFFIX = "_thumb.jpg"
ORIGINAL_SUFFIX = ".orig"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SUFFIX = re.compile(r"[A-Za-z0-9_.-]{0,32}")


@dataclass(frozen=True)
class StoredPhoto:
    """A photo that passed the checks and now lives in the media store."""

    sha256: str
    phash: str
    size_bytes: int
    width: int
    height: int
    metadata: PhotoMetadata | None
    original_sha256: str | None = None


class MediaStore(Protocol):
    """Content-addressed bytes: what intake, the outbox and the clean-up jobs need of media.

    Every implementation refuses a `sha` that is not lowercase hex sha256 and an unsafe
    `suffix` with ValueError (they come from callback data and rows), and answers a missing
    file with FileNotFoundError, so callers handle both stores alike.
    """

    def put(self, data: bytes, *, suffix: str = PHOTO_SUFFIX) -> str:
        """Store bytes under their sha256 unless already there; return the sha256."""
        ...

    def put_thumb(self, sha: str, data: bytes) -> None:
        """Store the thumbnail of the photo `sha` unless it has one already."""
        ...

    def get(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> bytes:
        """Read a stored file; FileNotFoundError if it is not there."""
        ...

    def get_thumb(self, sha: str) -> bytes:
        """Read the thumbnail of the photo `sha`."""
        ...

    def exists(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> bool:
        """Tell whether a file is stored."""
        ...

    def size(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> int:
        """The stored file's length in bytes, without reading it; FileNotFoundError if absent."""
        ...

    def delete(self, sha: str) -> None:
        """Remove a photo and its thumbnail; nothing happens if they are gone already."""
        ...

    def put_original(self, sha: str, sealed: bytes, *, replace: bool = False) -> None:
        """Store the sealed original whose plaintext hashes to `sha`, unless stored already
        (`replace`: overwrite, for a key rotation)."""
        ...

    def get_original(self, sha: str) -> bytes:
        """Read a sealed original; FileNotFoundError if it is not there."""
        ...

    def delete_original(self, sha: str) -> None:
        """Remove a sealed original; nothing happens if it is gone already."""
        ...

    def check(self) -> str:
        """Prove the store can be written and read now; return where it is (no secrets).

        Raises `MediaUnavailable` with the reason otherwise (readiness probe and doctor).
        """
        ...


class MediaUnavailable(RuntimeError):
    """The media store cannot be reached or written."""


def validate_key(sha: str, suffix: str) -> None:
    """Refuse anything but a lowercase hex sha256 and a plain suffix (ValueError)."""
    # Hashes and suffixes may come from callback data or the database: never from a path.
    if not _SHA256.fullmatch(sha):
        raise ValueError("not a lowercase hex sha256")
    if not _SUFFIX.fullmatch(suffix) or ".." in suffix:
        raise ValueError("unsafe file suffix")


def relative_key(sha: str, suffix: str = PHOTO_SUFFIX) -> str:
    """`ab/cd/<sha><suffix>`: the same layout on disk and in a bucket, so a copy migrates."""
    validate_key(sha, suffix)
    return f"{sha[:2]}/{sha[2:4]}/{sha}{suffix}"


class LocalMediaStore:
    """Files under one root directory, addressed by the sha256 of the photo."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, *, suffix: str = PHOTO_SUFFIX) -> str:
        """Store bytes under their sha256 unless already there; return the sha256."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha, suffix=suffix)
        if not target.exists():
            _write_atomically(target, data)
        return sha

    def put_thumb(self, sha: str, data: bytes) -> None:
        """Store the thumbnail of the photo `sha` unless it has one already."""
        target = self.path(sha, suffix=THUMB_SUFFIX)
        if not target.exists():
            _write_atomically(target, data)

    def get(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> bytes:
        """Read a stored file; FileNotFoundError if it is not there."""
        return self.path(sha, suffix=suffix).read_bytes()

    def get_thumb(self, sha: str) -> bytes:
        """Read the thumbnail of the photo `sha`."""
        return self.get(sha, suffix=THUMB_SUFFIX)

    def exists(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> bool:
        """Tell whether a file is stored."""
        return self.path(sha, suffix=suffix).is_file()

    def size(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> int:
        """The stored file's length in bytes; FileNotFoundError if it is not there."""
        return self.path(sha, suffix=suffix).stat().st_size

    def delete(self, sha: str) -> None:
        """Remove a photo and its thumbnail; nothing happens if they are gone already."""
        for suffix in (PHOTO_SUFFIX, THUMB_SUFFIX):
            self.path(sha, suffix=suffix).unlink(missing_ok=True)

    def put_original(self, sha: str, sealed: bytes, *, replace: bool = False) -> None:
        """Store a sealed original under the hash of its plaintext unless it is there."""
        target = self.path(sha, suffix=ORIGINAL_SUFFIX)
        if replace or not target.exists():
            _write_atomically(target, sealed)

    def get_original(self, sha: str) -> bytes:
        """Read a sealed original; FileNotFoundError if it is not there."""
        return self.get(sha, suffix=ORIGINAL_SUFFIX)

    def delete_original(self, sha: str) -> None:
        """Remove a sealed original; nothing happens if it is gone already."""
        self.path(sha, suffix=ORIGINAL_SUFFIX).unlink(missing_ok=True)

    def check(self) -> str:
        """Create the root if needed and write a probe file into it."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-"):
                pass
        except OSError as error:
            raise MediaUnavailable(f"{self.root} not writable: {error}") from error
        return str(self.root)

    def path(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> Path:
        """Return where a file lives (or would live): for this store and its tests only."""
        return self.root / relative_key(sha, suffix)


_T = TypeVar("_T")


PhotoPool = Literal["process", "thread"]
PHOTO_NICENESS = 10
"""How much lower than the bot's own the photo workers' CPU priority is (`os.nice`)."""


class PhotoWorkers:
    """Where photos are decoded and re-encoded: as many workers as the cores, at a lower
    CPU priority than the event loop, and for photos only.

    A 12-megapixel photo sent as a file is a fifth of a second of one core. Twenty citizens
    sending albums at once would otherwise fill asyncio's default pool (shared with every
    other `to_thread`) with more decodes than there are cores, each holding ~100 MB; with
    one worker per core, extra photos wait their turn in a queue. Each worker lowers its
    own priority when it starts, so whenever the event loop (or the Bot API server on the
    same machine) has work, the kernel runs that first: text answers stay fast while the
    photos fill whatever CPU is left.

    `pool="thread"` (the default) runs it in threads of this process; Linux lowers the
    priority of the worker thread alone, and Pillow releases the GIL while it decodes,
    resizes and encodes (py-spy: photo threads held it ~3 % of the time). `pool="process"`
    runs it in child processes, bytes in and a `ProcessedPhoto` out, so the Python-level
    parts (EXIF, the hash) never take the event loop's GIL; for Telegram's 1280-pixel
    photos the hand-off costs more than it saves (intake_bench: 1.3 against 2.2 reports/s
    with threads), for 12 MP files sent as documents it may not."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        pool: PhotoPool = "thread",
        niceness: int = PHOTO_NICENESS,
    ) -> None:
        self.workers = workers or len(os.sched_getaffinity(0))
        self.pool = pool
        # Workers start on first use: an app that never sees a photo starts none.
        self._pool: Executor
        if pool == "process":
            self._pool = ProcessPoolExecutor(
                self.workers,
                # Not fork: the bot has threads (aiosqlite, the pools), and a forked child
                # would inherit their locks in whatever state they were.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=lower_priority,
                initargs=(niceness,),
            )
        else:
            self._pool = ThreadPoolExecutor(
                self.workers,
                thread_name_prefix="photo",
                initializer=lower_priority,
                initargs=(niceness,),
            )

    async def run(self, work: Callable[[], _T]) -> _T:
        """Run `work` in one of the workers, off the event loop (picklable for processes)."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def close(self, *, wait: bool = False) -> None:
        """Start no new photos; the workers end once those in flight are done (`wait`: and
        this returns only then, the worker processes reaped)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)


def lower_priority(niceness: int) -> None:
    """Lower the calling worker's CPU priority by `niceness` (the worker initializer)."""
    # On Linux a thread has its own nice value: os.nice in a pool thread leaves the event
    # loop's thread as it was.
    with contextlib.suppress(OSError):
        os.nice(niceness)


def worker_niceness() -> int:
    """The calling worker's nice value (tests check the initializer ran)."""
    return os.getpriority(os.PRIO_PROCESS, 0)


async def process_and_store(
    store: MediaStore,
    data: bytes,
    *,
    keep_metadata: bool,
    limits: ImageLimits = DEFAULT_LIMITS,
    keys: IdentityKeys | None = None,
    workers: PhotoWorkers | None = None,
) -> StoredPhoto:
    """Normalise an upload in `workers` (else asyncio's default pool), then store it with
    its thumbnail in a thread; with `keys`, also the original upload, sealed."""
    normalize = functools.partial(
        normalize_photo, data, keep_metadata=keep_metadata, limits=limits
    )
    if workers is None:
        photo = await asyncio.to_thread(normalize)
    else:
        photo = await workers.run(normalize)
    # Only once the upload proved to be a photo: a refused file is kept in no form. Storing
    # is I/O (fsync, a bucket): a thread, not a photo worker, and not the event loop.
    return await asyncio.to_thread(_store_processed, store, photo, data, keys)


class MediaPhotoIntake:
    """`tickets.ports.PhotoIntake` on the media store, Pillow's work in the photo workers."""

    def __init__(
        self,
        store: MediaStore,
        *,
        limits: ImageLimits,
        tz: tzinfo,
        keys: IdentityKeys,
        workers: PhotoWorkers | None = None,
    ) -> None:
        self._store = store
        self._limits = limits
        self._tz = tz
        self._keys = keys
        self._workers = workers

    @property
    def limits(self) -> ImageLimits:
        return self._limits

    async def store(self, data: bytes, *, telegram_file_id: str | None) -> PhotoRef:
        stored = await process_and_store(
            self._store,
            data,
            keep_metadata=True,
            limits=self._limits,
            keys=self._keys,
            workers=self._workers,
        )
        meta = stored.metadata
        return PhotoRef(
            sha256=stored.sha256,
            phash=stored.phash,
            size_bytes=stored.size_bytes,
            width=stored.width,
            height=stored.height,
            telegram_file_id=telegram_file_id,
            captured_at=meta.captured_at_in(self._tz) if meta else None,
            gps_lat=meta.latitude if meta else None,
            gps_lon=meta.longitude if meta else None,
            original_sha256=stored.original_sha256,
        )


def _store_processed(
    store: MediaStore, photo: ProcessedPhoto, data: bytes, keys: IdentityKeys | None
) -> StoredPhoto:
    original_sha = None
    if keys is not None:
        original_sha = hashlib.sha256(data).hexdigest()
        store.put_original(original_sha, keys.seal_original(data, sha256=original_sha))
    sha = store.put(photo.jpeg)
    store.put_thumb(sha, photo.thumbnail)
    return StoredPhoto(
        sha256=sha,
        phash=photo.phash,
        size_bytes=photo.size_bytes,
        width=photo.width,
        height=photo.height,
        metadata=photo.metadata,
        original_sha256=original_sha,
    )


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())  # the bytes are on disk before the name points at them
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    # The rename itself is only durable once the directory entry is flushed.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
