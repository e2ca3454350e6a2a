"""The monthly summary as one Telegram message: Markdown that reads well as plain text.

Channels send text without a parse mode, so the message uses no emphasis markers: numbered
section titles, ``- `` list lines and a bare link, which Telegram makes clickable. It always
fits one message (4096 UTF-16 code units): long name lists are cut short ("等N个").
"""

from __future__ import annotations

from monitor.core.domain import Status
from monitor.reporting.common import day_zh, month_zh, pct, previous_rate, title
from monitor.reporting.summary import BranchFigures, MonthlySummary

TELEGRAM_LIMIT = 4096
WEAKEST_SHOWN = 5
WEAK_NAMES_SHOWN = 10


def message_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def render_md(summary: MonthlySummary, url: str | None = None) -> str:
    """The headline figures, the weakest branches, late entries, the ledger and the trend."""
    for shown, names, name_chars in ((WEAKEST_SHOWN, WEAK_NAMES_SHOWN, 40), (3, 3, 16)):
        text = _message(summary, url, shown, names, name_chars)
        if message_length(text) <= TELEGRAM_LIMIT:
            return text
    # Only an absurdly long org name or URL gets here: cut the text, keep the link.
    tail = f"\n完整通报：{url}" if url else ""
    room = TELEGRAM_LIMIT - message_length(tail) - 1
    head = text[:room]
    while message_length(head) > room:
        head = head[:-1]
    return head + "…" + tail


def _name(branch: BranchFigures, chars: int) -> str:
    name = branch.name
    return name if len(name) <= chars else name[: chars - 1] + "…"


def _message(
    summary: MonthlySummary, url: str | None, shown: int, names: int, name_chars: int
) -> str:
    t = summary.totals
    lines = [
        title(summary),
        f"统计截至{day_zh(summary.as_of)}，含本月到期的各项组织生活要求。",
        "",
        "一、总体情况",
    ]
    previous = previous_rate(summary)
    compare = f"（上月{pct(previous)}）" if previous is not None else ""
    if t.required:
        lines.append(
            f"- 应开展{t.required}项，已落实{t.held}项，未按期开展{t.missed}项，"
            f"落实率{pct(t.rate)}{compare}"
        )
    else:
        lines.append("- 本月到期事项尚无可考核的结果")
    extra = []
    if t.open:
        extra.append(f"进行中{t.open}项")
    if t.exempt:
        extra.append(f"免于考核{t.exempt}项")
    if extra:
        lines.append(f"- {'，'.join(extra)}（不计入应开展）")
    # Sent on the month's first workday, a summary often precedes the grace of the month's
    # periods: say which results are still pending rather than let the rate look complete.
    pending = [r for r in summary.rows if r.status is Status.OPEN and r.period.end < summary.as_of]
    if pending:
        lines.append(
            f"- 其中{len(pending)}项期次已结束、尚在补录宽限期内，"
            "宽限期满仍未补录的将计为未按期开展"
        )
    c = summary.cadres
    if c.required or c.open:
        lines.append(
            f"- 党员领导干部双重组织生活：应参加{c.required}人次，未参加{c.missed}人次"
            + (f"，进行中{c.open}人次" if c.open else "")
        )

    lines += ["", "二、落实率较低的支部"]
    weakest = summary.weakest[:shown]
    if weakest:
        for i, b in enumerate(weakest, 1):
            lines.append(
                f"{i}. {_name(b, name_chars)} {pct(b.figures.rate)}"
                f"（未按期开展{b.figures.missed}项）"
            )
    else:
        lines.append("- 各支部本月到期事项均已落实")
    if summary.weak:
        listed = "、".join(_name(b, name_chars) for b in summary.weak[:names])
        more = f"等{len(summary.weak)}个" if len(summary.weak) > names else ""
        lines.append(f"- 软弱涣散排查对象（排名后10%，共{len(summary.weak)}个）：{listed}{more}")
        if summary.weak_tied:
            lines.append(f"- 另有{len(summary.weak_tied)}个支部与末位对象情况相同，可一并研判")

    lines += ["", "三、后补记录"]
    late = summary.late_entries
    if late:
        lines.append(
            f"- 会后{summary.late_days}天以上且宽限期结束后才录入的记录{len(late)}条，"
            f"{summary.late_rows}项事项全靠后补记录才算落实"
        )
    else:
        lines.append("- 无")

    ledger = summary.ledger
    lines += [
        "",
        "四、问题台账",
        f"- 本月新增{ledger.opened}条，销号{ledger.cleared}条；在账{ledger.outstanding}条，"
        f"其中逾期未整改{ledger.overdue}条；累计销号率{pct(ledger.clearance_rate)}",
    ]

    lines += ["", f"五、近{len(summary.trend)}个月落实率"]
    year = summary.month.year
    lines.append(
        "- " + "｜".join(f"{month_zh(p.month, year)} {pct(p.figures.rate)}" for p in summary.trend)
    )
    if url:
        lines += ["", f"完整通报：{url}"]
    return "\n".join(lines)
