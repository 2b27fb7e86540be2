"""`tickets/` is the pure domain: importing all of it must not pull in any framework."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("aiogram", "sqlmodel", "sqlalchemy", "apscheduler")

PROBE = """
import importlib, json, pkgutil, sys
import tickets
names = sorted(m.name for m in pkgutil.walk_packages(tickets.__path__, "tickets."))
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def test_importing_every_tickets_module_loads_no_framework() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "tickets.states" in report["imported"]
    assert "tickets.followups" in report["imported"]
    leaked = [
        name
        for name in report["loaded"]
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN)
    ]
    assert leaked == []
