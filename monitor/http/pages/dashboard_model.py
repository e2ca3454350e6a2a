"""The inspector's dashboard as a view-model: headline figures, the heat map, the trend and the
ranking of an org's subtree, computed from one evaluation (:func:`monitor.check.run_check`) and
the monthly summary's own definitions (:func:`monitor.reporting.summary.summarise`).

Decisions, in one place:

* **Months**: the current month (as of today) and the last one. Their figures are the monthly
  summary's: the findings whose period ends in the month; 落实率 = held / (held + missed).
* **Heat map**: columns are the rules binding a branch or a party group, each over its periods
  that overlap the six trend months up to today's period. A branch's cell combines the branch's
  and its groups' findings, worst first: 未按期开展, 进行中, 后补 (held only through records
  entered late), 已落实, 免于考核. With at most :data:`BRANCH_ROWS_MAX` branches in the subtree
  each branch is a row; above that each child org is a row and its cell counts its branches'
  cells (how many missed, of how many), and drills down instead of opening evidence.
* **Ranking and weak-and-lax candidates** are the last month's summary's (a complete month):
  branches worst first; with child rows, the children by their branches' summed figures.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from monitor.check import Check
from monitor.core.domain import Finding, Meeting, Org, OrgType, Status
from monitor.core.explain import STATUS_ZH, reason
from monitor.core.periods import Cadence, Period, month_index
from monitor.core.rules import RulePack, Subject
from monitor.http.pages.common import ORG_TYPE_ZH, org_url
from monitor.reporting.summary import (
    BranchFigures,
    Figures,
    MonthlySummary,
    RecordDates,
    is_late,
    record_months,
    since_for,
    trend_months,
)

BRANCH_ROWS_MAX = 200  # above this many branches the heat map's rows are the child orgs
TREND_MONTHS = 6
RANKING_MAX = 50  # rows of the ranking shown (the worst)
WEAK_MAX = 50  # weak-and-lax candidates named (the worst); the monthly summary lists them all
TIED_MAX = 20  # branches tied with the last candidate named
# A child's missed cell is shaded by the share of its branches that missed: up to 5%, up to
# 15%, more. Nearly every city has a miss somewhere each month: the share tells them apart.
MISSED_SHARES = (0.05, 0.15)

# A cell's states, best first; a branch's cell takes the worst of its subjects' findings.
STATES = ("exempt", "held", "late", "open", "missed")
STATE_ZH = {
    "held": STATUS_ZH[Status.HELD],
    "missed": STATUS_ZH[Status.MISSED],
    "open": STATUS_ZH[Status.OPEN],
    "exempt": STATUS_ZH[Status.EXEMPT],
    "late": "已落实（后补记录）",
    "none": "无检查结果",
}
MARK = {"held": "落", "missed": "缺", "open": "进", "exempt": "免", "late": "补", "none": ""}
_RANK = {state: i for i, state in enumerate(STATES)}
_STATE_OF = {
    Status.HELD: "held",
    Status.MISSED: "missed",
    Status.OPEN: "open",
    Status.EXEMPT: "exempt",
}
_HEAT_SUBJECTS = (Subject.BRANCH, Subject.GROUP)


def percent(rate: float | None) -> str:
    """A rate as 91.2%; a dash when nothing was required."""
    return "—" if rate is None else f"{rate:.1%}"


@dataclass(frozen=True, slots=True)
class Headline:
    """One month's figures (the monthly summary's)."""

    label: str  # 2026年11月
    figures: Figures
    late_entries: int  # 后补记录: records entered late that counted for the month

    @property
    def rate(self) -> str:
        return percent(self.figures.rate)


@dataclass(frozen=True, slots=True)
class Column:
    """One (rule, period) of the heat map."""

    rule: str
    period: Period
    label: str  # short: 10月, 三季度, 2026年
    title: str  # 主题党日 2026年10月


@dataclass(frozen=True, slots=True)
class RuleHead:
    """A rule's header over its periods' columns."""

    name: str
    span: int


@dataclass(frozen=True, slots=True)
class Cell:
    state: str  # one of STATES, or "none"
    label: str  # the status in Chinese (or "3个未按期开展" for a child's cell)
    mark: str  # what the cell shows
    title: str  # the tooltip: rule, period, status
    href: str | None  # the evidence (a branch) or the child's dashboard
    level: int = 0  # a child's missed cell: 1-3 by the share of its branches that missed


@dataclass(frozen=True, slots=True)
class HeatRow:
    code: str
    name: str
    url: str
    note: str  # the parent's name for a branch row; "12个党支部" for a child row
    note_url: str | None  # the parent's dashboard
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Child:
    """A child org above branches (党委, 党总支): where the drill-down goes next."""

    name: str
    type_zh: str
    url: str
    branches: int


@dataclass(frozen=True, slots=True)
class TrendPoint:
    label: str  # 6月
    held: int
    missed: int
    rate: str
    bar: int  # the bar's height in the chart's units (0-100)
    y: int  # the bar's top in the chart's units


@dataclass(frozen=True, slots=True)
class Ranked:
    """A row of the ranking: a branch (with its rank) or a child org (summed)."""

    code: str
    name: str
    url: str
    note: str
    rate: str
    required: int
    missed: int
    late_entries: int
    rank: int | None
    weak: bool


@dataclass(frozen=True, slots=True)
class Weak:
    code: str
    name: str
    url: str
    parent: str
    rate: str
    missed: int
    late_entries: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What ``/dashboard/{code}`` shows (the same for every caller whose scope holds ``code``)."""

    code: str
    name: str
    type_zh: str
    as_of: dt.date
    current: Headline
    last: Headline
    branches: int  # branches in the subtree
    children: tuple[Child, ...]  # the child orgs above branches
    by_branch: bool  # heat map rows are branches (else the child orgs)
    heads: tuple[RuleHead, ...]
    columns: tuple[Column, ...]
    rows: tuple[HeatRow, ...]
    trend: tuple[TrendPoint, ...]
    ranking_month: str
    ranking: tuple[Ranked, ...]
    ranked_total: int
    weak: tuple[Weak, ...]  # the first WEAK_MAX, worst first
    weak_total: int
    weak_tied: tuple[Weak, ...]  # the first TIED_MAX
    weak_tied_total: int
    weak_cut: int
    codes: tuple[str, ...]  # the subtree's orgs (for the ledger's counts, read per request)


