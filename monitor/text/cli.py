"""Every line the `orglife` command line prints, grouped by command.

Commands pass plain values (names, codes, counts, dates) and print what these return; rich
markup escaping stays with the commands, since it belongs to the console, not the wording.
Click's help texts (English, for operators) stay with their options.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from monitor.text.messages import chat_label


def with_code(name: str, code: str) -> str:
    """An org or a member as tables and messages name it: 幸福社区党支部（JD01-01）."""
    return f"{name}（{code}）"


def tally(counts: Iterable[tuple[str, int]]) -> str:
    """Counts by label on one line: 待整改 3，整改中 1."""
    return "，".join(f"{label} {n}" for label, n in counts)


THE_ORG_ITSELF = "本组织"  # the subject column of an org's own findings (not a cadre's)

# --- orglife import ------------------------------------------------------------------------

REGISTER_ZH = {"orgs": "组织", "members": "党员", "meetings": "会议记录"}
IMPORTING_MEETINGS = "导入会议记录"  # the progress bar's description


def imported(
    *, kind: str, rows: int, inserted: int, updated: int, path: str, unchanged: int = 0
) -> str:
    """One register file stored; ``kind`` is orgs, members or meetings."""
    return (
        f"已导入{REGISTER_ZH[kind]} {rows} 条（新增 {inserted}，更新 {updated}，"
        f"未变 {unchanged}）：{path}"
    )


# --- orglife check -------------------------------------------------------------------------

CHECK_COLUMNS = ("组织", "对象", "规则", "各期情况", "落实")
MISSED_TITLE = "未按期开展明细"
MISSED_COLUMNS = ("组织", "对象", "规则", "周期", "说明")
WHOLE_YEAR = "全年"  # a yearly period's short label in the matrix


def no_orgs(*, db: str) -> str:
    """The register is empty: what to import first (``db`` without its password)."""
    return (
        "登记册中还没有组织：请先用 orglife import orgs/members/meetings FILE 导入台账"
        f"（数据库：{db}）"
    )


def check_title(*, since: dt.date, as_of: dt.date) -> str:
    return f"组织生活合规检查（{since:%Y-%m-%d} 至 {as_of:%Y-%m-%d}）"


def check_totals(*, findings: int, held: int, missed: int, in_progress: int, exempt: int) -> str:
    """The line under the matrix; the rate counts held and missed periods only."""
    due = held + missed
    rate = f"，落实率 {held / due:.1%}" if due else ""
    return (
        f"合计 {findings} 项：已落实 {held}，未按期开展 {missed}，"
        f"进行中 {in_progress}，免于考核 {exempt}{rate}"
    )


SUMMARY_COLUMNS = ("规则", "已落实", "未按期开展", "进行中", "免于考核", "落实率")


def rate(*, held: int, due: int) -> str:
    """落实率 in a table cell: held of due (held + missed), a dash when nothing was due."""
    return f"{held / due:.1%}" if due else "—"


def matrix_too_large(*, rows: int, limit: int) -> str:
    """Under the summary per rule that replaces a matrix of more than ``limit`` rows."""
    return (
        f"矩阵共 {rows} 行（对象×规则），超过 {limit} 行，以上按规则汇总；"
        "如需查看逐项矩阵，请用 --org 指定较小的范围（如一个支部或乡镇）。"
    )


# --- orglife rules check -------------------------------------------------------------------

RULES_COLUMNS = ("规则", "名称", "适用对象", "要求", "宽限", "来源", "所属规则包")


def rules_title(*, file: str, pack_title: str, rules: int) -> str:
    return f"{file}：{pack_title}（{rules} 条规则，校验通过）"


# --- orglife demo --------------------------------------------------------------------------


def demo_database(*, url: str) -> str:
    return f"演示数据库：{url}"


# --- orglife calendar, orglife feeds -------------------------------------------------------

FEED_ROTATED = "旧的订阅地址已作废，请把新地址发给订阅人。"
FEEDS_COLUMNS = ("对象", "链接（节选）", "创建时间（UTC）", "状态")
FEED_ACTIVE = "有效"


def feed_written(
    *,
    path: str,
    title: str,
    events: int,
    first: dt.date,
    last: dt.date,
    as_of: dt.date,
    changed: int,
) -> str:
    return (
        f"已写入 {path}：{title}，{events}个日程"
        f"（{first}至{last}，状态截至{as_of}；本次新增或变化{changed}个）"
    )


def how_to_subscribe(*, title: str) -> str:
    """Printed under a feed's https and webcal:// links, in that order."""
    return (
        f"{title}：在日历应用中“订阅日历/从URL添加”，粘贴第一行地址；"
        "苹果设备可直接打开第二行 webcal:// 链接。"
    )


