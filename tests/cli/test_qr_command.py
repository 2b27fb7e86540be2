"""`snapreport qr` writes a printable poster and registers the place tag."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from storage.db import create_engine, create_session_factory
from storage.models import RoutingRule, SourceTag
from tests.cli.test_run_command import project_env, run_cli
from tests.keys import TEST_KEYS
from ui.i18n import create_i18n, translator
from ui.qr import TEXT_WIDTH, compose, fitting_font


async def test_qr_writes_png_and_svg_and_registers_the_tag(tmp_path: Path) -> None:
    env = project_env(tmp_path)
    code, output = await run_cli(
        "qr",
        "--place",
        "市民服务中心一楼",
        "--tag",
        "hall_01",
        "--bot-username",
        "snapreport_bot",
        "--department",
        "市政务服务中心",
        "--out",
        str(tmp_path / "posters"),
        env=env,
        cwd=tmp_path,
    )
    assert code == 0, output
    assert "https://t.me/snapreport_bot?start=hall_01" in output
    png = (tmp_path / "posters" / "hall_01.png").read_bytes()
    poster = Image.open(io.BytesIO(png))
    assert poster.format == "PNG" and poster.width >= 1000
    assert (tmp_path / "posters" / "hall_01.svg").read_text().lstrip().startswith("<?xml")
    engine = create_engine(env["DATABASE_URL"], keys=TEST_KEYS)
    try:
        async with create_session_factory(engine)() as session:
            tag = await session.get(SourceTag, "hall_01")
            rules = list(await session.scalars(select(RoutingRule)))
    finally:
        await engine.dispose()
    assert tag is not None and tag.place_text == "市民服务中心一楼"
    assert [r.source_tag for r in rules] == ["hall_01"]


async def test_qr_refuses_a_malformed_tag(tmp_path: Path) -> None:
    code, output = await run_cli(
        "qr",
        "--place",
        "x",
        "--tag",
        "bad tag!",
        "--bot-username",
        "b",
        env=project_env(tmp_path),
        cwd=tmp_path,
    )
    assert code == 2 and "--tag" in output


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
I18N = create_i18n("zh_CN")


def drawn_texts(monkeypatch: pytest.MonkeyPatch, place: str, locale: str) -> list[str]:
    """Compose a poster and return what was drawn on it, in order, by spying on Pillow."""
    drawn: list[str] = []
    draw_text = ImageDraw.ImageDraw.text

    def spy(self: ImageDraw.ImageDraw, xy: Any, text: Any, *args: Any, **kwargs: Any) -> None:
        drawn.append(str(text))
        draw_text(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", spy)
    compose(Image.new("RGB", (800, 800), "white"), place, translator(I18N, locale))
    return drawn


def test_english_poster_draws_no_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = drawn_texts(monkeypatch, "City Service Hall", "en")
    assert drawn[0] == "City Service Hall" and len(drawn) == 3
    assert not [text for text in drawn if CJK.search(text)], drawn
    for text in drawn[1:]:
        assert fitting_font(text, 40).getlength(text) <= TEXT_WIDTH  # shrunk to fit the page


def test_chinese_poster_draws_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = drawn_texts(monkeypatch, "市民服务中心", "zh_CN")
    assert drawn[1:] == ["扫码随手拍：拍照反映工作人员作风问题，可匿名", "事事有着落 · 件件有回音"]


async def test_qr_lang_en_writes_an_english_poster(tmp_path: Path) -> None:
    code, output = await run_cli(
        "qr", "--place", "City Service Hall", "--tag", "hall_02", "--bot-username", "b",
        "--lang", "en", "--out", str(tmp_path), env=project_env(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, output
    texts = Image.open(tmp_path / "hall_02.png").text  # type: ignore[attr-defined]
    assert texts["Title"] == "City Service Hall"
    assert "anonymously" in texts["Description"] and not CJK.search(texts["Description"])


async def test_qr_defaults_to_default_language(tmp_path: Path) -> None:
    env = {**project_env(tmp_path), "DEFAULT_LANGUAGE": "zh_CN"}
    code, output = await run_cli(
        "qr", "--place", "Hall", "--tag", "hall_03", "--bot-username", "b", "--out",
        str(tmp_path), env=env, cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, output
    description = Image.open(tmp_path / "hall_03.png").text["Description"]  # type: ignore[attr-defined]
    assert description.startswith("扫码随手拍")
