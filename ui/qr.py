"""Printable QR posters for a place: scanning opens the bot with the place's tag.

The poster's words are English message ids translated by the `tr` the caller passes, so
an office prints it in the language its citizens read. What is drawn is laid out first
as `PosterLine`s and the same lines go into the PNG's text chunks, so the poster can be
checked (and indexed) without reading its pixels.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import segno
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from tickets.categories import N_
from ui.charts import BUNDLED_FONT, Translate

POSTER_WIDTH: Final = 1240  # A6 at 300 dpi, wide enough to print cleanly on A4
MARGIN: Final = 60
TEXT_WIDTH: Final = POSTER_WIDTH - 2 * MARGIN
INSTRUCTION: Final = N_(
    "Scan to report misconduct by public servants with a photo, anonymously if you wish"
)
SLOGAN: Final = N_("Every report followed up, every report answered")


@dataclass(frozen=True)
class Poster:
    png: Path
    svg: Path
    link: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class PosterLine:
    """One line of text centred on the poster at height `y`, at most `size` pixels high."""

    text: str
    y: int
    size: int
    fill: str


def deep_link(bot_username: str, tag: str) -> str:
    return f"https://t.me/{bot_username}?start={tag}"


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    """The charts' bundled Noto Sans SC: posters need no system font either."""
    return ImageFont.truetype(str(BUNDLED_FONT), size)


def fitting_font(
    text: str, size: int, width: int = POSTER_WIDTH - 2 * MARGIN
) -> ImageFont.FreeTypeFont:
    """The font at `size`, smaller if needed so `text` fits: English runs longer than Chinese."""
    font = cjk_font(size)
    while size > 12 and font.getlength(text) > width:
        size -= 2
        font = cjk_font(size)
    return font


def poster_lines(place: str, side: int, tr: Translate) -> tuple[PosterLine, ...]:
    """Lay out the place name above a QR code `side` pixels wide, the instructions below."""
    return (
        PosterLine(place, 80, 72, "black"),
        PosterLine(tr(INSTRUCTION), side + 230, 40, "black"),
        PosterLine(tr(SLOGAN), side + 300, 40, "#555555"),
    )


def write_poster(out_dir: Path, *, link: str, place: str, tag: str, tr: Translate) -> Poster:
    """Write `<tag>.png` (QR with the place name and instruction) and `<tag>.svg` (QR only)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    qr = segno.make(link, error="m")
    svg_path = out_dir / f"{tag}.svg"
    qr.save(str(svg_path), scale=10, border=4)
    png_path = out_dir / f"{tag}.png"
    png, texts = poster_png(link, place, tr)
    png_path.write_bytes(png)
    return Poster(png=png_path, svg=svg_path, link=link, texts=texts)


def poster_png(link: str, place: str, tr: Translate) -> tuple[bytes, tuple[str, ...]]:
    """The poster as PNG bytes (QR of `link`, the place name, the instruction) and its lines."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=24, border=4)
    code_image = Image.open(buffer).convert("RGB")
    poster, lines = compose(code_image, place, tr)
    texts = tuple(line.text for line in lines)
    info = PngInfo()
    info.add_itxt("Title", place)
    info.add_itxt("Description", "\n".join(texts[1:]))
    out = io.BytesIO()
    poster.save(out, format="PNG", pnginfo=info)
    return out.getvalue(), texts


def compose(
    code_image: Image.Image, place: str, tr: Translate
) -> tuple[Image.Image, tuple[PosterLine, ...]]:
    """Draw the poster; return it with the lines drawn on it."""
    side = min(code_image.width, POSTER_WIDTH - 2 * MARGIN)
    code_image = code_image.resize((side, side), Image.Resampling.NEAREST)
    poster = Image.new("RGB", (POSTER_WIDTH, side + 420), "white")
    poster.paste(code_image, ((POSTER_WIDTH - side) // 2, 160))
    draw = ImageDraw.Draw(poster)
    lines = poster_lines(place, side, tr)
    for line in lines:
        font = fitting_font(line.text, line.size)
        draw.text((POSTER_WIDTH // 2, line.y), line.text, font=font, fill=line.fill, anchor="mm")
    return poster, lines
