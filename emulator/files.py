"""Keeps every file a bot or user sent, in memory, addressable as Telegram addresses them.

A `file_id` is new for each upload, while a `file_unique_id` is derived from the content so the
same bytes always get the same one, which is what bots use to recognise duplicates. A photo is a
set of sizes, each with its own ids; sending any of them again sends the whole set. `getFile`
hands out a `file_path` under which `/file/bot<token>/<file_path>` serves the bytes.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import mimetypes
import secrets
from dataclasses import dataclass
from enum import StrEnum

from emulator.images import Rendition


class FileKind(StrEnum):
    """What a file was sent as; a file_id only resends a file of its own kind."""

    PHOTO = "Photo"
    DOCUMENT = "Document"


@dataclass(frozen=True)
class StoredFile:
    """One stored file and the facts the Bot API reports about it."""

    file_id: str
    file_unique_id: str
    kind: FileKind
    file_path: str
    file_size: int
    width: int = 0
    height: int = 0
    file_name: str | None = None
    mime_type: str | None = None

    def photo_size(self) -> dict[str, object]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": self.file_size,
        }

    def document(self) -> dict[str, object]:
        shape: dict[str, object] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name is not None:
            shape["file_name"] = self.file_name
        if self.mime_type is not None:
            shape["mime_type"] = self.mime_type
        return shape

    def file(self) -> dict[str, object]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


class FileStore:
    """The files of one bot's world, deduplicated by content."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._photo_sets: dict[str, list[StoredFile]] = {}
        self._numbers = itertools.count(1)

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def photo_set(self, file_id: str) -> list[StoredFile] | None:
        """All sizes of the photo that `file_id` (any of its sizes) belongs to."""
        return self._photo_sets.get(file_id)

    def data(self, stored: StoredFile) -> bytes:
        return self._blobs[stored.file_unique_id]

    def add_photo(self, renditions: list[Rendition]) -> list[StoredFile]:
        sizes = [
            self._add(r.data, FileKind.PHOTO, ".jpg", width=r.width, height=r.height)
            for r in renditions
        ]
        for size in sizes:
            self._photo_sets[size.file_id] = sizes
        return sizes

    def add_document(
        self, data: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        guessed = mimetypes.guess_type(file_name or "")[0]
        mime = mime_type if mime_type and mime_type != "application/octet-stream" else guessed
        suffix = "." + file_name.rsplit(".", 1)[1] if file_name and "." in file_name else ""
        return self._add(
            data,
            FileKind.DOCUMENT,
            suffix,
            file_name=file_name,
            mime_type=mime or mime_type or "application/octet-stream",
        )

    def _add(
        self,
        data: bytes,
        kind: FileKind,
        suffix: str,
        *,
        width: int = 0,
        height: int = 0,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        unique_id = unique_id_for(data)
        self._blobs.setdefault(unique_id, data)
        number = next(self._numbers)
        folder = "photos" if kind is FileKind.PHOTO else "documents"
        stored = StoredFile(
            file_id=f"{'AgAC' if kind is FileKind.PHOTO else 'BQAC'}{secrets.token_urlsafe(24)}",
            file_unique_id=unique_id,
            kind=kind,
            file_path=f"{folder}/file_{number}{suffix}",
            file_size=len(data),
            width=width,
            height=height,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored


def unique_id_for(data: bytes) -> str:
    """The same bytes always get the same file_unique_id."""
    digest = hashlib.sha256(data).digest()[:12]
    return "AQAD" + base64.urlsafe_b64encode(digest).decode().rstrip("=")