# --- windows --------------------------------------------------------------------------


def months_of(today: dt.date) -> tuple[Period, Period]:
    """(the current month, the last month)."""
    current = Period.containing(Cadence.MONTH, today)
    return current, current.previous()


def window_since(pack: RulePack, today: dt.date) -> dt.date:
    """The first day the evaluation covers: every period ending in the trend months or the last
    month, and the heat map's periods."""
    current, last = months_of(today)
    return min(since_for(pack, current, TREND_MONTHS), since_for(pack, last, 1))


def late_months(pack: RulePack, today: dt.date) -> range:
    """The month indexes whose records can count for a period the dashboard shows."""
    current, _ = months_of(today)
    firsts = [record_months(pack, m).start for m in trend_months(current, TREND_MONTHS)]
    return range(min(firsts), month_index(current.start) + 1)


def columns_for(pack: RulePack, today: dt.date) -> tuple[tuple[RuleHead, ...], tuple[Column, ...]]:
    """The heat map's columns: each branch or group rule over its periods overlapping the trend
    months, up to today's period."""
    current, _ = months_of(today)
    first = trend_months(current, TREND_MONTHS)[0].start
    heads: list[RuleHead] = []
    columns: list[Column] = []
    for rule in pack.rules:
        if not rule.enabled or rule.applies_to not in _HEAT_SUBJECTS:
            continue
        period = Period.containing(rule.period, first)
        last = Period.containing(rule.period, today)
        mine = []
        while period <= last:
            mine.append(
                Column(rule.id, period, short_label(period), f"{rule.name} {period.label_zh}")
            )
            period = period.next()
        heads.append(RuleHead(rule.name, len(mine)))
        columns += mine
    return tuple(heads), tuple(columns)


