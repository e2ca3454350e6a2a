"""The Telegram bot: chat commands for linking chats and members, statuses, records and feeds.

Commands (long polling, python-telegram-bot's :class:`~telegram.ext.Application`):

* ``/start`` — the chat's id and how to link it (a group to an org, a member's private chat);
* ``/link CODE`` — redeem a one-time code: in a group it links the chat to an org as a branch or
  inspector chat, in a private chat it links the Telegram user to a member;
* ``/status`` — this period's statuses of the linked org(s), and recent final misses;
* ``/record 主题党日 2026-11-06 应到12 实到11 环境整治`` — a branch secretary or deputy secretary
  records a held meeting; it goes through the same reader and import as a register file;
* ``/feed`` — the calendar subscription links, in a private chat only;
* ``/summary`` — last month's required/held/missed and rate for the linked org's subtree;
* ``/help`` — the command list.

The handlers are thin: :class:`ChatCommands` turns a command into the reply text, synchronously
on the store, and runs in a worker thread (``asyncio.to_thread``) so the event loop the service
shares with the HTTP server and the scheduler never waits on the database. Replies are in plain
Simplified Chinese for a branch secretary; logs are English and never carry the bot token.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import re
import tempfile
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from monitor.alerts.channels import _guard_logs
from monitor.alerts.plan import ChatRole
from monitor.alerts.store import AlertStore, LinkError
from monitor.calendar.service import feed_url, subject, webcal_url
from monitor.calendar.store import FeedStore
from monitor.check import Check, run_check
from monitor.core.domain import Finding, Member, Org, Role, Status
from monitor.core.errors import OrglifeError, RegisterError
from monitor.core.explain import STATUS_ZH
from monitor.core.rules import Rule, RulePack
from monitor.core.schedule import SHANGHAI, scheduled_day
from monitor.core.workdays import WorkCalendar
from monitor.registers.readers import read_meetings
from monitor.reporting import render_md
from monitor.reporting.build import build_summary
from monitor.reporting.summary import MonthlySummary, parse_month
from monitor.store import Store

log = structlog.get_logger("orglife.bot")

BotApplication = Application[Any, Any, Any, Any, Any, Any]
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

COMMANDS: tuple[BotCommand, ...] = (
    BotCommand("start", "显示本聊天的ID和绑定方法"),
    BotCommand("link", "绑定：/link 绑定码"),
    BotCommand("status", "本期组织生活落实情况"),
    BotCommand("record", "登记已召开的会议（支部书记、副书记）"),
    BotCommand("feed", "获取日历订阅链接（仅私聊）"),
    BotCommand("summary", "上月落实情况小结"),
    BotCommand("help", "查看命令说明"),
)

HELP = "\n".join(
    (
        "可用命令：",
        "/start — 显示本聊天的ID和绑定方法",
        "/link 绑定码 — 在群里发送：把本群绑定到党组织；在私聊中发送：绑定党员身份",
        "/status — 本期组织生活落实情况（✓已落实 ✗未按期 ○进行中）",
        "/record 会议类型 日期 应到N 实到N 主题 — 登记已召开的会议（限支部书记、副书记）",
        "/feed — 获取日历订阅链接（仅在私聊中发送）",
        "/summary — 上月落实情况小结",
        "/help — 显示本说明",
    )
)

ROLE_ZH = {
    Role.SECRETARY: "书记",
    Role.DEPUTY_SECRETARY: "副书记",
    Role.COMMITTEE_MEMBER: "委员",
    Role.MEMBER: "党员",
}
CHAT_ROLE_ZH = {ChatRole.BRANCH: "支部群", ChatRole.INSPECTOR: "督查群"}
RECORDERS = frozenset({Role.SECRETARY, Role.DEPUTY_SECRETARY})
MARK = {
    Status.HELD: "✓",
    Status.MISSED: "✗",
    Status.OPEN: "○",
    Status.EXEMPT: "－",
}

MESSAGE_LIMIT = 4000  # Telegram allows 4096 characters per message
MAX_STATUS_LINES = 300  # beyond this (a big inspector subtree) the rest is left to the CLI
MAX_MISSED_LINES = 100
RECENT_MONTHS = 3  # /status also lists final misses of periods that ended this recently
RECORD_HEADER = (
    "组织编码",
    "会议类型",
    "日期",
    "应到人数",
    "实到人数",
    "主题",
    "录入日期",
    "授课人",
)
RECORD_EXAMPLE = "/record 主题党日 2026-11-06 应到12 实到11 环境整治"

_COUNT_TOKEN = re.compile(r"(应到|实到)(?:人数)?[:：]?(.*)")
_LECTURER_TOKEN = re.compile(r"(?:授课人|讲课人)[:：]?(.*)")
_LOOKS_LIKE_DATE = re.compile(r"\d{4}\s*[-/.年]")
_BOTH_COUNTS = re.compile(r"attended (\d+), expected (\d+)")
_JOINED_KINDS = re.compile(r"\s*([+＋])\s*")

NOT_LINKED_GROUP = "\n".join(
    (
        "本群尚未绑定党组织。",
        "绑定方法：请组织管理员在服务器上运行",
        "orglife chats code 组织编码 --role branch（支部群）",
        "或 orglife chats code 组织编码 --role inspector（督查群），",
        "然后在本群发送 /link 绑定码（10分钟内有效，仅可使用一次）。",
    )
)
NOT_LINKED_MEMBER = "\n".join(
    (
        "您的Telegram账号尚未绑定党员身份。",
        "绑定方法：请组织管理员运行 orglife members link 党员编号，",
        "然后在与我的私聊中发送 /link 绑定码（10分钟内有效，仅可使用一次）。",
    )
)
SORRY = "抱歉，处理这条命令时出错了，请稍后再试；如一直出错，请联系管理员。"


@dataclass(frozen=True, slots=True)
class Where:
    """Where a command came from: the chat, whether it is private, and who sent it."""

    chat_id: int
    private: bool
    user_id: int | None  # None for anonymous group admins and channel identities


def _day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _month_start(day: dt.date, months_back: int) -> dt.date:
    """The first day of the month ``months_back`` months before ``day``'s month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months_back, 12)
    return dt.date(year, month + 1, 1)


