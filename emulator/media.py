"""Turns the photo and document parameters of a bot's call into stored files.

A bot names a file by an upload (a multipart part), by a file_id it has seen, or by a URL.
The emulator has no network, so URLs are refused; file_ids must be known and of the right kind;
uploaded photos are re-encoded into sizes like Telegram does, and refused when they do not
decode, with Telegram's error names.
"""

from __future__ import annotations

from emulator.errors import bad_request
from emulator.files import FileKind, StoredFile
from emulator.images import ImageError, renditions_off_loop
from emulator.params import Upload
from emulator.state import Json, World

MAX_PHOTO_BYTES = 10 * 1024 * 1024


async def photo_sizes(world: World, value: Upload | str | None) -> list[Json]:
    """The PhotoSize list for a photo parameter."""
    if value is None:
        raise bad_request("there is no photo in the request")
    if isinstance(value, str):
        return [size.photo_size() for size in _known(world, value, FileKind.PHOTO)]
    if not value.data:
        raise bad_request("file must be non-empty")
    if len(value.data) > MAX_PHOTO_BYTES:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    try:
        renditions = await renditions_off_loop(value.data)
    except ImageError as error:
        raise bad_request(str(error)) from None
    return [size.photo_size() for size in world.files.add_photo(renditions)]


def document(world: World, value: Upload | str | None) -> Json:
    """The Document object for a document parameter."""
    if value is None:
        raise bad_request("there is no document in the request")
    if isinstance(value, str):
        return _known(world, value, FileKind.DOCUMENT)[0].document()
    if not value.data:
        raise bad_request("file must be non-empty")
    stored = world.files.add_document(value.data, value.filename, value.content_type)
    return stored.document()


def _known(world: World, reference: str, kind: FileKind) -> list[StoredFile]:
    if reference.startswith(("http://", "https://")):
        # The emulator never leaves the machine.
        raise bad_request("failed to get HTTP URL content")
    stored = world.files.get(reference)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind is not kind:
        raise bad_request(f"can't use file of type {stored.kind.value} as {kind.value}")
    if kind is FileKind.PHOTO:
        return world.files.photo_set(reference) or [stored]
    return [stored]
