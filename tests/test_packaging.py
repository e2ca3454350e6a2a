"""The wheel carries the rule packs, migrations and demo, and works from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("orglife-*.whl")
    return built


def test_the_wheel_carries_rule_packs_migrations_demo_and_holidays(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "monitor/_rules/national.yaml",
        "monitor/_rules/example-district.yaml",
        "monitor/store/migrations/env.py",
        "monitor/store/migrations/versions/0001_registers.py",
        "monitor/demo/meetings.csv",
        "monitor/_holidays/README.md",
        "monitor/text/templates/report/summary.html",
        "monitor/text/templates/report/summary.css",
        "monitor/text/templates/alerts/missed.txt",
        "monitor/text/templates/pages/base.html",
        "monitor/text/templates/pages/branch.html",
        "monitor/text/templates/pages/dashboard.html",
        "monitor/http/static/orglife.css",
        "monitor/http/static/htmx.min.js",
        "monitor/http/static/branch.js",
    ):
        assert name in names


def test_an_installed_orglife_runs_the_demo_from_any_directory(wheel: Path, tmp_path: Path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    env.pop("ORGLIFE_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "import monitor, sys; print(monitor.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith(str(site))
    demo = subprocess.run(
        [sys.executable, "-m", "monitor", "demo"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    assert "幸福社区党支部" in demo.stdout
    assert (elsewhere / "orglife-demo.db").exists()
    rules = subprocess.run(
        [sys.executable, "-m", "monitor", "rules", "check"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert rules.returncode == 0, rules.stderr
    assert "_rules" in rules.stdout
