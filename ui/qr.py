"""Printable QR posters for a place: scanning opens the bot with the place's tag."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from ui.charts import BUNDLED_FONT

POSTER_WIDTH = 1240  # A6 at 300 dpi, wide enough to print cleanly on A4
INSTRUCTION = "扫码随手拍：拍照反映工作人员作风问题，可匿名"


@dataclass(frozen=True)
class Poster:
    png: Path
    svg: Path
    link: str


def deep_link(bot_username: str, tag: str) -> str:
    return f"https://t.me/{bot_username}?start={tag}"


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    """The charts' bundled Noto Sans SC: posters need no system font either."""
    return ImageFont.truetype(str(BUNDLED_FONT), size)


def write_poster(out_dir: Path, *, link: str, place: str, tag: str) -> Poster:
    """Write `<tag>.png` (QR with the place name and instruction) and `<tag>.svg` (QR only)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    qr = segno.make(link, error="m")
    svg_path = out_dir / f"{tag}.svg"
    qr.save(str(svg_path), scale=10, border=4)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=24, border=4)
    code_image = Image.open(buffer).convert("RGB")
    png_path = out_dir / f"{tag}.png"
    compose(code_image, place).save(png_path)
    return Poster(png=png_path, svg=svg_path, link=link)


def compose(code_image: Image.Image, place: str) -> Image.Image:
    side = min(code_image.width, POSTER_WIDTH - 120)
    code_image = code_image.resize((side, side), Image.Resampling.NEAREST)
    title_font, body_font = cjk_font(72), cjk_font(40)
    poster = Image.new("RGB", (POSTER_WIDTH, side + 420), "white")
    draw = ImageDraw.Draw(poster)
    draw.text((POSTER_WIDTH // 2, 80), place, font=title_font, fill="black", anchor="mm")
    poster.paste(code_image, ((POSTER_WIDTH - side) // 2, 160))
    draw.text(
        (POSTER_WIDTH // 2, side + 230), INSTRUCTION, font=body_font, fill="black", anchor="mm"
    )
    draw.text(
        (POSTER_WIDTH // 2, side + 300),
        "事事有着落 · 件件有回音",
        font=body_font,
        fill="#555555",
        anchor="mm",
    )
    return poster