def feed_revoked(*, code: str) -> str:
    return f"已作废 {code} 的订阅地址。"


def feed_nothing_to_revoke(*, code: str) -> str:
    return f"{code} 没有有效的订阅地址，无需作废。"


def feed_revoked_on(*, day: dt.date) -> str:
    """The status of a revoked link in `feeds list --all`."""
    return f"已作废（{day:%Y-%m-%d}）"


# --- orglife chats, orglife members link, orglife alerts run -------------------------------

NO_CHATS = "还没有绑定的群聊：用 orglife chats add 或 orglife chats code 绑定。"
NO_TELEGRAM_TOKEN = "未设置 ORGLIFE_TELEGRAM_TOKEN：消息输出到控制台，不发送到 Telegram。"
NOTICE_KIND_ZH = {
    "missed": "未按期",
    "late": "补录",
    "overdue": "台账逾期",
    "red": "红色预警",
    "repeat": "整改提醒",
    "reminder": "提醒",
    "summary": "月度通报",
    "report": "通报附件",
}


def chat_linked(*, chat_id: int, org_code: str, org_name: str, role: str) -> str:
    """``role`` is a chat role's value: branch or inspector."""
    return f"已绑定：群聊 {chat_id} → {org_code} {chat_label(org_name, role)}"


def robot_linked(
    *, id: int, platform: str, where: str, org_code: str, org_name: str, role: str, signed: bool
) -> str:
    """A group robot linked: ``platform`` as users name it, ``where`` the redacted webhook."""
    signing = "已配置加签密钥" if signed else "未配置加签密钥"
    return (
        f"已绑定：{platform}群机器人 {where}（{signing}）→ {org_code} "
        f"{chat_label(org_name, role)}，编号 {id}。可用 orglife chats test {id} 发送一条测试消息。"
    )


CHAT_NEEDS_ID = "绑定 Telegram 群聊需要 --chat（群聊编号，群组为负数）。"
ROBOT_NEEDS_WEBHOOK = (
    "绑定{platform}群机器人需要 --webhook（机器人设置中复制的完整 webhook 地址）。"
)
ROBOT_NO_CHAT_ID = "--chat 只用于 Telegram；{platform}群机器人用 --webhook 绑定。"
TELEGRAM_NO_WEBHOOK = (
    "--webhook 和 --secret 只用于群机器人，请同时指定 --channel wecom、dingtalk 或 feishu。"
)


def bad_webhook(*, platform: str, where: str, expected: str) -> str:
    """A webhook URL that is not one of the platform's (``where`` is redacted)."""
    return (
        f"webhook 地址“{where}”不像{platform}群机器人的地址：应为 {expected}。"
        "请在群机器人设置中复制完整地址。"
    )


def no_such_chat(chat: int) -> str:
    return f"没有编号为 {chat} 的群聊，请用 orglife chats list 查看编号。"


def chat_test_text(*, org_code: str, org_name: str, role: str) -> str:
    """The test message `orglife chats test` sends (its first line is the title)."""
    return (
        "【组织生活提醒】测试消息\n"
        f"本群已绑定为 {org_code} {chat_label(org_name, role)}，今后的组织生活提醒将发到这里。"
    )


def chat_test_sent(*, platform: str, answer: str) -> str:
    return f"测试消息已发送（{platform}）。平台应答：{answer}"


def chat_test_failed(*, platform: str, answer: str | None, reason: str) -> str:
    said = f"平台应答：{answer}；" if answer else ""
    return f"测试消息未能发送（{platform}）。{said}{reason}"


def chat_test_disabled(reason: str | None) -> str:
    return (
        f"注意：该群聊已停用（{reason or '原因未知'}），"
        "修正后用 orglife chats add 重新绑定即可恢复。"
    )


def link_chat_hint(*, org_name: str, role: str, code: str) -> str:
    """How to use a chat's one-time link code (printed on stderr, the code on stdout)."""
    return (
        f"请在要绑定为“{chat_label(org_name, role)}”的群里发送：/link {code}"
        "（10分钟内有效，仅可使用一次）"
    )


def link_member_hint(*, code: str) -> str:
    return f"请该党员在与机器人的私聊中发送：/link {code}（10分钟内有效，仅可使用一次）"


