"""`orglife chats …`, `orglife members link` and `orglife alerts run`: alerts on the command line.

Registered on the `orglife` group by :mod:`monitor.cli.root`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import click

from monitor.alerts.plan import ChatRole, NoticeKind
from monitor.alerts.store import AlertStore
from monitor.cli import common
from monitor.core.rules import load_pack
from monitor.holidays import default_holiday_dirs, work_calendar
from monitor.text import cli as msg

DEFAULT_KINDS = (NoticeKind.MISSED, NoticeKind.LATE, NoticeKind.REMINDER)  # always counted


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _role(value: str) -> ChatRole:
    return ChatRole(value)


_role_option = click.option(
    "--role",
    type=click.Choice([r.value for r in ChatRole]),
    required=True,
    help="branch: the org's own chat (reminders, its misses); inspector: misses of its subtree.",
)


@click.group("chats")
def chats() -> None:
    """Chats (Telegram groups) linked to orgs: add, list, make a link code."""


@chats.command("add")
@click.option("--org", "org", required=True, help="The org code the chat belongs to.")
@click.option("--chat", "chat_id", required=True, type=int, help="Telegram chat id (groups < 0).")
@_role_option
@click.option("--show-names", is_flag=True, help="Allow members' names in this branch chat.")
@click.pass_obj
@common.handles_errors
def chats_add(obj: common.Context, org: str, chat_id: int, role: str, show_names: bool) -> None:
    """Link a chat to an org (again: re-enables a disabled chat)."""
    chat = AlertStore(obj.store).add_chat(
        org.strip(), chat_id, _role(role), now=_now(), show_names=show_names
    )
    name = obj.store.org(chat.org).name
    common.out.print(
        msg.chat_linked(
            chat_id=chat.chat_id, org_code=chat.org, org_name=name, role=chat.role.value
        ),
        highlight=False,
    )


@chats.command("list")
@click.pass_obj
@common.handles_errors
def chats_list(obj: common.Context) -> None:
    """One line per linked chat: chat id, org, role, and `disabled` with the reason."""
    found = AlertStore(obj.store).chats()
    names = {o.code: o.name for o in obj.store.orgs({c.org for c in found})}
    for chat in found:
        line = f"{chat.chat_id}\t{chat.org}\t{names.get(chat.org, '')}\t{chat.role.value}"
        if chat.show_names:
            line += "\tshow-names"
        if not chat.enabled:
            line += f"\tdisabled\t{chat.disabled_reason or ''}"
        click.echo(line)
    if not found:
        common.err.print(msg.NO_CHATS, highlight=False)


@chats.command("code")
@click.argument("org")
@_role_option
@click.pass_obj
@common.handles_errors
def chats_code(obj: common.Context, org: str, role: str) -> None:
    """A one-time code (10 minutes) to link a group by sending `/link CODE` in it."""
    code = AlertStore(obj.store).issue_code(now=_now(), org=org.strip(), role=_role(role))
    click.echo(code)
    name = obj.store.org(org.strip()).name
    common.err.print(msg.link_chat_hint(org_name=name, role=role, code=code), highlight=False)


@click.group("members")
def members() -> None:
    """Members and their Telegram accounts."""


@members.command("link")
@click.argument("member")
@click.pass_obj
@common.handles_errors
def members_link(obj: common.Context, member: str) -> None:
    """A one-time code (10 minutes) the member sends to the bot privately: `/link CODE`."""
    code = AlertStore(obj.store).issue_code(now=_now(), member=member.strip())
    click.echo(code)
    common.err.print(msg.link_member_hint(code=code), highlight=False)


@click.group("alerts")
def alerts() -> None:
    """Evaluate, enqueue and send alerts to the linked chats."""


@alerts.command("run")
@click.option("--as-of", "as_of", help="Judge as at this day (default: today in Shanghai).")
@common.rules_option
@click.option("--no-send", is_flag=True, help="Evaluate and enqueue only; send later.")
@click.option(
    "--summary",
    is_flag=True,
    help="Also enqueue the previous month's summary for inspector chats, as the service does "
    "from 09:00 on a month's first workday (once per chat and month).",
)
@click.pass_obj
@common.handles_errors
def alerts_run(
    obj: common.Context,
    as_of: str | None,
    rule_paths: Sequence[Path],
    no_send: bool,
    summary: bool,
) -> None:
    """One evaluation and dispatch cycle, as the service runs it; then exit."""
    from monitor.alerts.channels import ConsoleChannel, channel_from_env
    from monitor.alerts.dispatch import Dispatcher
    from monitor.core.schedule import SHANGHAI
    from monitor.service.runner import run_cycle, send_summaries, summary_month

    day = common.parse_date(as_of, "--as-of") or common.today_in_shanghai()
    store = obj.store
    pack = load_pack(rule_paths)
    workdays = work_calendar(default_holiday_dirs())
    report = run_cycle(store, pack, workdays, as_of=day, now=_now())
    enqueued = report.enqueued.copy()
    if summary:
        month = summary_month(dt.datetime.combine(day, dt.time(12), SHANGHAI), workdays)
        if month is None:
            common.err.print(msg.summary_not_due(day=day), highlight=False)
        else:
            enqueued[NoticeKind.SUMMARY] += send_summaries(
                store, pack, month=month, as_of=day, now=_now()
            )
    shown = [k for k in NoticeKind if enqueued[k] or k in DEFAULT_KINDS]
    common.out.print(
        msg.alerts_cycle(
            as_of=day,
            findings=report.findings,
            missed=report.missed,
            enqueued=[(k.value, enqueued[k]) for k in shown],
        ),
        highlight=False,
    )
    if no_send:
        return
    channel = channel_from_env(os.environ, console=_print_message)
    if isinstance(channel, ConsoleChannel):
        common.err.print(msg.NO_TELEGRAM_TOKEN, highlight=False)
    dispatcher = Dispatcher(store, channel, worker=f"cli-{os.getpid()}", clock=_now)

    async def dispatch() -> object:
        try:
            return await dispatcher.run_until_idle()
        finally:
            await channel.aclose()

    sent = asyncio.run(dispatch())
    common.out.print(msg.dispatched(report=str(sent)), highlight=False)


def _print_message(chat_id: int, text: str) -> None:
    click.echo(f"→ {chat_id}\n{text}\n")
