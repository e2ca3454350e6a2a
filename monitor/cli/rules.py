"""`orglife rules check`: validate rule packs and explain the rules in force."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from rich.table import Table

from monitor.cli import common
from monitor.core.rules import bundled_rules_dir, explain, load_pack


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
    files: list[Path] = []
    for path in paths or [bundled_rules_dir()]:
        if path.is_dir():
            files += sorted(path.glob("*.yaml"))
        else:
            files.append(path)
    if not files:
        common.fail("no rule pack files (*.yaml) found")
    for file in files:
        pack = load_pack([file])
        table = Table(title=f"{file}：{pack.title}（{len(pack.rules)} 条规则，校验通过）")
        for header in ("规则", "名称", "适用对象", "要求", "宽限", "来源", "所属规则包"):
            table.add_column(header, overflow="fold")
        for row in explain(pack):
            table.add_row(*row.values())
        common.out.print(table)
