"""`snapreport qr` writes a printable poster and registers the place tag."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from storage.db import create_engine, create_session_factory
from storage.models import RoutingRule, SourceTag
from tests.cli.test_run_command import project_env, run_cli


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
    engine = create_engine(env["DATABASE_URL"])
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
