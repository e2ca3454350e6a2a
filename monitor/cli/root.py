"""The `orglife` command group: global options, logging, and every command registered."""

from __future__ import annotations

import click

from monitor import __version__
from monitor.cli import (
    alerts,
    calendar,
    check,
    common,
    demo,
    exemptions,
    ledger,
    meetings,
    registers,
    registers_begin,
    report,
    rules,
    template,
    users,
)
from monitor.cli.logs import configure_logging
from monitor.store.schema import DEFAULT_URL


@click.group(
    cls=common.ChineseUsageGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--db",
    envvar="ORGLIFE_DATABASE_URL",
    default=DEFAULT_URL,
    show_default=True,
    help="SQLAlchemy database URL (env ORGLIFE_DATABASE_URL), e.g. postgresql://user@host/db.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what each step did (to stderr).")
@click.option(
    "--log-format",
    type=click.Choice(["console", "json"]),
    default="console",
    show_default=True,
    help="Log lines for people, or one JSON object per line for log collectors.",
)
@click.version_option(__version__, prog_name="orglife")
@click.pass_context
def main(ctx: click.Context, db: str, verbose: bool, log_format: str) -> None:
    """orglife: compliance monitor for Party organisational life (组织生活合规监测)."""
    common.reset_consoles()
    configure_logging(verbose=verbose, json=log_format == "json")
    ctx.obj = common.Context(db)
    ctx.call_on_close(ctx.obj.close)


for _command in (
    registers.import_,
    check.check,
    rules.rules,
    demo.demo,
    calendar.calendar,
    calendar.feeds,
    calendar.serve,
    alerts.chats,
    alerts.members,
    alerts.alerts,
    report.report,
    ledger.ledger,
    exemptions.exemptions,
    registers_begin.registers,
    template.template,
    meetings.meetings,
    users.users,
    users.tokens,
):
    main.add_command(_command)