def short_label(period: Period) -> str:
    """A column's label: 10月, 三季度, 上半年, 9—10月, 2026年."""
    zh = period.label_zh
    if period.cadence is Cadence.YEAR:
        return zh
    return zh.removeprefix(f"{period.year}年").removeprefix("第")


# --- the view-model -------------------------------------------------------------------


def branch_of(orgs: Mapping[str, Org]) -> dict[str, str]:
    """The branch each branch or party group counts towards (as the monthly summary counts)."""
    found: dict[str, str] = {}
    for code, org in orgs.items():
        if org.type is OrgType.BRANCH:
            found[code] = code
        elif org.type is OrgType.GROUP and org.parent is not None:
            parent = orgs.get(org.parent)
            if parent is not None and parent.type is OrgType.BRANCH:
                found[code] = parent.code
    return found


def child_of(code: str, orgs: Mapping[str, Org], codes: Iterable[str]) -> dict[str, str]:
    """For each org of ``codes`` below ``code``: the child of ``code`` it lies under."""
    found: dict[str, str] = {}
    for start in codes:
        path: list[str] = []
        org = orgs.get(start)
        top: str | None = None
        while org is not None:
            if org.code in found:
                top = found[org.code]
                break
            path.append(org.code)
            if org.parent == code:
                top = org.code
                break
            org = orgs.get(org.parent) if org.parent is not None else None
        if top is not None:
            found.update((step, top) for step in path)
    return found


def cell_states(
    findings: Iterable[Finding],
    pack: RulePack,
    branches: Mapping[str, str],
    columns: Sequence[Column],
    late: Mapping[int, RecordDates],
    late_days: int,
) -> dict[tuple[str, int], str]:
    """The state of each (branch, column index): the worst of its subjects' findings."""
    index = {(c.rule, c.period): i for i, c in enumerate(columns)}
    rules = {rule.id: rule for rule in pack.rules}
    gap = dt.timedelta(days=late_days)
    states: dict[tuple[str, int], str] = {}
    # (column, due) by (rule, id of the period): the evaluator shares one Period per (rule,
    # period) among all subjects, and an int hashes far faster than the dataclass.
    slots: dict[tuple[str, int], tuple[int | None, dt.date | None]] = {}
    periods: list[Period] = []  # keeps the keyed periods alive, so their ids stay unique
    for finding in findings:
        if finding.member is not None:
            continue
        period = finding.period
        slot = slots.get((finding.rule, id(period)))
        if slot is None:
            column_of = index.get((finding.rule, period))
            rule = rules.get(finding.rule)
            due_of = None
            if column_of is not None and rule is not None:
                due_of = rule.deadline(period) + dt.timedelta(days=pack.grace_for(rule))
            slot = slots[(finding.rule, id(period))] = (column_of, due_of)
            periods.append(period)
        column, due = slot
        branch = branches.get(finding.org)
        if column is None or branch is None:
            continue
        state = _STATE_OF.get(finding.status)
        if state is None:
            continue
        records = finding.evidence.records
        if (
            state == "held"
            and records
            and late
            and due is not None
            and all(is_late(late.get(r), due, gap) for r in records)
        ):
            state = "late"
        key = (branch, column)
        known = states.get(key)
        if known is None or _RANK[state] > _RANK[known]:
            states[key] = state
    return states


def evidence_url(code: str, org: str, column: Column) -> str:
    query = urlencode({"org": org, "rule": column.rule, "period": column.period.label})
    return f"/dashboard/{quote(code, safe='')}/evidence?{query}"


