"""The problem ledger (问题台账): items, their states and the rules that move them.

Pure: items and findings in, decisions out; the store (:mod:`monitor.ledger.store`) keeps them.
An item is opened by every final miss (source ``finding``) or by an inspector on site (source
``inspection``, e.g. "会议记录不规范"). It moves open → rectifying (the secretary records a
make-up session or a written explanation) → cleared (an inspector verifies), or to overdue when
its deadline passes unrectified. An inspector who finds a rectification wanting sends it back
(退回): rectifying → open, or overdue when its deadline has passed. A look-back (回头看)
reopens a cleared item when the same subject misses the same rule again within the next two
periods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from monitor.core.domain import Finding, Status
from monitor.core.errors import OrglifeError
from monitor.core.periods import Period

DEFAULT_DEADLINE_DAYS = 30


class LedgerStatus(StrEnum):
    OPEN = "open"
    RECTIFYING = "rectifying"
    CLEARED = "cleared"
    OVERDUE = "overdue"


class LedgerSource(StrEnum):
    FINDING = "finding"  # a final miss found by the evaluation
    INSPECTION = "inspection"  # found on site by an inspector (明察暗访)


STATUS_LABELS = {
    LedgerStatus.OPEN: "待整改",
    LedgerStatus.RECTIFYING: "整改中",
    LedgerStatus.CLEARED: "已销号",
    LedgerStatus.OVERDUE: "逾期未整改",
}


@dataclass(frozen=True, slots=True)
class LedgerItem:
    """One problem in the ledger."""

    id: int
    org: str  # the owner org: the subject's org (a leading cadre's branch for a cadre's miss)
    member: str | None  # the member for a member rule's miss, else None
    rule: str | None  # None for an inspection item that names no rule
    period: str | None  # the period label as `orglife check` prints it, e.g. "2026-Q3"
    source: LedgerSource
    issue: str  # what is wrong, in Chinese, e.g. "支部党员大会 2026年第三季度 未按期开展"
    opened: dt.date
    deadline: dt.date
    status: LedgerStatus
    rectification: str | None = None  # what the secretary did (补开会议 / 书面说明 …)
    cleared: dt.date | None = None
    reopened: int = 0  # how often a look-back reopened it

    @property
    def subject(self) -> str:
        """The member id for a member rule's miss, else the org code."""
        return self.member if self.member is not None else self.org


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """One change to an item, for the audit trail: who, when, what."""

    item: int
    at: dt.datetime
    actor: str  # a member id, an inspector's name, or "system" for the evaluation
    action: str  # opened, rectified, cleared, overdue, reopened, noted
    from_status: LedgerStatus | None
    to_status: LedgerStatus
    note: str | None = None


SOURCE_LABELS = {
    LedgerSource.FINDING: "系统监测",
    LedgerSource.INSPECTION: "明察暗访",
}

ACTION_LABELS = {
    "opened": "登记",
    "rectified": "整改",
    "cleared": "销号",
    "overdue": "逾期",
    "reopened": "重新打开",
    "noted": "备注",
    "returned": "退回",
}

LATE_RECORD = "已补录会议记录"  # the rectification a late record (补录) stands for
REVIEW_PERIODS = 2  # a look-back reopens an item missed again within this many periods

# Which statuses each change may start from.
RECTIFIABLE = frozenset({LedgerStatus.OPEN, LedgerStatus.OVERDUE, LedgerStatus.RECTIFYING})
CLEARABLE = frozenset({LedgerStatus.RECTIFYING})
RETURNABLE = frozenset({LedgerStatus.RECTIFYING})


class LedgerError(OrglifeError):
    """A ledger change that the item's state does not allow, or an item that does not exist."""


def issue_text(finding: Finding, rule_name: str) -> str:
    """What a final miss means, in Chinese: "支部党员大会 2026年第三季度 未按期开展"."""
    verb = "参加" if finding.member is not None else "开展"
    return f"{rule_name} {finding.period.label_zh} 未按期{verb}"


