"""The Bot API's error replies, raised as exceptions and rendered exactly as Telegram does.

Clients such as aiogram map `error_code` and the description prefix to their own exception
classes, so the wording and the `parameters` object matter as much as the HTTP status.
"""

from __future__ import annotations

import math


class ApiError(Exception):
    """A Bot API call that fails with Telegram's `{"ok": false, ...}` reply."""

    def __init__(
        self,
        code: int,
        description: str,
        parameters: dict[str, object] | None = None,
        *,
        limit_scope: str | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters
        # Set when a rate limit (not an injected fault) caused a 429.
        self.limit_scope = limit_scope

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


def forbidden(what: str) -> ApiError:
    return ApiError(403, f"Forbidden: {what}")


def conflict(what: str) -> ApiError:
    return ApiError(409, f"Conflict: {what}")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def internal_error() -> ApiError:
    return ApiError(500, "Internal Server Error")


def too_large() -> ApiError:
    return ApiError(413, "Request Entity Too Large")


def too_many_requests(wait: float, *, limit_scope: str | None = None) -> ApiError:
    """A 429 whose `retry_after` is whole seconds, at least one, as Telegram sends it."""
    retry_after = max(1, math.ceil(wait))
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
        limit_scope=limit_scope,
    )
