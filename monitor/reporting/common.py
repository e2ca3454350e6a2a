"""Words and number formats the monthly report's renderers share."""

from __future__ import annotations

import datetime as dt

from monitor.core.periods import Period
from monitor.reporting.summary import MonthlySummary

SCOPE_NOTE = (
    "统计口径：本月到期的月度、两月、季度、半年和年度要求；应开展＝已落实＋未按期开展，"
    "进行中（尚在本期或补录宽限期内）和免于考核的事项不计入；支部落实率含所属党小组，"
    "党员领导干部双重组织生活计入总体情况、不计入所在支部。"
)


def pct(rate: float | None) -> str:
    """A rate as shown to people: 91.7%, or — when nothing was required."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def day_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def month_zh(month: Period, year: int | None = None) -> str:
    """2026年10月, or just 10月 when ``year`` is the month's year."""
    return f"{month.index}月" if year == month.year else month.label_zh


def title(summary: MonthlySummary) -> str:
    return f"{summary.org_name}{summary.month.label_zh}组织生活检查通报"


def weak_rule(summary: MonthlySummary) -> str:
    text = (
        f"按落实率排名后10%（向上取整：{len(summary.ranked)}个参与排名的支部取后"
        f"{summary.weak_cut}个；落实率相同的，未按期开展事项多、后补记录多的靠后），"
        "且本月有未按期开展事项的支部"
    )
    if summary.weak_tied:
        text += f"；另有{len(summary.weak_tied)}个支部与末位对象情况相同，未列入，可一并研判"
    return text


def late_rule(summary: MonthlySummary) -> str:
    return f"会后{summary.late_days}天以上、且在该期补录宽限期结束后才录入的会议记录"


def previous_rate(summary: MonthlySummary) -> float | None:
    return summary.trend[-2].figures.rate if len(summary.trend) > 1 else None