def _branch_cell(code: str, branch: str, column: Column, state: str | None) -> Cell:
    state = state or "none"
    label = STATE_ZH[state]
    href = evidence_url(code, branch, column) if state != "none" else None
    return Cell(state, label, MARK[state], f"{column.title}：{label}", href)


def _child_cell(child: Org, column: Column, states: Counter[str]) -> Cell:
    total = sum(states.values())
    if not total:
        return Cell("none", STATE_ZH["none"], "", f"{column.title}：{STATE_ZH['none']}", None)
    worst = max(states, key=lambda s: _RANK[s])
    missed = states["missed"]
    level = 0
    if missed:
        share = missed / total
        level = 1 + sum(share > cut for cut in MISSED_SHARES)
        label = f"{missed}个{STATE_ZH['missed']}"
        mark = str(missed)
        title = f"{column.title}：{total}个党支部中{label}（{share:.1%}）"
    else:
        label = f"{states[worst]}个{STATE_ZH[worst]}"
        mark = MARK[worst]
        title = f"{column.title}：{total}个党支部中{label}"
    return Cell(worst, label, mark, title, org_url(child), level)


def build_dashboard(
    check: Check,
    pack: RulePack,
    *,
    code: str,
    subtree: Iterable[str],
    current: MonthlySummary,
    last: MonthlySummary,
    late: Mapping[int, RecordDates],
    states: Mapping[tuple[str, int], str] | None = None,
) -> Dashboard:
    """The dashboard of ``code`` from the evaluation of its subtree and the summaries of the
    current and the last month made from it; ``states``, when given, are the heat map's
    :func:`cell_states` (computed by parts, the check's findings are then not read)."""
    inside = set(subtree)
    orgs = {c: o for c, o in check.registers.orgs.items() if c in inside}
    root = orgs[code]
    branches = branch_of(orgs)
    branch_codes = sorted(c for c, o in orgs.items() if o.type is OrgType.BRANCH)
    heads, columns = columns_for(pack, check.as_of)
    if states is None:
        states = cell_states(check.findings, pack, branches, columns, late, current.late_days)
    by_branch = len(branch_codes) <= BRANCH_ROWS_MAX
    rows: list[HeatRow] = []
    if by_branch:
        for branch in branch_codes:
            org = orgs[branch]
            parent = orgs.get(org.parent) if org.parent is not None else None
            cells = tuple(
                _branch_cell(code, branch, col, states.get((branch, i)))
                for i, col in enumerate(columns)
            )
            if parent is not None and parent.code != code:
                rows.append(
                    HeatRow(branch, org.name, org_url(org), parent.name, org_url(parent), cells)
                )
            else:
                rows.append(HeatRow(branch, org.name, org_url(org), "", None, cells))
    else:
        under = child_of(code, orgs, branch_codes)
        per_child: dict[str, list[str]] = {}
        for branch in branch_codes:
            if branch in under:
                per_child.setdefault(under[branch], []).append(branch)
        for child_code in sorted(per_child):
            child = orgs[child_code]
            mine = per_child[child_code]
            row: list[Cell] = []
            for i, col in enumerate(columns):
                if child.type is OrgType.BRANCH:
                    row.append(_branch_cell(code, child_code, col, states.get((child_code, i))))
                    continue
                counted = Counter(states[(b, i)] for b in mine if (b, i) in states)
                row.append(_child_cell(child, col, counted))
            note = "" if child.type is OrgType.BRANCH else f"{len(mine)}个党支部"
            rows.append(HeatRow(child_code, child.name, org_url(child), note, None, tuple(row)))
    ranking, ranked_total = _ranking(last, orgs, code, by_branch)
    under_root = child_of(code, orgs, branch_codes)
    counts = Counter(under_root.get(b) for b in branch_codes)
    children = tuple(
        Child(o.name, ORG_TYPE_ZH[o.type], org_url(o), counts[o.code])
        for o in sorted(orgs.values(), key=lambda o: o.code)
        if o.parent == code and o.type in (OrgType.COMMITTEE, OrgType.GENERAL_BRANCH)
    )
    return Dashboard(
        code=code,
        name=root.name,
        type_zh=ORG_TYPE_ZH[root.type],
        as_of=check.as_of,
        current=_headline(current),
        last=_headline(last),
        branches=len(branch_codes),
        children=children,
        by_branch=by_branch,
        heads=heads,
        columns=columns,
        rows=tuple(rows),
        trend=_trend(current),
        ranking_month=last.month.label_zh,
        ranking=ranking,
        ranked_total=ranked_total,
        weak=tuple(_weak(b, orgs) for b in last.weak[:WEAK_MAX]),
        weak_total=len(last.weak),
        weak_tied=tuple(_weak(b, orgs) for b in last.weak_tied[:TIED_MAX]),
        weak_tied_total=len(last.weak_tied),
        weak_cut=last.weak_cut,
        codes=tuple(sorted(orgs)),
    )


