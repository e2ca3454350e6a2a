"""`orglife template orgs|members|meetings -o FILE.xlsx`: a blank register to fill in."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import common
from monitor.registers.template import TEMPLATES, write_template
from monitor.text import cli as msg


@click.command("template")
@click.argument("kind", type=click.Choice(TEMPLATES))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The workbook to write (.xlsx).",
)
@common.handles_errors
def template(kind: str, output: Path) -> None:
    """Write a blank register workbook: Chinese headers, drop-down lists, an example row and
    a sheet of instructions."""
    write_template(kind, output)
    common.log.info("template_written", register=kind, file=str(output))
    common.out.print(msg.template_written(kind=kind, path=str(output)), highlight=False)