def _percent(held: int, required: int) -> str:
    text = f"{held / required:.1%}"
    return text.replace(".0%", "%")


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The text in parts of at most ``limit`` characters, cut between lines where possible."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


class ChatCommands:
    """The reply to each command, computed synchronously on the store (run off the loop)."""

    def __init__(
        self,
        store: Store,
        pack: RulePack,
        workdays: WorkCalendar,
        *,
        clock: Callable[[], dt.datetime],
        public_url: str | None = None,
    ) -> None:
        self.store = store
        self.pack = pack
        self.workdays = workdays
        self.clock = clock
        self.public_url = public_url
        self.rules = {r.id: r for r in pack.rules}

    def as_of(self) -> dt.date:
        return self.clock().astimezone(SHANGHAI).date()

    # --- who is asking --------------------------------------------------------------------

    def _member(self, user_id: int | None) -> Member | None:
        if user_id is None:
            return None
        member_id = AlertStore(self.store).member_of(user_id)
        return None if member_id is None else self.store.member(member_id)

    def _org_name(self, code: str) -> str:
        found = self.store.orgs([code])
        return found[0].name if found else code

    def _who(self, member: Member) -> str:
        return f"{member.name}（{member.id}，{self._org_name(member.org)}{ROLE_ZH[member.role]}）"

    def _targets(self, where: Where) -> list[tuple[str, bool]] | str:
        """The orgs a chat speaks for, each with whether members' names may be shown; or the
        reply explaining how to link when it speaks for none."""
        if where.private:
            member = self._member(where.user_id)
            if member is None:
                return NOT_LINKED_MEMBER
            return [(member.org, True)]
        chats = AlertStore(self.store).chats(chat_id=where.chat_id)
        if not chats:
            return NOT_LINKED_GROUP
        names: dict[str, bool] = {}
        for chat in chats:
            allowed = chat.role is ChatRole.INSPECTOR or chat.show_names
            names[chat.org] = names.get(chat.org, False) or allowed
        return sorted(names.items())

    # --- /start and /help -----------------------------------------------------------------

    def start(self, where: Where, _: str = "") -> str:
        lines = ["您好！我是组织生活提醒机器人，负责提醒“三会一课”等组织生活按期开展。"]
        if where.private:
            lines.append(f"本聊天ID：{where.chat_id}")
            member = self._member(where.user_id)
            if member is not None:
                lines.append(f"您已绑定为党员：{self._who(member)}。")
                lines.append("可用 /status 查看本支部本期情况，/feed 获取日历订阅链接。")
            else:
                lines += [
                    "绑定党员身份：请组织管理员运行",
                    "orglife members link 党员编号",
                    "然后在本私聊中发送 /link 绑定码（10分钟内有效，仅可使用一次）。",
                ]
            lines.append("要绑定支部群或督查群，请把我加入该群并在群里发送 /start。")
        else:
            lines.append(f"本群的群聊ID：{where.chat_id}")
            chats = AlertStore(self.store).chats(chat_id=where.chat_id)
            if chats:
                linked = "；".join(
                    f"{self._org_name(c.org)}（{c.org}，{CHAT_ROLE_ZH[c.role]}）" for c in chats
                )
                lines.append(f"本群已绑定：{linked}")
            lines += [
                "绑定本群：请组织管理员在服务器上运行",
                "orglife chats code 组织编码 --role branch（支部群：本支部的提醒和未按期通报）",
                "或 orglife chats code 组织编码 --role inspector（督查群：本组织及下级组织的"
                "未按期通报），",
                "然后在本群发送 /link 绑定码（10分钟内有效，仅可使用一次）。",
                f"也可由管理员直接运行 orglife chats add --org 组织编码 --chat {where.chat_id} "
                "--role branch 绑定。",
            ]
        lines.append("发送 /help 查看全部命令。")
        return "\n".join(lines)

    def help(self, where: Where, _: str = "") -> str:
        return HELP

    # --- /link ----------------------------------------------------------------------------

    def link(self, where: Where, args: str) -> str:
        words = args.split()
        if not words:
            if where.private:
                return (
                    "请在 /link 后写上绑定码，例如：/link ABCD2345\n"
                    "绑定码由组织管理员运行 orglife members link 党员编号 生成，"
                    "10分钟内有效，仅可使用一次。"
                )
            return (
                "请在 /link 后写上绑定码，例如：/link ABCD2345\n"
                "绑定码由组织管理员运行 orglife chats code 组织编码 --role branch"
                "（或 --role inspector）生成，10分钟内有效，仅可使用一次。"
            )
        now = self.clock()
        try:
            if where.private:
                if where.user_id is None:
                    return "无法识别发送者，请以个人身份发送。"
                linked = AlertStore(self.store).redeem(words[0], now=now, user_id=where.user_id)
            else:
                linked = AlertStore(self.store).redeem(words[0], now=now, chat_id=where.chat_id)
        except LinkError as exc:
            return str(exc)
        if linked.kind == "chat" and linked.org is not None and linked.role is not None:
            log.info("chat_linked", chat_id=where.chat_id, org=linked.org, role=linked.role.value)
            org = self.store.org(linked.org)
            what = (
                "今后本组织的提醒和未按期通报会发到本群。"
                if linked.role is ChatRole.BRANCH
                else "今后本组织及下级组织的未按期通报会发到本群。"
            )
            return (
                f"绑定成功：本群已绑定到“{org.name}”（{org.code}），作为{CHAT_ROLE_ZH[linked.role]}。"
                f"\n{what}发送 /status 查看本期情况。"
            )
        member = self.store.member(linked.member or "")
        log.info("member_linked", chat_id=where.chat_id, member=linked.member)
        if member is None:
            return f"绑定成功：您已绑定为党员 {linked.member}。"
        text = (
            f"绑定成功：您已绑定为党员 {self._who(member)}。\n现在可以在私聊中使用 /status、/feed"
        )
        if member.role in RECORDERS:
            text += "，并可用 /record 登记本支部已召开的会议"
        return text + "。"

    # --- /status --------------------------------------------------------------------------

    def status(self, where: Where, _: str = "") -> str:
        targets = self._targets(where)
        if isinstance(targets, str):
            return targets
        as_of = self.as_of()
        recent = _month_start(as_of, RECENT_MONTHS)
        since = dt.date(recent.year, 1, 1)
        lines = [f"组织生活落实情况（截至{_day(as_of)}）"]
        shown = 0
        left_out = 0
        for code, names in targets:
            try:
                check = run_check(
                    self.store, self.pack, as_of=as_of, since=since, org=code, with_records=False
                )
            except OrglifeError:
                lines.append(f"\n{code}：该组织已不在登记册中，请联系管理员。")
                continue
            cadres = {m.id: m.name for m in check.registers.cadres} if names else {}
            for org_code, items in self._by_org(check, as_of, recent):
                if shown >= MAX_STATUS_LINES:
                    left_out += 1
                    continue
                org = check.registers.orgs.get(org_code)
                lines.append(f"\n{org.name if org else org_code}（{org_code}）")
                for finding in items:
                    lines.append(self._status_line(finding, org, cadres, as_of))
                    shown += 1
        if shown == 0 and left_out == 0:
            lines.append("\n本期暂无需要考核的事项。")
        if left_out:
            lines.append(
                f"\n……另有{left_out}个组织未列出；完整情况请在服务器上运行 "
                "orglife check --org 组织编码 查看。"
            )
        lines.append("\n✓已落实 ✗未按期 ○进行中 －免于考核")
        if where.private or any(not names for _, names in targets):
            lines.append("已召开的会议可由支部书记、副书记用 /record 登记。")
        return "\n".join(lines)

    @staticmethod
    def _by_org(check: Check, as_of: dt.date, recent: dt.date) -> list[tuple[str, list[Finding]]]:
        """The findings /status shows, by org: this period's, recent final misses, and those
        whose period ended but may still be recorded late."""
        grouped: dict[str, list[Finding]] = {}
        for f in check.findings:
            if f.status is Status.NOT_APPLICABLE:
                continue
            current = f.period.start <= as_of <= f.period.end
            recent_miss = f.status is Status.MISSED and f.period.end >= recent
            in_grace = f.status is Status.OPEN and f.period.end < as_of
            if current or recent_miss or in_grace:
                grouped.setdefault(f.org, []).append(f)
        return sorted(grouped.items())

    def _status_line(
        self, f: Finding, org: Org | None, cadres: Mapping[str, str], as_of: dt.date
    ) -> str:
        """``✓ 规则名 期间 状态``; a cadre's line names them only when ``cadres`` has the name
        (empty in chats where members' names may not appear)."""
        rule = self.rules.get(f.rule)
        name = rule.name if rule is not None else f.rule
        who = ""
        if f.member is not None:
            who = f"（{f.member} {cadres.get(f.member, '领导干部')}）"
        if f.status is Status.OPEN:
            if as_of <= f.period.end:
                due = self._due(f, rule, org, as_of)
                state = f"进行中（{_md(due)}到期）"
            else:
                grace = f.period.end + dt.timedelta(
                    days=self.pack.grace_for(rule) if rule else self.pack.grace_days
                )
                state = f"待补录（宽限至{_md(grace)}）"
        elif f.status is Status.MISSED and f.member is not None:
            state = "未按期参加"
        else:
            state = STATUS_ZH[f.status]
        # No space after a closing full-width bracket: "双重组织生活（M0098 领导干部）2026-Q3".
        return f"{MARK.get(f.status, '·')} {name}{who}{'' if who else ' '}{f.period.label} {state}"

    def _due(self, f: Finding, rule: Rule | None, org: Org | None, as_of: dt.date) -> dt.date:
        """A fixed-day session's day while it is ahead, else the period's end."""
        if rule is None or rule.schedule is None or org is None:
            return f.period.end
        try:
            day = scheduled_day(
                rule.schedule, org, f.period.year, f.period.first_month, self.workdays
            ).day
        except OrglifeError:
            return f.period.end
        return day if day >= as_of else f.period.end

    # --- /record --------------------------------------------------------------------------

    def record(self, where: Where, args: str) -> str:
        if not args.strip():
            return self._record_usage()
        allowed = self._recorder(where)
        if isinstance(allowed, str):
            return allowed
        org, member = allowed
        words = _JOINED_KINDS.sub(r"\1", args).split()  # "主题党日 + 党课" is one kind cell
        if (
            len(words) >= 2
            and _LOOKS_LIKE_DATE.match(words[0])
            and not _LOOKS_LIKE_DATE.match(words[1])
        ):
            words[0], words[1] = words[1], words[0]  # "2026-11-06 主题党日 …" reads the same
        if len(words) < 2:
            return "请写明会议日期。\n" + self._record_usage()
        kind, day, rest = words[0], words[1], words[2:]
        counts = {"应到": "", "实到": ""}
        lecturer = ""
        topic: list[str] = []
        index = 0
        while index < len(rest):
            word = rest[index]
            index += 1
            if (match := _COUNT_TOKEN.fullmatch(word)) is not None:
                value = match.group(2)
                if not value and index < len(rest):  # "应到 12"
                    value = rest[index]
                    index += 1
                counts[match.group(1)] = value
            elif (match := _LECTURER_TOKEN.fullmatch(word)) is not None:
                lecturer = match.group(1)
                if not lecturer and index < len(rest):
                    lecturer = rest[index]
                    index += 1
            else:
                topic.append(word)
        as_of = self.as_of()
        row = (
            org.code,
            kind,
            day,
            counts["应到"],
            counts["实到"],
            " ".join(topic),
            as_of.isoformat(),
            lecturer,
        )
        with tempfile.TemporaryDirectory(prefix="orglife-record-") as folder:
            path = Path(folder) / "record.csv"
            with path.open("w", encoding="utf-8", newline="") as file:
                writer = csv.writer(file)
                writer.writerow(RECORD_HEADER)
                writer.writerow(row)
            try:
                parsed = read_meetings(path, today=as_of, catalog=self.pack.catalog)
                meeting = parsed.records[0]
                if meeting.date > as_of:
                    return (
                        f"会议日期{_day(meeting.date)}晚于今天（{_day(as_of)}）："
                        "只能登记已经召开的会议，请核对日期。"
                    )
                result = self.store.import_meetings(parsed, self.pack.catalog)
            except RegisterError as exc:
                return (
                    f"抱歉，未能登记：{self._polite(exc)}\n本次没有保存任何内容，请更正后重新发送。"
                )
        log.info(
            "meeting_recorded",
            org=org.code,
            kinds=sorted(meeting.kinds),
            day=meeting.date.isoformat(),
            by=member.id,
            updated=result.updated,
        )
        names = self.pack.catalog.names
        kinds = "+".join(names.get(k, k) for k in sorted(meeting.kinds, key=self._kind_rank))
        text = f"已登记：{org.name} {kinds} {_day(meeting.date)}"
        details = []
        if meeting.expected is not None:
            details.append(f"应到{meeting.expected}人")
        if meeting.attended is not None:
            details.append(f"实到{meeting.attended}人")
        if details:
            text += f"（{'，'.join(details)}）"
        if meeting.topic:
            text += f"\n主题：{meeting.topic}"
        if meeting.lecturer:
            text += f"\n授课人：{meeting.lecturer}"
        if result.updated:
            text += "\n（此前已登记过同一次会议，已按本次内容更新。）"
        after = self._after_record(org.code, meeting.kinds, meeting.date, as_of)
        if after:
            text += "\n登记后：\n" + "\n".join(after)
        return text

    def _kind_rank(self, kind: str) -> int:
        order = [k.id for k in self.pack.catalog]
        return order.index(kind) if kind in order else len(order)

    def _record_usage(self) -> str:
        kinds = "、".join(k.name for k in self.pack.catalog)
        return "\n".join(
            (
                "登记一次已召开的会议，一行写完：",
                "/record 会议类型 日期 应到N 实到N 主题",
                f"例如：{RECORD_EXAMPLE}",
                f"会议类型：{kinds}；合并召开的写作“主题党日+党课”。",
                "日期：2026-11-06，也可写2026/11/6、2026.11.6或2026年11月6日；不能晚于今天。",
                "应到、实到人数可以不写；党课可加“授课人姓名或党员编号”，如 授课人M0001。",
                "仅限本支部书记、副书记在支部群或与我的私聊中登记。",
            )
        )

    def _recorder(self, where: Where) -> tuple[Org, Member] | str:
        """The branch and the member recording for it, or a polite refusal."""
        if where.user_id is None:
            return "无法识别发送者（匿名管理员或频道身份），请以个人身份发送 /record。"
        member = self._member(where.user_id)
        who = (
            "只有本支部的书记或副书记可以登记会议，并且需要先绑定党员身份："
            "请组织管理员运行 orglife members link 党员编号，"
            "再在与我的私聊中发送 /link 绑定码。"
        )
        if where.private:
            if member is None:
                return "抱歉，您还不能登记会议。\n" + who
            if member.role not in RECORDERS:
                return (
                    f"抱歉，您绑定的身份是{self._who(member)}，暂无登记权限。\n"
                    "会议记录由本支部书记或副书记登记，请与他们联系。"
                )
            return self.store.org(member.org), member
        chats = AlertStore(self.store).chats(chat_id=where.chat_id)
        branches = [c.org for c in chats if c.role is ChatRole.BRANCH]
        if not branches:
            if chats:
                return (
                    "本群是督查群，不能在此登记会议；请支部书记或副书记在支部群或与我的私聊中登记。"
                )
            return NOT_LINKED_GROUP
        if member is None:
            return "抱歉，您还不能登记会议。\n" + who
        if member.org not in branches or member.role not in RECORDERS:
            return (
                f"抱歉，只有{self._org_name(branches[0])}的书记或副书记可以在本群登记会议。\n"
                "您暂无登记权限，请与本支部书记或副书记联系。"
            )
        return self.store.org(member.org), member

    def _polite(self, exc: RegisterError) -> str:
        """A reader's or the import's row error as one sentence for the chat."""
        column = exc.column or ""
        value = "" if exc.value is None else str(exc.value)
        reason = exc.reason
        if column == "会议类型":
            kinds = "、".join(k.name for k in self.pack.catalog)
            return (
                f"会议类型“{value}”无法识别。请写以下类型之一：{kinds}；"
                "合并召开的写作“主题党日+党课”。"
            )
        if column == "日期":
            if "no such day" in reason:
                return f"日期“{value}”不存在，请核对后更正。"
            if "missing" in reason:
                return "请写明会议日期，例如2026-11-06。"
            return (
                f"日期“{value}”无法识别，请写作2026-11-06"
                "（也可写2026/11/6、2026.11.6或2026年11月6日）。"
            )
        if column in ("应到人数", "实到人数"):
            both = _BOTH_COUNTS.fullmatch(value)
            if both is not None:
                attended, expected = both.groups()
                return f"实到人数（{attended}人）多于应到人数（{expected}人），请核对后更正。"
            if "negative" in reason:
                return f"{column}“{value}”不能是负数，请更正。"
            short = column[:2]
            return f"{column}“{value}”不是有效的人数，请写阿拉伯数字，例如“{short}12”。"
        if column == "组织编码":
            return f"组织编码“{value}”不在登记册中，请联系管理员导入组织台账。"
        if column == "授课人":
            return f"授课人“{value}”有误，请写本支部党员的姓名或党员编号。"
        if column:
            return f"“{column}”一栏的“{value}”有误，请核对后重试。"
        return "这条记录无法读取，请按示例格式重新发送。"

    def _after_record(
        self, org: str, kinds: Iterable[str], day: dt.date, as_of: dt.date
    ) -> list[str]:
        """The org's own statuses of the rules the record counts for, in its period."""
        kinds = set(kinds)
        try:
            check = run_check(
                self.store,
                self.pack,
                as_of=as_of,
                since=dt.date(day.year, 1, 1),
                org=org,
                with_records=False,
            )
        except ValueError:  # OrglifeError included: the org is gone
            return []
        lines = []
        for f in check.findings:
            rule = self.rules.get(f.rule)
            if (
                f.org == org
                and f.member is None
                and rule is not None
                and kinds & set(rule.kinds)
                and f.period.start <= day <= f.period.end
                and f.status is not Status.NOT_APPLICABLE
            ):
                lines.append(self._status_line(f, check.registers.orgs.get(org), {}, as_of))
        return lines

    # --- /feed ----------------------------------------------------------------------------

    def feed(self, where: Where, _: str = "") -> str:
        if not where.private:
            return (
                "为保护订阅链接，日历链接只在私聊中发送。请点开我的头像，在与我的私聊中发送 /feed。"
            )
        member = self._member(where.user_id)
        if member is None:
            return NOT_LINKED_MEMBER
        now = self.clock()
        codes = [member.org] + ([member.id] if member.leader else [])
        blocks = []
        try:
            for code in codes:
                who = subject(self.store, code)
                token = FeedStore(self.store).token(who.code, now=now)
                url = feed_url(token.token, self.public_url)
                blocks.append(
                    f"{who.title}：\n{url}\n苹果日历、Outlook可直接打开：\n{webcal_url(url)}"
                )
        except OrglifeError as exc:
            # An unusable ORGLIFE_PUBLIC_URL, or a register that changed under the member.
            log.warning("feed_link_failed", member=member.id, error=type(exc).__name__)
            return "暂时无法生成订阅链接，请联系管理员检查服务器配置和党员台账。"
        intro = "您的日历订阅链接" + ("（本支部和您本人各一个）" if len(blocks) > 1 else "")
        return "\n\n".join(
            (
                f"{intro}：",
                *blocks,
                "在日历应用中选择“订阅日历/从URL添加”，粘贴上面的链接即可。"
                "链接相当于密码，请勿转发；如已外泄，请联系管理员运行 orglife feeds rotate 更换。",
            )
        )

    # --- /summary -------------------------------------------------------------------------

    def summary(self, where: Where, _: str = "") -> str:
        """The latest monthly summary (last month's, as the service sends it), with the list
        of what was missed."""
        targets = self._targets(where)
        if isinstance(targets, str):
            return targets
        as_of = self.as_of()
        month = parse_month(f"{as_of.replace(day=1) - dt.timedelta(days=1):%Y-%m}")
        blocks = []
        for code, _names in targets:
            try:
                summary = build_summary(self.store, self.pack, org=code, month=month, as_of=as_of)
            except OrglifeError:
                blocks.append(f"{code}：该组织已不在登记册中，请联系管理员。")
                continue
            blocks.append(self._summary_block(summary))
        return "\n\n".join(blocks)

    def _summary_block(self, summary: MonthlySummary) -> str:
        lines = [render_md(summary)]
        missed = [r for r in summary.rows if r.status is Status.MISSED]
        if missed:
            lines += ["", "未按期开展明细："]
            for row in missed[:MAX_MISSED_LINES]:
                lines.append(f"✗ {row.member or row.org} {row.rule_name} {row.period.label}")
            if len(missed) > MAX_MISSED_LINES:
                lines.append(f"……等共 {len(missed)} 项，完整名单请运行 orglife report 查看。")
        return "\n".join(lines)

    # --- the rest -------------------------------------------------------------------------

    def migrate(self, old: int, new: int) -> int:
        """A group became a supergroup: keep its links under the new id."""
        return AlertStore(self.store).migrate_chat(old, new)