def _headline(summary: MonthlySummary) -> Headline:
    return Headline(summary.month.label_zh, summary.totals, len(summary.late_entries))


def _trend(summary: MonthlySummary) -> tuple[TrendPoint, ...]:
    points = []
    for point in summary.trend:
        rate = point.figures.rate
        bar = round(100 * rate) if rate is not None else 0
        points.append(
            TrendPoint(
                label=f"{point.month.index}月",
                held=point.figures.held,
                missed=point.figures.missed,
                rate=percent(rate),
                bar=bar,
                y=100 - bar,
            )
        )
    return tuple(points)


def _weak(branch: BranchFigures, orgs: Mapping[str, Org]) -> Weak:
    org = orgs.get(branch.code)
    url = org_url(org) if org is not None else f"/branch/{branch.code}"
    return Weak(
        code=branch.code,
        name=branch.name,
        url=url,
        parent=branch.parent_name or "",
        rate=percent(branch.figures.rate),
        missed=branch.figures.missed,
        late_entries=branch.late_entries,
    )


def _ranking(
    summary: MonthlySummary, orgs: Mapping[str, Org], code: str, by_branch: bool
) -> tuple[tuple[Ranked, ...], int]:
    """Worst first: the ranked branches, or the children by their branches' summed figures;
    (the first :data:`RANKING_MAX`, how many there are)."""
    ranked = [b for b in summary.branches if b.rank is not None and b.code in orgs]
    if by_branch:
        worst = sorted(
            ranked,
            key=lambda b: (b.figures.rate or 0.0, -b.figures.missed, -b.late_entries, b.code),
        )
        rows = [
            Ranked(
                code=b.code,
                name=b.name,
                url=org_url(orgs[b.code]),
                note=(b.parent_name or "") if b.parent != code else "",
                rate=percent(b.figures.rate),
                required=b.figures.required,
                missed=b.figures.missed,
                late_entries=b.late_entries,
                rank=b.rank,
                weak=b.weak,
            )
            for b in worst
        ]
        return tuple(rows[:RANKING_MAX]), len(rows)
    under = child_of(code, orgs, [b.code for b in ranked])
    held: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    late: Counter[str] = Counter()
    weak: Counter[str] = Counter()
    for b in ranked:
        child = under.get(b.code)
        if child is None:
            continue
        held[child] += b.figures.held
        missed[child] += b.figures.missed
        late[child] += b.late_entries
        weak[child] += b.weak
    children = []
    for child in set(held) | set(missed):
        figures = Figures(held=held[child], missed=missed[child])
        children.append((figures.rate or 0.0, -missed[child], -late[child], child, figures))
    children.sort()
    rows = [
        Ranked(
            code=child,
            name=orgs[child].name,
            url=org_url(orgs[child]),
            note=f"{weak[child]}个软弱涣散排查对象" if weak[child] else "",
            rate=percent(figures.rate),
            required=figures.required,
            missed=figures.missed,
            late_entries=late[child],
            rank=None,
            weak=weak[child] > 0,
        )
        for _, _, _, child, figures in children
    ]
    return tuple(rows[:RANKING_MAX]), len(rows)


