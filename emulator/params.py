"""Reads one Bot API call's parameters, whichever way the client encoded them.

Telegram accepts the query string, JSON bodies, urlencoded forms and multipart forms, and is
lenient about types: aiogram sends every value of a form as a string (numbers as digits,
booleans as `true`/`false`, keyboards and media lists as JSON text) and uploads files as parts
referenced by `attach://<part>`. `Params` hides all that behind typed getters that fail with
Telegram's 400 replies, so a malformed request never turns into a server error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from emulator.errors import ApiError, bad_request, too_large

ATTACH = "attach://"


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """Typed access to the parameters of one call."""

    def __init__(
        self,
        values: Mapping[str, object],
        uploads: Mapping[str, Upload] | None = None,
        *,
        nested: bool = False,
    ) -> None:
        self._values = dict(values)
        self._uploads = dict(uploads or {})
        self._nested = nested

    def nested(self, values: Mapping[str, object]) -> Params:
        """Parameters of an object inside this call (an album item) sharing its file parts."""
        return Params(values, self._uploads, nested=True)

    def __contains__(self, name: str) -> bool:
        return self._values.get(name) not in (None, "") or name in self._uploads

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        raise bad_request(f"invalid {name} specified")

    def need_text(self, name: str, missing: str | None = None) -> str:
        value = self.text(name)
        if not value:
            raise bad_request(missing or f"{name} is empty")
        return value

    def integer(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise bad_request(f"invalid {name} specified")

    def need_integer(self, name: str, missing: str | None = None) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(missing or f"{name} is empty")
        return value

    def number(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise bad_request(f"invalid {name} specified")

    def need_number(self, name: str, missing: str | None = None) -> float:
        value = self.number(name)
        if value is None:
            raise bad_request(missing or f"{name} is empty")
        return value

    def flag(self, name: str) -> bool:
        value = self._values.get(name)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1")
        raise bad_request(f"invalid {name} specified")

    def json(self, name: str, unparsable: str | None = None) -> object:
        """A JSON-valued parameter, whether sent as JSON text (forms) or inline (JSON bodies)."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            parsed: object = json.loads(value)
        except ValueError:
            raise bad_request(unparsable or f"can't parse {name} JSON object") from None
        return parsed

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self._values.get(name)
        if isinstance(value, str) and value.strip().startswith("@"):
            return value.strip()
        try:
            chat_id = self.integer(name)
        except ApiError:
            raise bad_request("chat not found") from None
        if chat_id is None:
            raise bad_request(f"{name} is empty")
        return chat_id

    def upload(self, reference: str) -> Upload | None:
        """The file part that an `attach://<part>` reference points at."""
        if not reference.startswith(ATTACH):
            return None
        return self._uploads.get(reference.removeprefix(ATTACH))

    def input_file(self, name: str) -> Upload | str | None:
        """A file parameter: an uploaded part, or a file_id or URL given as text."""
        if name in self._uploads and not self._nested:
            return self._uploads[name]
        value = self.text(name)
        if value and value.startswith(ATTACH):
            upload = self.upload(value)
            if upload is None:
                raise bad_request(f'can\'t find attached file "{value}"')
            return upload
        return value or None


async def read_request(request: web.Request, *, max_bytes: int) -> Params:
    """Collect the query string and the body of a Bot API request."""
    values: dict[str, object] = dict(request.query)
    uploads: dict[str, Upload] = {}
    try:
        if request.content_type == "multipart/form-data":
            await read_multipart(await request.multipart(), values, uploads, max_bytes)
        elif request.content_type == "application/x-www-form-urlencoded":
            values.update((key, str(value)) for key, value in (await request.post()).items())
        elif request.body_exists:
            values.update(_json_object(await request.read()))
    except web.HTTPRequestEntityTooLarge:
        raise too_large() from None
    except (ValueError, AssertionError, HttpProcessingError, web.HTTPException):
        # Whatever way the body is broken, the client gets a 400, never a 500.
        raise bad_request("can't parse request body") from None
    return Params(values, uploads)


async def read_multipart(
    reader: MultipartReader,
    values: dict[str, object],
    uploads: dict[str, Upload],
    max_bytes: int,
) -> None:
    """Split a multipart body into text fields and file parts."""
    total = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            raise bad_request("can't parse request body")
        data = bytearray()
        while chunk := await part.read_chunk():
            total += len(chunk)
            if total > max_bytes:
                raise too_large()
            data.extend(chunk)
        if part.filename is not None:
            content_type = part.headers.get("Content-Type")
            uploads[part.name] = Upload(part.name, part.filename, content_type, bytes(data))
        else:
            values[part.name] = data.decode("utf-8")


def _json_object(body: bytes) -> dict[str, object]:
    if not body.strip():
        return {}
    try:
        parsed: object = json.loads(body)
    except ValueError:
        raise bad_request("can't parse JSON object") from None
    if not isinstance(parsed, dict):
        raise bad_request("JSON object expected")
    return parsed