def summary_not_due(*, day: dt.date) -> str:
    return f"{day} 早于本月第一个工作日，上月通报尚未到发送时间。"


def alerts_cycle(
    *, as_of: dt.date, findings: int, missed: int, enqueued: Iterable[tuple[str, int]]
) -> str:
    """One evaluation's result; ``enqueued`` pairs a notice kind's value with its count."""
    counts = list(enqueued)
    by_kind = tally((NOTICE_KIND_ZH[kind], n) for kind, n in counts)
    return (
        f"评估截至 {as_of}：{findings} 项结论，其中未按期 {missed} 项；"
        f"新入队通知 {sum(n for _, n in counts)} 条（{by_kind}）"
    )


def dispatched(*, report: str) -> str:
    """``report`` is the dispatcher's own one-line account of what it sent."""
    return f"发送结果：{report}"


# --- orglife report ------------------------------------------------------------------------

XLSX_NEEDS_OUTPUT = "xlsx 格式须用 -o 指定输出文件，例如 -o 通报.xlsx"


def needs_output(*, fmt: str) -> str:
    """A workbook or a document goes to a file, not to the terminal."""
    return f"{fmt} 格式须用 -o 指定输出文件，例如 -o 通报.{fmt}"


def report_written(*, org_name: str, month: str, fmt: str, path: str) -> str:
    """``month`` is the month's Chinese label, e.g. 2026年10月."""
    return f"已生成{org_name}{month}检查通报（{fmt}）：{path}"


# --- orglife ledger ------------------------------------------------------------------------

LEDGER_COLUMNS = (
    "编号",
    "责任组织",
    "对象",
    "事项",
    "周期",
    "来源",
    "发现日期",
    "整改期限",
    "状态",
    "预警",
    "整改情况",
)
HISTORY_COLUMNS = ("时间", "操作人", "操作", "状态变化", "说明")


def ledger_title(*, items: int) -> str:
    return f"问题台账（{items} 项）"


def reopened_times(*, times: int) -> str:
    """Appended to an item's status once it has been reopened; empty before."""
    return f"（重新打开{times}次）" if times else ""


def problem_added(
    *, item_id: int, org_name: str, org_code: str, issue: str, deadline: dt.date
) -> str:
    return f"已登记问题#{item_id}：{with_code(org_name, org_code)}· {issue}，整改期限 {deadline}"


def problem_rectified(*, item_id: int, status: str, note: str | None) -> str:
    return f"问题#{item_id} 已记录整改，状态：{status}（{note}）"


def problem_cleared(*, item_id: int, cleared: dt.date | None, issue: str) -> str:
    return f"问题#{item_id} 已销号（{cleared}）：{issue}"


def problem_returned(*, item_id: int, status: str, note: str) -> str:
    return f"问题#{item_id}已退回，状态：{status}（{note}）"


def problem_reopened(
    *,
    item_id: int,
    org_name: str,
    org_code: str,
    subject: str,
    issue: str,
    why: str | None,
    deadline: dt.date,
) -> str:
    """One item a look-back reopened; ``why`` is the reopening's note (the period missed)."""
    return (
        f"问题#{item_id} 重新打开：{with_code(org_name, org_code)}· {subject}"
        f" · {issue}；{why}；新整改期限 {deadline}"
    )


def review_nothing_to_do(*, as_of: dt.date, cleared: int) -> str:
    return f"回头看（截至 {as_of}）：没有可复查的已销号问题（共 {cleared} 项已销号）。"


def review_done(*, as_of: dt.date, cleared: int, reopened: int) -> str:
    return f"回头看（截至 {as_of}）：复查已销号问题 {cleared} 项，重新打开 {reopened} 项。"


def history_title(*, item_id: int, org_name: str, issue: str, status: str) -> str:
    return f"问题#{item_id} {org_name} · {issue}（{status}）"


def ledger_exported(*, items: int, events: int, path: str) -> str:
    return f"已导出问题 {items} 项、整改记录 {events} 条：{path}"


# --- orglife exemptions ---------------------------------------------------------------------

EXEMPTION_COLUMNS = ("编号", "组织", "规则", "期间", "原因", "批准人", "批准时间", "状态")
EXEMPTION_ACTIVE = "有效"
EXEMPTION_REVOKED = "已撤销"


def exemption_added(*, exemption_id: int) -> str:
    """The new exemption's id, alone on its line so scripts can read it."""
    return str(exemption_id)


def exemption_revoked(*, exemption_id: int, org: str, rule: str, period: str) -> str:
    return f"已撤销免于考核 #{exemption_id}（{org} · {rule} · {period}），该期重新按记录考核"