# --- a finding's evidence -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """One subject's finding for the (rule, period): its status and why."""

    subject: str  # the org's name
    state: str
    status_zh: str
    reason: str
    counted: int
    seen: int


@dataclass(frozen=True, slots=True)
class Considered:
    """A record of the rule's kinds in the period: whether it counted."""

    id: int
    subject: str
    day: dt.date
    kinds: str
    attendance: str  # 实到/应到, or 未记录
    lecturer: str
    topic: str
    recorded: dt.date | None
    counted: bool


@dataclass(frozen=True, slots=True)
class EvidenceView:
    code: str  # the dashboard it was opened from
    org: str
    org_name: str
    rule_name: str
    rule_source: str
    period: str  # 2026年10月
    deadline: dt.date
    grace_until: dt.date
    verdicts: tuple[Verdict, ...]
    records: tuple[Considered, ...]


def evidence_view(
    check: Check,
    pack: RulePack,
    *,
    code: str,
    org: str,
    rule_id: str,
    period: Period,
    records: Iterable[Meeting],
) -> EvidenceView:
    """Why ``org`` (a branch with its groups, or one org) has its status for ``rule_id`` in
    ``period``: each subject's verdict in the evaluation's words (the reason of
    ``orglife check --explain``) and the records of the rule's kinds that could count for the
    period (held in it or by its deadline, or said to be for it), each marked counted or not."""
    rule = pack.rule(rule_id)
    orgs = check.registers.orgs
    counted: set[int] = set()
    verdicts = []
    for finding in check.findings:
        if finding.member is not None or finding.rule != rule_id or finding.period != period:
            continue
        counted.update(finding.evidence.records)
        subject = orgs.get(finding.org)
        verdicts.append(
            Verdict(
                subject=subject.name if subject is not None else finding.org,
                state=_STATE_OF.get(finding.status, "none"),
                status_zh=STATUS_ZH[finding.status],
                reason=reason(finding, rule, pack, subject, check.as_of),
                counted=finding.evidence.counted,
                seen=finding.evidence.seen,
            )
        )
    names = pack.catalog.names
    kinds = set(rule.kinds)
    deadline = rule.deadline(period)
    considered = []
    for meeting in records:
        if meeting.id is None or not kinds & meeting.kinds:
            continue
        # Held in the period (or by its deadline, when the rule carries over), or said to be
        # for it (所属期间): the records that could count for this period.
        if meeting.for_period != period.label and not period.start <= meeting.date <= deadline:
            continue
        subject = orgs.get(meeting.org)
        attendance = (
            f"{meeting.attended}/{meeting.expected}"
            if meeting.attended is not None and meeting.expected is not None
            else (f"实到{meeting.attended}" if meeting.attended is not None else "未记录")
        )
        considered.append(
            Considered(
                id=meeting.id,
                subject=subject.name if subject is not None else meeting.org,
                day=meeting.date,
                kinds="、".join(names.get(k, k) for k in sorted(meeting.kinds)),
                attendance=attendance,
                lecturer=meeting.lecturer or "",
                topic=meeting.topic or "",
                recorded=meeting.recorded,
                counted=meeting.id in counted,
            )
        )
    target = orgs.get(org)
    return EvidenceView(
        code=code,
        org=org,
        org_name=target.name if target is not None else org,
        rule_name=rule.name,
        rule_source=rule.source,
        period=period.label_zh,
        deadline=deadline,
        grace_until=deadline + dt.timedelta(days=pack.grace_for(rule)),
        verdicts=tuple(verdicts),
        records=tuple(considered),
    )