def _where(update: Update) -> Where | None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return None
    if chat.type == "private":
        private = True
    elif chat.type in ("group", "supergroup"):
        private = False
    else:
        return None  # channels: the bot does not take commands there
    user = update.effective_user
    anonymous = message.sender_chat is not None
    return Where(chat.id, private, None if user is None or anonymous else user.id)


def _args(text: str | None) -> str:
    """What follows the command word (``/record@bot …`` included)."""
    if not text:
        return ""
    parts = text.strip().split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


async def _reply(update: Update, text: str) -> None:
    message = update.effective_message
    if message is None or not text:
        return
    for part in split_message(text):
        await message.reply_text(part, link_preview_options=LinkPreviewOptions(is_disabled=True))


def _command(name: str, answer: Callable[[Where, str], str]) -> Handler:
    """A handler that computes ``answer`` in a worker thread and replies with it."""

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        where = _where(update)
        message = update.effective_message
        if where is None or message is None:
            return
        log.info("bot_command", command=name, chat_id=where.chat_id, private=where.private)
        text = await asyncio.to_thread(answer, where, _args(message.text))
        await _reply(update, text)

    return handle


async def _unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An unknown command gets a pointer to /help; one addressed to another bot, nothing."""
    message = update.effective_message
    if message is None or not message.text or _where(update) is None:
        return
    word = message.text.split(maxsplit=1)[0]
    _, at, addressee = word.partition("@")
    username = context.bot.username or ""
    if at and addressee.lower() != username.lower():
        return
    await _reply(update, f"未识别的命令“{word}”。发送 /help 查看可用命令。")


class _BotApplication(Application[Any, Any, Any, Any, Any, Any]):
    """Runs ``post_init`` (the command menu) on :meth:`initialize` as well: the service starts
    the bot with ``initialize``/``start``/``start_polling``, which never call it."""

    async def initialize(self) -> None:
        await super().initialize()
        if self.post_init is not None:
            await self.post_init(self)


async def _set_menu(application: BotApplication) -> None:
    """Set the command menu once (``run_polling`` calls ``post_init`` after ``initialize``)."""
    if application.bot_data.get("orglife_menu_set"):
        return
    try:
        await application.bot.set_my_commands(list(COMMANDS))
    except TelegramError as exc:
        log.warning("set_commands_failed", error=type(exc).__name__)
        return
    application.bot_data["orglife_menu_set"] = True


def build_application(
    store: Store,
    pack: RulePack,
    workdays: WorkCalendar,
    *,
    token: str,
    base_url: str | None,
    clock: Callable[[], dt.datetime],
    public_url: str | None = None,
) -> BotApplication:
    """The bot, its handlers registered; start it with ``initialize``, ``start`` and
    ``updater.start_polling`` (or ``run_polling``)."""
    if not token:
        raise ValueError("the bot needs a Telegram bot token")
    _guard_logs(token)  # the HTTP client's request log prints URLs, which carry the token
    builder = (
        Application.builder()
        .application_class(_BotApplication)
        .token(token)
        .job_queue(None)  # the service has its own scheduler
    )
    if base_url:
        builder = builder.base_url(base_url)
    application: BotApplication = builder.post_init(_set_menu).build()
    commands = ChatCommands(store, pack, workdays, clock=clock, public_url=public_url)
    answers: Sequence[tuple[str, Callable[[Where, str], str]]] = (
        ("start", commands.start),
        ("link", commands.link),
        ("status", commands.status),
        ("record", commands.record),
        ("feed", commands.feed),
        ("summary", commands.summary),
        ("help", commands.help),
    )
    new_messages = filters.UpdateType.MESSAGE  # an edited /record must not record again
    for name, answer in answers:
        application.add_handler(CommandHandler(name, _command(name, answer), filters=new_messages))
    application.add_handler(MessageHandler(filters.COMMAND & new_messages, _unknown))

    async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        old, new = message.chat.id, message.migrate_to_chat_id
        moved = await asyncio.to_thread(commands.migrate, old, new)
        log.info("chat_migrated", old=old, new=new, links=moved)

    application.add_handler(
        MessageHandler(filters.StatusUpdate.MIGRATE & filters.UpdateType.MESSAGE, migrated)
    )

    async def failed(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        detail = str(error).replace(token, "<token>") if error is not None else ""
        log.error("bot_handler_failed", error=type(error).__name__, detail=detail[:500])
        if isinstance(update, Update) and update.effective_message is not None:
            with contextlib.suppress(TelegramError):
                await update.effective_message.reply_text(SORRY)

    application.add_error_handler(failed)
    return application
