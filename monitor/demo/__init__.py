"""The bundled demo district: one street committee's registers for 2026-01-01 … 2026-11-20.

The three CSV files are produced by ``python -m monitor.demo.generate`` and committed.
"""

from __future__ import annotations

import datetime as dt
from importlib.resources import files
from pathlib import Path

DEMO_DIR: Path = Path(str(files("monitor.demo")))
"""The folder holding ``orgs.csv``, ``members.csv`` and ``meetings.csv``."""

SNAPSHOT_DAY = dt.date(2026, 11, 20)
"""The day the demo registers were taken: nothing is dated or entered later."""

FILE_NAMES: dict[str, str] = {
    "orgs": "orgs.csv",
    "members": "members.csv",
    "meetings": "meetings.csv",
}


def demo_files() -> dict[str, Path]:
    """The demo registers by kind: ``{"orgs": …, "members": …, "meetings": …}``."""
    return {key: DEMO_DIR / name for key, name in FILE_NAMES.items()}


__all__ = ["DEMO_DIR", "FILE_NAMES", "SNAPSHOT_DAY", "demo_files"]
