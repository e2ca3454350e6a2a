"""The Telegram bot's words: its command menu, help, every reply and the small formats they use.

The bot's modules (``monitor.alerts.bot``) decide what to say and pass the data in; the wording
is all here, so it can be read and reviewed in one place. Plain Simplified Chinese for a branch
secretary; no markup (replies are sent as plain text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from monitor.core.domain import Role, Status
from monitor.text.messages import CHAT_ROLE_ZH

# --------------------------------------------------------------------------- formats


def day(date: dt.date) -> str:
    """``2026年11月6日``."""
    return f"{date.year}年{date.month}月{date.day}日"


def month_day(date: dt.date) -> str:
    """``11月6日``."""
    return f"{date.month}月{date.day}日"


ROLE_ZH = {
    Role.SECRETARY: "书记",
    Role.DEPUTY_SECRETARY: "副书记",
    Role.COMMITTEE_MEMBER: "委员",
    Role.MEMBER: "党员",
}

MARK = {
    Status.HELD: "✓",
    Status.MISSED: "✗",
    Status.OPEN: "○",
    Status.EXEMPT: "－",
}
NO_MARK = "·"


def member_who(name: str, member_id: str, org_name: str, role: Role) -> str:
    """``邹秀英（M0001，幸福社区党支部书记）``."""
    return f"{name}（{member_id}，{org_name}{ROLE_ZH[role]}）"


# ------------------------------------------------------------------------ menu, help

MENU: tuple[tuple[str, str], ...] = (
    ("start", "显示本聊天的ID和绑定方法"),
    ("link", "绑定：/link 绑定码"),
    ("status", "本期组织生活落实情况"),
    ("record", "登记已召开的会议（支部书记、副书记）"),
    ("feed", "获取日历订阅链接（仅私聊）"),
    ("summary", "上月落实情况小结"),
    ("help", "查看命令说明"),
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


def unknown_command(word: str) -> str:
    return f"未识别的命令“{word}”。发送 /help 查看可用命令。"


SORRY = "抱歉，处理这条命令时出错了，请稍后再试；如一直出错，请联系管理员。"

# ------------------------------------------------------------------------ not linked

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

# ---------------------------------------------------------------------------- /start

START_GREETING = "您好！我是组织生活提醒机器人，负责提醒“三会一课”等组织生活按期开展。"
START_MORE = "发送 /help 查看全部命令。"


def start_private(chat_id: int, who: str | None) -> list[str]:
    """The lines of /start in a private chat; ``who`` is the linked member, if any."""
    lines = [f"本聊天ID：{chat_id}"]
    if who is not None:
        lines.append(f"您已绑定为党员：{who}。")
        lines.append("可用 /status 查看本支部本期情况，/feed 获取日历订阅链接。")
    else:
        lines += [
            "绑定党员身份：请组织管理员运行",
            "orglife members link 党员编号",
            "然后在本私聊中发送 /link 绑定码（10分钟内有效，仅可使用一次）。",
        ]
    lines.append("要绑定支部群或督查群，请把我加入该群并在群里发送 /start。")
    return lines


def start_group(chat_id: int, linked: Iterable[tuple[str, str, str]]) -> list[str]:
    """The lines of /start in a group; ``linked`` holds (org name, org code, chat role)."""
    lines = [f"本群的群聊ID：{chat_id}"]
    links = "；".join(f"{name}（{code}，{CHAT_ROLE_ZH[role]}）" for name, code, role in linked)
    if links:
        lines.append(f"本群已绑定：{links}")
    lines += [
        "绑定本群：请组织管理员在服务器上运行",
        "orglife chats code 组织编码 --role branch（支部群：本支部的提醒和未按期通报）",
        "或 orglife chats code 组织编码 --role inspector（督查群：本组织及下级组织的未按期通报），",
        "然后在本群发送 /link 绑定码（10分钟内有效，仅可使用一次）。",
        f"也可由管理员直接运行 orglife chats add --org 组织编码 --chat {chat_id} "
        "--role branch 绑定。",
    ]
    return lines


# ----------------------------------------------------------------------------- /link

LINK_WITHOUT_CODE_PRIVATE = (
    "请在 /link 后写上绑定码，例如：/link ABCD2345\n"
    "绑定码由组织管理员运行 orglife members link 党员编号 生成，"
    "10分钟内有效，仅可使用一次。"
)
LINK_WITHOUT_CODE_GROUP = (
    "请在 /link 后写上绑定码，例如：/link ABCD2345\n"
    "绑定码由组织管理员运行 orglife chats code 组织编码 --role branch"
    "（或 --role inspector）生成，10分钟内有效，仅可使用一次。"
)
LINK_UNKNOWN_SENDER = "无法识别发送者，请以个人身份发送。"


def chat_linked(org_name: str, org_code: str, role: str) -> str:
    """A group linked to an org as a branch or an inspector chat."""
    what = (
        "今后本组织的提醒和未按期通报会发到本群。"
        if role == "branch"
        else "今后本组织及下级组织的未按期通报会发到本群。"
    )
    return (
        f"绑定成功：本群已绑定到“{org_name}”（{org_code}），作为{CHAT_ROLE_ZH[role]}。"
        f"\n{what}发送 /status 查看本期情况。"
    )


def member_linked(who: str, *, may_record: bool) -> str:
    """A Telegram user linked to a member (``who``: :func:`member_who`, or the bare id)."""
    text = f"绑定成功：您已绑定为党员 {who}。\n现在可以在私聊中使用 /status、/feed"
    if may_record:
        text += "，并可用 /record 登记本支部已召开的会议"
    return text + "。"


def member_linked_unregistered(member_id: str) -> str:
    """A user linked to a member id the register no longer holds."""
    return f"绑定成功：您已绑定为党员 {member_id}。"


# ---------------------------------------------------------------------------- /status


def status_title(as_of: dt.date) -> str:
    return f"组织生活落实情况（截至{day(as_of)}）"


def org_gone(code: str) -> str:
    """An org a chat is linked to that the register no longer holds."""
    return f"{code}：该组织已不在登记册中，请联系管理员。"


def org_heading(name: str, code: str) -> str:
    return f"{name}（{code}）"


STATUS_NOTHING = "本期暂无需要考核的事项。"


def status_left_out(count: int) -> str:
    return (
        f"……另有{count}个组织未列出；完整情况请在服务器上运行 orglife check --org 组织编码 查看。"
    )


STATUS_LEGEND = "✓已落实 ✗未按期 ○进行中 －免于考核"
STATUS_RECORD_HINT = "已召开的会议可由支部书记、副书记用 /record 登记。"

CADRE = "领导干部"  # a cadre's line where members' names may not be shown
MEMBER_MISSED = "未按期参加"


def cadre_who(member_id: str, name: str) -> str:
    return f"（{member_id} {name}）"


def open_due(due: dt.date) -> str:
    return f"进行中（{month_day(due)}到期）"


def open_in_grace(until: dt.date) -> str:
    return f"待补录（宽限至{month_day(until)}）"


def status_line(mark: str, rule: str, who: str, period: str, state: str) -> str:
    """``✓ 规则名 期间 状态``, the member part (``who``) in brackets when a cadre's."""
    # No space after a closing full-width bracket: "双重组织生活（M0098 领导干部）2026年第三季度".
    return f"{mark} {rule}{who}{'' if who else ' '}{period} {state}"


