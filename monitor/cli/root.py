"""The `orglife` command group: global options, logging, and every command registered lazily.

A command's module is imported when that command runs (or shows its own help), not before:
``orglife --version`` and ``orglife --help`` import neither the store nor the features.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click

from monitor import __version__
from monitor.cli import common

# monitor.store.schema.DEFAULT_URL, written out because importing the store (SQLAlchemy) costs
# ~1 s; tests/test_cli_startup.py holds the two equal.
DEFAULT_URL = "sqlite:///./orglife.db"


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a command lives, and its help's first paragraph for the listing of `--help`."""

    module: str
    attribute: str
    #: The first paragraph of the command's help; tests hold it equal to the command's own.
    summary: str

    def load(self) -> click.Command:
        """Import the command's module and return the command."""
        command = getattr(importlib.import_module(self.module), self.attribute)
        assert isinstance(command, click.Command)
        return command


#: Command name → where it lives; `--help` lists them sorted by name, as click does.
COMMANDS: Mapping[str, LazyCommand] = {
    "import": LazyCommand(
        "monitor.cli.registers",
        "import_",
        "Import a register (CSV in UTF-8 or GB18030, .xlsx, .xls or .ods); one bad row fails all.",
    ),
    "check": LazyCommand(
        "monitor.cli.check",
        "check",
        "Judge every required period starting between --since and --as-of.",
    ),
    "rules": LazyCommand("monitor.cli.rules", "rules", "Rule packs: validate and explain."),
    "demo": LazyCommand(
        "monitor.cli.demo",
        "demo",
        "Load the bundled demo district into the database and print its compliance table.",
    ),
    "calendar": LazyCommand(
        "monitor.cli.calendar",
        "calendar",
        "Write the iCalendar feed of CODE (an org code or a leading cadre's member id).",
    ),
    "feeds": LazyCommand(
        "monitor.cli.calendar",
        "feeds",
        "Subscription links of calendar feeds: show, rotate, revoke, list.",
    ),
    "serve": LazyCommand(
        "monitor.cli.calendar",
        "serve",
        "Run the service: HTTP on one port (the web pages at /, the API under /api/v1 with its"
        " document at /api/docs, calendar feeds at /feeds/<token>.ics, /healthz), scheduled"
        " evaluation, reminders and alerts to the linked chats, and the Telegram bot.",
    ),
    "chats": LazyCommand(
        "monitor.cli.alerts",
        "chats",
        "Chats linked to orgs (Telegram groups, WeCom/DingTalk/Feishu robots): add, list, test.",
    ),
    "members": LazyCommand("monitor.cli.alerts", "members", "Members and their Telegram accounts."),
    "alerts": LazyCommand(
        "monitor.cli.alerts", "alerts", "Evaluate, enqueue and send alerts to the linked chats."
    ),
    "report": LazyCommand(
        "monitor.cli.report",
        "report",
        "Monthly check summary (月度检查通报) of every finding whose period ends in --month.",
    ),
    "ledger": LazyCommand(
        "monitor.cli.ledger",
        "ledger",
        "The problem ledger (问题台账): list, add, rectify, clear, return, review, history,"
        " export.",
    ),
    "exemptions": LazyCommand(
        "monitor.cli.exemptions", "exemptions", "Exemptions (免于考核): add, list, revoke."
    ),
    "registers": LazyCommand(
        "monitor.cli.registers_begin", "registers", "Settings of the registers as a whole."
    ),
    "template": LazyCommand(
        "monitor.cli.template",
        "template",
        "Write a blank register workbook: Chinese headers, drop-down lists, an example row and"
        " a sheet of instructions.",
    ),
    "meetings": LazyCommand(
        "monitor.cli.meetings",
        "meetings",
        "Meeting records: list, correct (edit), delete, restore, and their history.",
    ),
    "users": LazyCommand(
        "monitor.cli.users",
        "users",
        "Accounts: who may sign in, with which role, over which part of the org tree.",
    ),
    "tokens": LazyCommand(
        "monitor.cli.users",
        "tokens",
        "API tokens for programs: create (shown once), list, revoke.",
    ),
}


class LazyGroup(common.ChineseUsageGroup):
    """A group that imports a command's module on first use (click's "lazily loading")."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy[cmd_name].load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's own listing, from the summaries: listing the commands loads none of them."""
        listed = {
            name: click.Command(name, help=self.lazy[name].summary)
            if name in self.lazy
            else self.commands[name]
            for name in self.list_commands(ctx)
        }
        click.Group(commands=listed).format_commands(ctx, formatter)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
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
    # structlog (and through it rich) only when a command runs, not for --version or --help.
    from monitor.cli.logs import configure_logging

    common.reset_consoles()
    configure_logging(verbose=verbose, json=log_format == "json")
    ctx.obj = common.Context(db)
    ctx.call_on_close(ctx.obj.close)
