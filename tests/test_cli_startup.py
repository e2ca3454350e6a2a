"""`orglife --version` and `--help` start fast: they import no command module and no heavy library.

Structural, not timed: a fresh interpreter runs the path and reports what it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from monitor.cli.root import COMMANDS, DEFAULT_URL, main
from monitor.store.schema import DEFAULT_URL as STORE_DEFAULT_URL

HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "monitor.store",
    "monitor.check",
    "monitor.alerts",
    "monitor.reporting",
    "monitor.http",
    "monitor.service",
    "telegram",
    "fastapi",
    "openpyxl",
    "apscheduler",
    "jinja2",
    "structlog",
    "rich",
)


def imported_by(*argv: str) -> set[str]:
    """The top modules a fresh interpreter has imported after ``orglife ARGV…``."""
    script = (
        "import json, sys\n"
        "from monitor.cli import main\n"
        "try:\n"
        f"    main({list(argv)!r}, prog_name='orglife')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_version_and_help_import_no_heavy_library_and_no_command(argv: list[str]) -> None:
    modules = imported_by(*argv)
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
    commands = sorted({c.module for c in COMMANDS.values()} & modules)
    assert heavy == []
    assert commands == []


def test_the_listing_of_help_is_each_commands_own_short_help() -> None:
    ctx = click.Context(main)
    names = main.list_commands(ctx)
    commands = {name: COMMANDS[name].load() for name in names}
    for width in (80, 100, 200):
        lazy, eager = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
        main.format_commands(ctx, lazy)
        click.Group(commands=commands).format_commands(ctx, eager)
        assert lazy.getvalue() == eager.getvalue()


def test_a_command_is_loaded_from_its_module_under_its_name() -> None:
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        assert command.name == name


def test_the_default_database_is_the_stores() -> None:
    assert DEFAULT_URL == STORE_DEFAULT_URL