def no_exemptions() -> str:
    return "没有免于考核记录"


def exemption_needs(*, what: str) -> str:
    return f"请填写{what}"


def exemption_too_long(*, what: str, limit: int) -> str:
    return f"{what}过长：最多 {limit} 个字"


def exemption_control_chars(*, what: str) -> str:
    return f"{what}含有控制字符，请删去后重试"


def exemption_bad_period(*, period: str) -> str:
    return f"期间“{period}”无法识别：请写成 2026（年度）、2026-H2、2026-Q3、2026-B5 或 2026-09"


def exemption_wrong_cadence(*, period: str, rule: str, cadence: str) -> str:
    return f"规则 {rule} 按{cadence}考核，期间“{period}”与之不符"


def exemption_needs_member(*, rule: str) -> str:
    return f"规则 {rule} 考核的是党员领导干部本人，请用 --member 指明是哪一位"


def exemption_exists(*, id: int) -> str:
    return f"该组织这一期间已有有效的免于考核（#{id}），无需重复批准"


def exemption_unknown(*, id: int) -> str:
    return f"没有编号为 {id} 的免于考核记录：可用 orglife exemptions list 查看"


def exemption_already_revoked(*, id: int) -> str:
    return f"免于考核 #{id} 已经撤销过了"


def unknown_rule(*, rule: str, known: Iterable[str]) -> str:
    return f"没有编号为 {rule} 的规则；现行规则：{'、'.join(known)}"


# --- orglife registers begin ----------------------------------------------------------------


def _day_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def registers_begin_set(*, day: dt.date) -> str:
    return f"登记册起始日已设为 {day.isoformat()}：{_day_zh(day)}之前结束的期间不再考核"


def registers_begin_explicit(*, day: dt.date) -> str:
    return f"登记册起始日：{day.isoformat()}（已设定）；此前结束的期间不考核"


def registers_begin_default(*, day: dt.date) -> str:
    return (
        f"登记册起始日：{day.isoformat()}（按最早一条记录所在月份推定；"
        "可用 orglife registers begin YYYY-MM-DD 设定）"
    )


def registers_begin_none() -> str:
    return "登记册中还没有会议记录，也未设定起始日：所有期间照常考核"


# --- for_period (所属期间) at import ----------------------------------------------------------


def for_period_unknown(*, label: str) -> str:
    return f"所属期间“{label}”无法识别：请写成 2025（年度）、2025-H2、2025-Q4、2025-B6 或 2025-12"


def for_period_not_started(*, label: str, start: dt.date) -> str:
    return (
        f"会议日期早于所属期间{label}的开始（{_day_zh(start)}）：所属期间只能是会议当期或此前的期间"
    )


def for_period_window(*, label: str, first: dt.date, last: dt.date, rule: str) -> str:
    """The record was held after the make-up window of the period it says it is for."""
    same_year = first.year == last.year
    until = f"{last.month}月{last.day}日" if same_year else _day_zh(last)
    return f"所属期间{label}的补开窗口为{_day_zh(first)}至{until}（{rule}），会议日期不在窗口内"


def for_period_no_window(*, label: str, start: dt.date, end: dt.date, rule: str) -> str:
    """The rule allows no make-up window: the record must be held within its period."""
    return (
        f"{rule}不设补开期：计入{label}的会议须在{_day_zh(start)}至{_day_zh(end)}之间召开，"
        "会议日期不在其内"
    )


def registers_begin_bad_date(*, value: str) -> str:
    return f"“{value}”不是日期：请写成 YYYY-MM-DD，例如 2026-01-01"


def exemption_wrong_subject(*, rule: str, subject: str) -> str:
    return f"规则 {rule} 只考核{subject}，该组织不在其列"


# --- orglife import (office files), orglife template ---------------------------------------


def title_rows_skipped(*, titles: Sequence[str]) -> str:
    """The rows above a register's header that an import skipped (a title, a note)."""
    shown = "、".join(f"“{t[:40]}{'…' if len(t) > 40 else ''}”" for t in titles[:3])
    more = f"等 {len(titles)} 行" if len(titles) > 3 else ""
    return f"已跳过表头上方的标题行：{shown}{more}"


TEMPLATE_REGISTER_ZH = {"orgs": "组织", "members": "党员", "meetings": "会议记录"}


def template_written(*, kind: str, path: str) -> str:
    return (
        f"已生成{TEMPLATE_REGISTER_ZH[kind]}台账模板：{path}（填好后用 orglife import {kind} 导入）"
    )


