"""`orglife chats …`, `orglife members link` and `orglife alerts run`: alerts on the command line.

Registered on the `orglife` group by :mod:`monitor.cli.root`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path

import click

from monitor.alerts.plan import ChatRole, NoticeKind, Platform
from monitor.cli import common
from monitor.cli.meetings import default_actor
from monitor.core.errors import OrglifeError
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
    """Chats linked to orgs (Telegram groups, WeCom/DingTalk/Feishu robots): add, list, test."""


_PLATFORMS = [p.value for p in Platform]


@chats.command("add")
@click.option("--org", "org", required=True, help="The org code the chat belongs to.")
@_role_option
@click.option(
    "--channel",
    "platform",
    type=click.Choice(_PLATFORMS),
    default=Platform.TELEGRAM.value,
    show_default=True,
    help="Where the chat lives: a Telegram chat, or a WeCom/DingTalk/Feishu group robot.",
)
@click.option("--chat", "chat_id", type=int, help="Telegram chat id (groups < 0).")
@click.option("--webhook", help="The robot's whole webhook URL (wecom, dingtalk, feishu).")
@click.option("--secret", help="The robot's signing secret (加签), for dingtalk and feishu.")
@click.option("--show-names", is_flag=True, help="Allow members' names in this branch chat.")
@click.pass_obj
@common.handles_errors
def chats_add(
    obj: common.Context,
    org: str,
    role: str,
    platform: str,
    chat_id: int | None,
    webhook: str | None,
    secret: str | None,
    show_names: bool,
) -> None:
    """Link a chat to an org and print its id (again: re-enables a disabled chat)."""
    from monitor.alerts.destinations import destination
    from monitor.alerts.store import AlertStore

    where = Platform(platform)
    checked = destination(where, chat_id, webhook, secret)
    chat = AlertStore(obj.store).add_chat(
        org.strip(),
        checked.chat_id,
        _role(role),
        now=_now(),
        show_names=show_names,
        platform=where,
        webhook=checked.webhook,
        secret=checked.secret,
        actor=default_actor(),
    )
    name = obj.store.org(chat.org).name
    click.echo(chat.id)
    if chat.platform is Platform.TELEGRAM and chat.chat_id is not None:
        line = msg.chat_linked(
            chat_id=chat.chat_id, org_code=chat.org, org_name=name, role=chat.role.value
        )
    else:
        line = msg.robot_linked(
            id=chat.id,
            platform=chat.platform.label,
            where=chat.redacted,
            org_code=chat.org,
            org_name=name,
            role=chat.role.value,
            signed=chat.secret is not None,
        )
    common.err.print(line, highlight=False, markup=False)


@chats.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one tab-separated line per chat; json: an array of objects.",
)
@click.pass_obj
@common.handles_errors
def chats_list(obj: common.Context, fmt: str) -> None:
    """One line per linked chat: id, platform, where (webhooks redacted), org, role, state."""
    from monitor.alerts.destinations import chat_json
    from monitor.alerts.store import AlertStore

    found = AlertStore(obj.store).chats()
    names = {o.code: o.name for o in obj.store.orgs({c.org for c in found})}
    if fmt == "json":
        listed = [chat_json(chat, names.get(chat.org, "")) for chat in found]
        click.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    for chat in found:
        line = (
            f"{chat.id}\t{chat.platform.value}\t{chat.redacted}\t{chat.org}"
            f"\t{names.get(chat.org, '')}\t{chat.role.value}"
        )
        if chat.show_names:
            line += "\tshow-names"
        if not chat.enabled:
            line += f"\tdisabled\t{chat.disabled_reason or ''}"
        click.echo(line)
    if not found:
        common.err.print(msg.NO_CHATS, highlight=False)


@chats.command("test")
@click.argument("chat", type=int)
@click.pass_obj
@common.handles_errors
def chats_test(obj: common.Context, chat: int) -> None:
    """Send a test message to chat CHAT (its id in `chats list`) and print the answer."""
    from monitor.alerts.channels import ConsoleChannel, DeliveryError, channel_from_env
    from monitor.alerts.channels.style import style_for
    from monitor.alerts.store import AlertStore

    found = AlertStore(obj.store).chats(id=chat)
    if not found:
        raise OrglifeError(msg.no_such_chat(chat))
    (target,) = found
    name = obj.store.org(target.org).name
    style = style_for(target.platform)
    text = style.plain(
        msg.chat_test_text(org_code=target.org, org_name=name, role=target.role.value)
    )
    channels = channel_from_env(os.environ, console=_print_message)
    if target.platform is Platform.TELEGRAM and isinstance(
        channels.for_platform(Platform.TELEGRAM), ConsoleChannel
    ):
        common.err.print(msg.NO_TELEGRAM_TOKEN, highlight=False)

    async def send() -> str:
        # The test takes a slot of the robot's shared rate limit like any message.
        store = AlertStore(obj.store)
        for _ in range(3):
            wait = await asyncio.to_thread(
                store.reserve, target.address, now=_now(), rates=style.rates
            )
            if wait <= 0:
                break
            await asyncio.sleep(min(wait, 60.0))
        try:
            return str(await channels.probe(target, text))
        finally:
            await channels.aclose()

    label = target.platform.label
    try:
        answer = asyncio.run(send())
    except DeliveryError as exc:
        said = None if exc.answer is None else str(exc.answer)
        common.fail(msg.chat_test_failed(platform=label, answer=said, reason=str(exc)))
    common.out.print(msg.chat_test_sent(platform=label, answer=answer), highlight=False)
    if not target.enabled:
        common.err.print(msg.chat_test_disabled(target.disabled_reason), highlight=False)


@chats.command("code")
@click.argument("org")
@_role_option
@click.pass_obj
@common.handles_errors
def chats_code(obj: common.Context, org: str, role: str) -> None:
    """A one-time code (10 minutes) to link a group by sending `/link CODE` in it."""
    from monitor.alerts.store import AlertStore

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
    from monitor.alerts.store import AlertStore

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
    from monitor.core.rules import load_pack
    from monitor.core.schedule import SHANGHAI
    from monitor.holidays import default_holiday_dirs, work_calendar
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
                store,
                pack,
                month=month,
                as_of=day,
                now=_now(),
                public_url=os.environ.get("ORGLIFE_PUBLIC_URL", "").strip() or None,
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
    if isinstance(channel.for_platform(Platform.TELEGRAM), ConsoleChannel):
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
