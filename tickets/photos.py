"""What a citizen's photo must be to be taken: the limits and the stable reasons for refusal.

Values only: `storage.images` enforces them on the bytes, `tickets.ports.PhotoIntake` raises
`ImageRejected` with one of the reasons, and handlers translate the reason for the citizen.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

MB = 1024 * 1024


class RejectReason(enum.StrEnum):
    """Why an upload was refused; stable codes that handlers translate."""

    TOO_LARGE = "too_large"
    NOT_AN_IMAGE = "not_an_image"
    TRUNCATED = "truncated"
    TOO_MANY_PIXELS = "too_many_pixels"


class ImageRejected(Exception):
    """The upload cannot be used as a photo."""

    def __init__(self, reason: RejectReason) -> None:
        super().__init__(reason.value)
        self.reason = reason

    def __reduce__(self) -> tuple[type[ImageRejected], tuple[RejectReason]]:
        # Raised in a photo worker process and pickled back: keep the enum, not its text.
        return (type(self), (self.reason,))


@dataclass(frozen=True)
class ImageLimits:
    """What we accept and what we store."""

    max_bytes: int = 20 * MB
    max_pixels: int = 50_000_000
    max_side: int = 2560
    thumb_side: int = 320
    jpeg_quality: int = 85
    thumb_quality: int = 75
    formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