# --- orglife import meetings: possible duplicates, --historical -----------------------------

POSSIBLE_DUPLICATES_SHOWN = 20  # lines named one by one; the rest are counted


def possible_duplicate(*, line: int, record_id: int) -> str:
    """A new row whose org already has a record of its kind in the same month."""
    return f"第{line}行可能与记录 #{record_id} 重复；更正请用 orglife meetings edit"


def more_possible_duplicates(*, more: int) -> str:
    return f"另有 {more} 行可能与已有记录重复（用 orglife meetings list 查看）"


def historical_import(*, inserted: int) -> str:
    """After an import with --historical: the file's entry dates were kept for new records."""
    return (
        f"按历史台账导入：{inserted} 条新记录采用文件中的录入日期（空白按会议日期），已记入操作记录"
    )


# --- orglife meetings ----------------------------------------------------------------------

RECORDS_COLUMNS = ("编号", "组织", "类型", "日期", "应到", "实到", "主题", "录入日期", "状态")
RECORD_HISTORY_COLUMNS = ("时间（UTC）", "操作人", "操作", "修改内容", "原因")
RECORD_DELETED = "已删除"
RECORD_LIVE = "有效"
HISTORY_ACTION_ZH = {
    "created": "录入",
    "edited": "修改",
    "deleted": "删除",
    "restored": "恢复",
}


def record_source(*, record_id: int) -> str:
    """How errors about an edited record name it (in place of a file)."""
    return f"记录 #{record_id}"


def no_such_record(*, record_id: int) -> str:
    return f"没有编号为 #{record_id} 的会议记录；用 orglife meetings list 查看记录编号"


def record_is_deleted(*, record_id: int) -> str:
    return f"记录 #{record_id} 已删除，不能修改；如需修改请先用 orglife meetings restore 恢复"


def record_already_deleted(*, record_id: int) -> str:
    return f"记录 #{record_id} 已经删除过了"


def record_not_deleted(*, record_id: int) -> str:
    return f"记录 #{record_id} 未被删除，无需恢复"


def record_clash(*, record_id: int, other: int) -> str:
    return (
        f"修改后记录 #{record_id} 与记录 #{other} 的组织、日期、类型、主题和授课人完全相同；"
        f"如果两条是同一次会议，请删除其中一条"
    )


def record_edited(*, record_id: int, fields: Iterable[str]) -> str:
    changed = "、".join(fields)
    return f"已修改记录 #{record_id}（{changed}）" if changed else f"记录 #{record_id} 没有变化"


def record_deleted(*, record_id: int) -> str:
    return f"已删除记录 #{record_id}（不再计入检查，操作记录保留）"


def record_restored(*, record_id: int) -> str:
    return f"已恢复记录 #{record_id}"


def records_title(*, records: int) -> str:
    return f"会议记录（{records} 条）"


REASON_REQUIRED = "请用 --reason 说明修改或删除的原因"


def bad_period_label() -> str:
    return "不是期间：请写 2025、2025-H2、2025-Q4、2025-12 或 2025-B6"


def period_after_meeting(*, period: str, day: dt.date) -> str:
    return f"所属期间{period}晚于会议日期 {day}：记录只能计入会议当期或之前的期间"


# --- click's usage errors ----------------------------------------------------------------------

ABORTED = "已取消。"
PARAMETER_KINDS = {"option": "选项", "argument": "参数", "parameter": "参数"}


def missing_parameter(*, what: str, name: str) -> str:
    return f"缺少{what} {name}"


def bad_value(*, name: str, problem: str) -> str:
    return f"{name} 的值无效：{problem}"


def no_such_option(*, name: str, alternatives: list[str]) -> str:
    hint = f"（是否想用 {'、'.join(alternatives)}？）" if alternatives else ""
    return f"没有选项 {name}{hint}"


def option_needs_value(*, name: str) -> str:
    return f"选项 {name} 后面需要写一个值"


def no_such_command(*, name: str) -> str:
    return f"没有“{name}”这个命令"


def not_a_choice(*, value: str, choices: str) -> str:
    return f"“{value}”不是可选的值，可选：{choices}"


def out_of_range(*, value: str, bounds: str) -> str:
    return f"{value} 超出允许范围（{bounds}）"


def not_a_number(*, value: str) -> str:
    return f"“{value}”不是数字"


def path_missing(*, value: str) -> str:
    return f"找不到“{value}”"
