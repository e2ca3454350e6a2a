"""Findings in a secretary's words: status names and the reason behind each verdict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from monitor.core.domain import Finding, Org, Status
from monitor.core.rules import Rule, RulePack

STATUS_ZH = {
    Status.HELD: "已落实",
    Status.MISSED: "未按期开展",
    Status.OPEN: "进行中",
    Status.EXEMPT: "免于考核",
    Status.NOT_APPLICABLE: "不适用",
}


def _fmt(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def reason(finding: Finding, rule: Rule, pack: RulePack, org: Org | None, as_of: dt.date) -> str:
    """Why the finding has its status on ``as_of``, in one Chinese sentence."""
    ev = finding.evidence
    period = finding.period
    kinds = "或".join(pack.catalog.names.get(k, k) for k in rule.kinds)
    if finding.status is Status.EXEMPT and finding.exemption is not None:
        return f"经批准免于考核：{finding.exemption}"
    if finding.status is Status.EXEMPT:
        founded = org.founded if org is not None else None
        since = f"成立于{_fmt(founded)}，" if founded else ""
        held = f"（本期已开展{ev.counted}次）" if ev.counted else ""
        return f"组织{since}晚于{period.label_zh}开始，本期免于考核{held}"
    if finding.status is Status.HELD and finding.member is not None:
        return f"以普通党员身份参加所在支部或党小组的组织生活{ev.counted}次"
    if finding.status is Status.HELD:
        text = f"已开展{ev.counted}次{kinds}"
        if rule.min_attendance is not None and ev.best_ratio is not None:
            text += f"，最高出席率{ev.best_ratio:.0%}"
        return text
    shortfall = _shortfall(finding, rule, kinds)
    if finding.status is Status.OPEN:
        if as_of <= period.end:
            return f"{shortfall}；本期截止{_fmt(period.end)}"
        deadline = rule.deadline(period)
        if as_of <= deadline:
            return f"{shortfall}；补开期至{_fmt(deadline)}（须注明所属期间{period.label}）"
        grace_end = deadline + dt.timedelta(days=pack.grace_for(rule))
        return f"{shortfall}；补录宽限期至{_fmt(grace_end)}"
    return shortfall


def _shortfall(finding: Finding, rule: Rule, kinds: str) -> str:
    ev = finding.evidence
    if finding.member is not None:
        if ev.counted:
            return f"参加{ev.counted}次，要求{rule.count}次"
        return f"{finding.period.label_zh}未以普通党员身份参加所在支部或党小组的组织生活"
    if ev.seen > ev.counted:
        if rule.min_attendance is not None:
            best = (
                f"（最高出席率{ev.best_ratio:.0%}）"
                if ev.best_ratio is not None
                else "（未记录应到或实到人数）"
            )
            return (
                f"有{ev.seen}次{kinds}记录，但出席人数未达应到人数的{rule.min_attendance:.0%}{best}"
            )
        if rule.lecturer == "secretary":
            return f"有{ev.seen}次{kinds}记录，但均非支部书记讲授"
    if ev.counted:
        return f"已开展{ev.counted}次{kinds}，要求至少{rule.count}次"
    if finding.status is Status.MISSED:
        return f"{finding.period.label_zh}未开展{kinds}"
    return f"{finding.period.label_zh}尚无{kinds}记录"


def finding_json(
    finding: Finding, pack: RulePack, orgs: Mapping[str, Org], as_of: dt.date
) -> dict[str, Any]:
    """The JSON shape of ``orglife check --format json`` (the first five keys are the contract)."""
    rule = pack.rule(finding.rule)
    ev = finding.evidence
    return {
        "org": finding.org,
        "member": finding.member,
        "rule": finding.rule,
        "period": finding.period.label,
        "status": finding.status.value,
        "rule_name": rule.name,
        "period_start": finding.period.start.isoformat(),
        "period_end": finding.period.end.isoformat(),
        "deadline": rule.deadline(finding.period).isoformat(),
        "grace_until": (
            rule.deadline(finding.period) + dt.timedelta(days=pack.grace_for(rule))
        ).isoformat(),
        "status_zh": STATUS_ZH[finding.status],
        "evidence": {
            "counted": ev.counted,
            "seen": ev.seen,
            "records": list(ev.records),
            "best_attendance_ratio": None if ev.best_ratio is None else round(ev.best_ratio, 4),
        },
        "reason": reason(finding, rule, pack, orgs.get(finding.org), as_of),
    }