# ---------------------------------------------------------------------------- /record

RECORD_EXAMPLE = "/record 主题党日 2026-11-06 应到12 实到11 环境整治"


def record_usage(kinds: Iterable[str]) -> str:
    """How to write /record; ``kinds`` are the catalog's kind names."""
    return "\n".join(
        (
            "登记一次已召开的会议，一行写完：",
            "/record 会议类型 日期 应到N 实到N 主题",
            f"例如：{RECORD_EXAMPLE}",
            f"会议类型：{'、'.join(kinds)}；合并召开的写作“主题党日+党课”。",
            "日期：2026-11-06，也可写2026/11/6、2026.11.6或2026年11月6日；不能晚于今天。",
            "应到、实到人数可以不写；党课可加“授课人姓名或党员编号”，如 授课人M0001。",
            "仅限本支部书记、副书记在支部群或与我的私聊中登记。",
        )
    )


RECORD_NO_DATE = "请写明会议日期。\n"  # followed by the usage


def record_in_future(date: dt.date, today: dt.date) -> str:
    return f"会议日期{day(date)}晚于今天（{day(today)}）：只能登记已经召开的会议，请核对日期。"


def record_failed(reason: str) -> str:
    """A /record that saved nothing; ``reason`` is one of the ``record_*`` sentences below."""
    return f"抱歉，未能登记：{reason}\n本次没有保存任何内容，请更正后重新发送。"


