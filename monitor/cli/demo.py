"""`orglife demo`: load the bundled demo district and print its compliance table."""

from __future__ import annotations

import click

from monitor.cli import common
from monitor.cli.check import check
from monitor.cli.registers import report_import
from monitor.text import cli as msg

DEMO_URL = "sqlite:///./orglife-demo.db"


@click.command()
@click.option(
    "--as-of", "as_of", help="Judge as at this day (default: the demo's snapshot day, 2026-11-20)."
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
@common.handles_errors
def demo(ctx: click.Context, as_of: str | None, fmt: str) -> None:
    """Load the bundled demo district into the database and print its compliance table."""
    from monitor.core.rules import load_pack
    from monitor.demo import SNAPSHOT_DAY, demo_files
    from monitor.registers import readers

    files = demo_files()
    obj: common.Context = ctx.obj
    parent = ctx.parent
    if (
        parent is not None
        and parent.get_parameter_source("db") is click.core.ParameterSource.DEFAULT
    ):
        # Keep the demo out of a real register that may live in ./orglife.db.
        obj.db = DEMO_URL
        common.out.print(msg.demo_database(url=DEMO_URL), highlight=False)
    today = SNAPSHOT_DAY
    store = obj.store
    for kind, loader in (("orgs", readers.read_orgs), ("members", readers.read_members)):
        report_import(getattr(store, f"import_{kind}")(loader(files[kind])), files[kind])
    pack = load_pack()
    report_import(
        store.import_meetings(
            readers.read_meetings(files["meetings"], today=today, historical=True), pack.catalog
        ),
        files["meetings"],
    )
    ctx.invoke(
        check,
        as_of=as_of or today.isoformat(),
        fmt=fmt,
        since=None,
        org=None,
        rule_paths=(),
        statuses=(),
    )
