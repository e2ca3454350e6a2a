"""`orglife rules check`: validate rule packs and explain the rules in force."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from monitor.cli import common
from monitor.text import cli as msg


@click.group()
def rules() -> None:
    """Rule packs: validate and explain."""


@rules.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@common.handles_errors
def rules_check(paths: Sequence[Path]) -> None:
    """Validate rule packs and explain the rules in force (no PATH: the bundled packs).

    Each PATH (a file, or a folder of *.yaml) is layered on the national baseline on its own.
    """
    from rich.table import Table

    from monitor.core.rules import bundled_rules_dir, explain, load_pack

    files: list[Path] = []
    for path in paths or [bundled_rules_dir()]:
        if path.is_dir():
            files += sorted(path.glob("*.yaml"))
        else:
            files.append(path)
    if not files:
        common.fail("没有找到规则包文件（*.yaml）")
    for file in files:
        pack = load_pack([file])
        table = Table(
            title=msg.rules_title(file=str(file), pack_title=pack.title, rules=len(pack.rules))
        )
        for header in msg.RULES_COLUMNS:
            table.add_column(header, overflow="fold")
        for row in explain(pack):
            table.add_row(*row.values())
        common.out.print(table)