def deadline_for(opened: dt.date, days: int = DEFAULT_DEADLINE_DAYS) -> dt.date:
    return opened + dt.timedelta(days=days)


def _label(item: LedgerItem) -> str:
    return f"状态为“{STATUS_LABELS[item.status]}”"


def check_rectify(item: LedgerItem) -> None:
    """Refuse recording a rectification on an item already cleared."""
    if item.status not in RECTIFIABLE:
        raise LedgerError(
            f"问题#{item.id}{_label(item)}，已销号的问题不再登记整改；"
            "如问题再次出现，回头看（orglife ledger review）会重新打开它"
        )


def check_clear(item: LedgerItem) -> None:
    """Refuse clearing (销号) an item whose rectification was not recorded, or cleared already."""
    if item.status is LedgerStatus.CLEARED:
        raise LedgerError(f"问题#{item.id}已于{item.cleared}销号，无需重复销号")
    if item.status not in CLEARABLE:
        raise LedgerError(
            f"问题#{item.id}{_label(item)}，尚未登记整改情况，不能销号；"
            f"请先用 orglife ledger rectify {item.id} --note 整改情况 --by 姓名 登记整改"
        )


def check_send_back(item: LedgerItem) -> None:
    """Refuse sending back (退回) an item whose rectification is not awaiting verification."""
    if item.status not in RETURNABLE:
        raise LedgerError(
            f"问题#{item.id}{_label(item)}，只有“整改中”的问题可以退回；"
            "退回即整改情况未通过核实，须重新整改"
        )


def returned_status(item: LedgerItem, today: dt.date) -> LedgerStatus:
    """Where a sent-back item goes: open, or overdue when its deadline has passed."""
    return LedgerStatus.OVERDUE if item.deadline < today else LedgerStatus.OPEN


def following_periods(label: str, count: int = REVIEW_PERIODS) -> tuple[Period, ...]:
    """The ``count`` periods after the one labelled ``label``, of the same cadence."""
    period = Period.parse(label)
    following: list[Period] = []
    for _ in range(count):
        period = period.next()
        following.append(period)
    return tuple(following)


def review_start(items: Iterable[LedgerItem]) -> dt.date | None:
    """The first day a look-back must evaluate from: the start of the earliest period that can
    reopen one of ``items`` (cleared finding items), or None when none can be reopened."""
    starts = [
        following_periods(i.period, 1)[0].start
        for i in items
        if _reviewable(i) and i.period is not None
    ]
    return min(starts, default=None)


def _reviewable(item: LedgerItem) -> bool:
    return (
        item.status is LedgerStatus.CLEARED
        and item.source is LedgerSource.FINDING
        and item.rule is not None
        and item.period is not None
    )


def recurrences(
    items: Iterable[LedgerItem], findings: Iterable[Finding]
) -> list[tuple[LedgerItem, Finding]]:
    """The cleared finding items whose subject missed the same rule again within the next
    :data:`REVIEW_PERIODS` periods, each with the first such miss; in item order."""
    # One miss may recur for several items (those of the two periods before it).
    watched: dict[tuple[str, str | None, str, Period], list[LedgerItem]] = {}
    for item in items:
        if _reviewable(item):
            assert item.rule is not None
            assert item.period is not None
            for period in following_periods(item.period):
                watched.setdefault((item.org, item.member, item.rule, period), []).append(item)
    if not watched:
        return []
    orgs = {key[0] for key in watched}
    rules = {key[2] for key in watched}
    chosen: dict[int, LedgerItem] = {}
    first: dict[int, Finding] = {}
    for f in findings:
        if f.status is not Status.MISSED or f.org not in orgs or f.rule not in rules:
            continue
        for item in watched.get((f.org, f.member, f.rule, f.period), ()):
            if item.id not in first or f.period < first[item.id].period:
                chosen[item.id] = item
                first[item.id] = f
    return [(chosen[item_id], first[item_id]) for item_id in sorted(first)]