def recorded(
    org_name: str,
    kinds: str,
    date: dt.date,
    *,
    expected: int | None,
    attended: int | None,
    topic: str | None,
    lecturer: str | None,
    updated: bool,
    after: list[str],
) -> str:
    """The confirmation of a record, with the statuses it changed (``after``)."""
    text = f"已登记：{org_name} {kinds} {day(date)}"
    details = []
    if expected is not None:
        details.append(f"应到{expected}人")
    if attended is not None:
        details.append(f"实到{attended}人")
    if details:
        text += f"（{'，'.join(details)}）"
    if topic:
        text += f"\n主题：{topic}"
    if lecturer:
        text += f"\n授课人：{lecturer}"
    if updated:
        text += "\n（此前已登记过同一次会议，已按本次内容更新。）"
    if after:
        text += "\n登记后：\n" + "\n".join(after)
    return text


# Who may record
RECORD_ANONYMOUS = "无法识别发送者（匿名管理员或频道身份），请以个人身份发送 /record。"
_RECORDERS_ONLY = (
    "只有本支部的书记或副书记可以登记会议，并且需要先绑定党员身份："
    "请组织管理员运行 orglife members link 党员编号，"
    "再在与我的私聊中发送 /link 绑定码。"
)
RECORD_NOT_LINKED = "抱歉，您还不能登记会议。\n" + _RECORDERS_ONLY
RECORD_IN_INSPECTOR_CHAT = (
    "本群是督查群，不能在此登记会议；请支部书记或副书记在支部群或与我的私聊中登记。"
)


def record_not_a_recorder(who: str) -> str:
    return (
        f"抱歉，您绑定的身份是{who}，暂无登记权限。\n"
        "会议记录由本支部书记或副书记登记，请与他们联系。"
    )


def record_not_this_branch(branch_name: str) -> str:
    return (
        f"抱歉，只有{branch_name}的书记或副书记可以在本群登记会议。\n"
        "您暂无登记权限，请与本支部书记或副书记联系。"
    )


# Why a record was refused, one sentence each
def record_bad_kind(value: str, kinds: Iterable[str]) -> str:
    return (
        f"会议类型“{value}”无法识别。请写以下类型之一：{'、'.join(kinds)}；"
        "合并召开的写作“主题党日+党课”。"
    )


def record_no_such_day(value: str) -> str:
    return f"日期“{value}”不存在，请核对后更正。"


RECORD_MISSING_DATE = "请写明会议日期，例如2026-11-06。"


def record_bad_date(value: str) -> str:
    return f"日期“{value}”无法识别，请写作2026-11-06（也可写2026/11/6、2026.11.6或2026年11月6日）。"


def record_attended_over_expected(attended: str, expected: str) -> str:
    return f"实到人数（{attended}人）多于应到人数（{expected}人），请核对后更正。"


def record_negative_count(column: str, value: str) -> str:
    return f"{column}“{value}”不能是负数，请更正。"


def record_bad_count(column: str, value: str) -> str:
    """``column`` is 应到人数 or 实到人数; the example writes its first two characters."""
    return f"{column}“{value}”不是有效的人数，请写阿拉伯数字，例如“{column[:2]}12”。"


def record_unknown_org(value: str) -> str:
    return f"组织编码“{value}”不在登记册中，请联系管理员导入组织台账。"


def record_bad_cell(column: str, value: str) -> str:
    return f"“{column}”一栏的“{value}”有误，请核对后重试。"


RECORD_UNREADABLE = "这条记录无法读取，请按示例格式重新发送。"

# ------------------------------------------------------------------------------ /feed

FEED_ONLY_PRIVATE = (
    "为保护订阅链接，日历链接只在私聊中发送。请点开我的头像，在与我的私聊中发送 /feed。"
)
FEED_FAILED = "暂时无法生成订阅链接，请联系管理员检查服务器配置和党员台账。"


def feed_block(title: str, url: str, webcal: str) -> str:
    return f"{title}：\n{url}\n苹果日历、Outlook可直接打开：\n{webcal}"


def feed_reply(blocks: list[str]) -> str:
    intro = "您的日历订阅链接" + ("（本支部和您本人各一个）" if len(blocks) > 1 else "")
    return "\n\n".join(
        (
            f"{intro}：",
            *blocks,
            "在日历应用中选择“订阅日历/从URL添加”，粘贴上面的链接即可。"
            "链接相当于密码，请勿转发；如已外泄，请联系管理员运行 orglife feeds rotate 更换。",
        )
    )


# --------------------------------------------------------------------------- /summary

SUMMARY_MISSED = "未按期开展明细："


def summary_missed_line(subject: str, rule: str, period: str) -> str:
    return f"✗ {subject} {rule} {period}"


def summary_more_missed(count: int) -> str:
    return f"……等共 {count} 项，完整名单请运行 orglife report 查看。"
