"""A bot built without charts, workbooks, a bucket or Redis does not load their libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("matplotlib", "openpyxl", "boto3", "botocore", "redis")

PROBE = """
import asyncio, json, sys, tempfile
from pathlib import Path
from bench.common import bench_settings
from bot.app import SnapreportApp

async def build(scratch):
    url = f"sqlite+aiosqlite:///{scratch / 'probe.sqlite3'}"
    app = SnapreportApp(bench_settings("http://127.0.0.1:9", scratch, database_url=url))
    await app.bot.session.close()
    await app.engine.dispose()

with tempfile.TemporaryDirectory() as scratch:
    asyncio.run(build(Path(scratch)))
print(json.dumps(sorted(sys.modules)))
"""


def test_building_the_bot_loads_no_chart_workbook_s3_or_redis_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    modules: list[str] = json.loads(result.stdout.splitlines()[-1])
    assert "bot.app" in modules
    assert "ui.charts" in modules  # the modules are there; only their libraries wait
    assert "ui.exports" in modules
    heavy = [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
