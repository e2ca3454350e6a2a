"""Findings in a secretary's words: status names and the reason behind each verdict."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from monitor.core.domain import Finding, Org, Status
from monitor.core.periods import Period
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
    """The JSON shape of ``orglife check --format json`` (the first five keys are the contract).

    For the findings of a whole evaluation, one :class:`Explainer` derives each part once.
    """
    return Explainer(pack, orgs, as_of).json(finding)


# The reason depends on the finding through these only: (rule, period, status, whether the
# subject is a cadre, exemption, counted, seen, best ratio, the org's founding day if exempt).
_ReasonKey = tuple[str, Period, Status, bool, str | None, int, int, float | None, dt.date | None]

# finding_json's keys, in its order, that depend on the rule and period alone.
_PERIOD_KEYS = ("rule_name", "period_start", "period_end", "deadline", "grace_until")

_encode = json.JSONEncoder(ensure_ascii=False).encode
_STATUS_JSON = {
    s: f'"status": {_encode(s.value)}, "status_zh": {_encode(STATUS_ZH[s])}' for s in Status
}


class Explainer:
    """:func:`reason` and :func:`finding_json` for the findings of one evaluation, each part
    computed once where it can be.

    A province has ~700k findings but a few dozen (rule, period) pairs and a few thousand
    different sentences: their fields, reasons and JSON text are derived once and reused.
    """

    def __init__(self, pack: RulePack, orgs: Mapping[str, Org], as_of: dt.date) -> None:
        self._pack = pack
        self._orgs = orgs
        self._as_of = as_of
        self._periods: dict[tuple[str, Period], tuple[dict[str, str], str]] = {}
        # Per reason key: the reason, and the finding's JSON text around its org, member and
        # records (every other value is fixed by the key).
        self._reasons: dict[_ReasonKey, tuple[str, str, str]] = {}
        self._codes: dict[str, str] = {}

    def _period(self, rule_id: str, period: Period) -> tuple[dict[str, str], str]:
        """The rule's and period's fields of a finding, and the same as JSON members."""
        entry = self._periods.get((rule_id, period))
        if entry is not None:
            return entry
        rule = self._pack.rule(rule_id)
        deadline = rule.deadline(period)
        fields = {
            "rule": rule_id,
            "period": period.label,
            "rule_name": rule.name,
            "period_start": period.start.isoformat(),
            "period_end": period.end.isoformat(),
            "deadline": deadline.isoformat(),
            "grace_until": (deadline + dt.timedelta(days=self._pack.grace_for(rule))).isoformat(),
        }
        members = ", ".join(f"{_encode(k)}: {_encode(v)}" for k, v in fields.items())
        entry = self._periods[rule_id, period] = (fields, members)
        return entry

    def _reason(self, finding: Finding) -> tuple[str, str, str]:
        """:func:`reason` of the finding and the JSON text before and after its records, each
        derived once."""
        ev = finding.evidence
        org = None
        founded = None
        if finding.status is Status.EXEMPT:
            org = self._orgs.get(finding.org)
            founded = org.founded if org is not None else None
        key: _ReasonKey = (
            finding.rule,
            finding.period,
            finding.status,
            finding.member is None,
            finding.exemption,
            ev.counted,
            ev.seen,
            ev.best_ratio,
            founded,
        )
        entry = self._reasons.get(key)
        if entry is None:
            rule = self._pack.rule(finding.rule)
            text = reason(finding, rule, self._pack, org, self._as_of)
            members = self._period(finding.rule, finding.period)[1]
            ratio = ev.best_ratio
            best = "null" if ratio is None else repr(round(ratio, 4))
            head = (
                f"{members}, {_STATUS_JSON[finding.status]}, "
                f'"evidence": {{"counted": {ev.counted}, "seen": {ev.seen}, "records": ['
            )
            tail = f'], "best_attendance_ratio": {best}}}, "reason": {_encode(text)}}}'
            entry = self._reasons[key] = (text, head, tail)
        return entry

    def _code(self, code: str) -> str:
        encoded = self._codes.get(code)
        if encoded is None:
            encoded = self._codes[code] = _encode(code)
        return encoded

    def reason(self, finding: Finding) -> str:
        """:func:`reason` of the finding."""
        return self._reason(finding)[0]

    def json(self, finding: Finding) -> dict[str, Any]:
        """:func:`finding_json` of the finding."""
        fields = self._period(finding.rule, finding.period)[0]
        ev = finding.evidence
        ratio = ev.best_ratio
        return {
            "org": finding.org,
            "member": finding.member,
            "rule": finding.rule,
            "period": fields["period"],
            "status": finding.status.value,
            **{k: fields[k] for k in _PERIOD_KEYS},
            "status_zh": STATUS_ZH[finding.status],
            "evidence": {
                "counted": ev.counted,
                "seen": ev.seen,
                "records": list(ev.records),
                "best_attendance_ratio": None if ratio is None else round(ratio, 4),
            },
            "reason": self._reason(finding)[0],
        }

    def json_text(self, finding: Finding) -> str:
        """:meth:`json` as JSON text on one line, written without building the dict.

        The same keys and values (its key order differs): ints and floats print as the JSON
        encoder prints them (``repr``), strings go through the encoder once each.
        """
        _, head, tail = self._reason(finding)
        member = "null" if finding.member is None else self._code(finding.member)
        records = ", ".join(map(str, finding.evidence.records))
        return f'{{"org": {self._code(finding.org)}, "member": {member}, {head}{records}{tail}'
