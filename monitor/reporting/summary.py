"""Monthly check summaries (月度检查通报): one evaluation in, the figures of one month out.

Pure: the shell (:mod:`monitor.reporting.build`) evaluates the subtree once, reads the late-entered
records and the ledger items, and hands them to :func:`summarise`. Decisions, in one place:

* **The month's findings** are those whose period *ends* in the month: the monthly periods of
  the month, a two-monthly, quarterly or half-yearly period in its last month (a quarter in
  March, June, September or December only), a yearly period in December only.
* **Required** (应开展) = held + missed. Open periods (still within the period or its grace) and
  exempt ones (the org was founded after the period began) are counted apart, never required.
  The **rate** (落实率) is held / required, ``None`` when nothing is required.
* **Per branch**: a party group's findings count towards its branch; a branch's own findings
  towards itself. A leading cadre's findings (双重组织生活) are the cadre's own obligation: they
  are listed (``member`` set) and count in the overall totals, but not in the branch's rate.
  The findings of committees and general branches themselves count in the overall totals only.
* **Ranking**: branches with anything required, by rate (highest first), then fewer misses,
  then fewer late entries, then code; equal rates share a rank number. Branches with nothing
  required are listed after them, unranked.
* **Weak-and-lax candidates** (软弱涣散排查对象): the bottom tenth of the ranked branches,
  ``ceil(10% × ranked)`` of them (so at least one as soon as one branch is ranked), taken worst
  first: lowest rate, then most misses, then most late entries, then code. A branch without a
  miss is never a candidate. Rates of a dozen findings tie often, so the cut is kept exact and
  the branches left out with the very same figures as the last candidate are listed apart
  (``weak_tied``) for the reviewer to judge, rather than swelling the list.
* **Late entries** (后补记录): a record counted by a finding of the month that was entered more
  than ``late_days`` (7) days after the meeting *and* after the grace of that finding's period
  had ended (so the period had already been judged missed when it was entered). A row's
  ``late_entry`` is true when it is held and every record that made it held is such a record.
* **Ledger**: items of the subtree's orgs; opened and cleared count the items opened or cleared
  in the month (up to ``as_of``); outstanding and overdue are as at ``as_of``; the clearance rate
  (累计销号率) is items cleared by ``as_of`` / items opened by ``as_of``. Each item outstanding at
  ``as_of`` has its warning colour (三色预警, :mod:`monitor.ledger.warning`, by the pack's
  ``escalation:``); red and yellow count those.
* **Trend**: the same totals for the ``trend_months`` months ending with the month, each judged
  as at ``as_of`` (what the registers say now, late entries included).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from monitor.core.domain import Finding, Member, Org, OrgType, Status
from monitor.core.errors import OrglifeError
from monitor.core.explain import reason
from monitor.core.periods import Cadence, Period, month_index
from monitor.core.rules import RulePack
from monitor.ledger.model import LedgerItem, LedgerStatus
from monitor.ledger.warning import ItemWarning, warnings

if TYPE_CHECKING:
    from monitor.check import Check

DEFAULT_LATE_DAYS = 7
DEFAULT_TREND_MONTHS = 6
WEAK_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Figures:
    """Findings counted by status; required = held + missed."""

    held: int = 0
    missed: int = 0
    open: int = 0
    exempt: int = 0

    @property
    def required(self) -> int:
        return self.held + self.missed

    @property
    def rate(self) -> float | None:
        """held / required, or None when nothing is required."""
        required = self.required
        return self.held / required if required else None


class RecordDates(NamedTuple):
    """When a record's meeting took place and when it was entered."""

    org: str
    day: dt.date
    recorded: dt.date


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One finding of the month, with the names a reader needs."""

    org: str
    org_name: str
    member: str | None
    member_name: str | None
    branch: str | None  # the branch whose rate it counts in; None for cadres and committees
    rule: str
    rule_name: str
    period: Period
    status: Status
    late_entry: bool
    reason: str
    records: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BranchFigures:
    """One branch (with its party groups) in the ranking."""

    code: str
    name: str
    parent: str | None
    parent_name: str | None
    figures: Figures
    late_entries: int  # late-entered records of the branch and its groups
    rank: int | None  # None: nothing required this month
    weak: bool


class Counted(NamedTuple):
    """A finding a late-entered record counted for."""

    org: str
    member: str | None
    rule: str
    rule_name: str
    period: Period


@dataclass(frozen=True, slots=True)
class LateEntry:
    """A record entered late, with the findings of the month it counted for."""

    record: int
    org: str
    org_name: str
    branch: str | None
    day: dt.date
    recorded: dt.date
    counted_for: tuple[Counted, ...]

    @property
    def days_late(self) -> int:
        return (self.recorded - self.day).days


@dataclass(frozen=True, slots=True)
class LedgerFigures:
    opened: int = 0  # opened in the month
    cleared: int = 0  # cleared in the month
    outstanding: int = 0  # not cleared at as_of
    overdue: int = 0  # outstanding, not being rectified, deadline passed
    total: int = 0  # opened by as_of
    cleared_total: int = 0  # cleared by as_of
    red: int = 0  # outstanding at as_of with a red warning (红色预警)
    yellow: int = 0  # outstanding at as_of with a yellow warning (黄色预警)

    @property
    def clearance_rate(self) -> float | None:
        return self.cleared_total / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class TrendPoint:
    month: Period
    figures: Figures


@dataclass(frozen=True, slots=True)
class MonthlySummary:
    month: Period
    org: str
    org_name: str
    as_of: dt.date
    since: dt.date
    late_days: int
    pack_title: str
    rows: tuple[SummaryRow, ...]
    totals: Figures
    cadres: Figures  # the leading cadres' findings (part of totals)
    branches: tuple[BranchFigures, ...]  # ranked best first, then the unranked by code
    weak_cut: int  # ceil(10% of the ranked branches)
    weak: tuple[BranchFigures, ...]  # worst first
    weak_tied: tuple[BranchFigures, ...]  # as weak as the last candidate, beyond the cut
    late_entries: tuple[LateEntry, ...]
    ledger: LedgerFigures
    ledger_items: tuple[LedgerItem, ...]  # opened by as_of and not cleared before the month
    trend: tuple[TrendPoint, ...]  # oldest first, the month last
    orgs: Mapping[str, Org]  # every org of the subtree, by code
    leaders: Mapping[str, Member]  # the subtree's leading cadres, by member id
    # The warning colour (三色预警) of each ledger item outstanding at as_of, by item id.
    warnings: Mapping[int, ItemWarning] = field(default_factory=dict)

    @property
    def missed(self) -> tuple[SummaryRow, ...]:
        return tuple(r for r in self.rows if r.status is Status.MISSED)

    @property
    def ranked(self) -> tuple[BranchFigures, ...]:
        return tuple(b for b in self.branches if b.rank is not None)

    @property
    def weakest(self) -> tuple[BranchFigures, ...]:
        """The ranked branches with a miss, worst first (the order candidates are taken in)."""
        missed = [b for b in self.branches if b.rank is not None and b.figures.missed]
        missed.sort(
            key=lambda b: (b.figures.rate or 0.0, -b.figures.missed, -b.late_entries, b.code)
        )
        return tuple(missed)

    @property
    def late_rows(self) -> int:
        return sum(r.late_entry for r in self.rows)


# --- windows ---------------------------------------------------------------------------


def parse_month(label: str) -> Period:
    """``YYYY-MM`` as a monthly period."""
    problem = OrglifeError(f"月份应写作 YYYY-MM（如 2026-10），不是 {label!r}")
    try:
        period = Period.parse(label)
    except OrglifeError:
        raise problem from None
    if period.cadence is not Cadence.MONTH:
        raise problem
    return period


def trend_months(month: Period, count: int = DEFAULT_TREND_MONTHS) -> tuple[Period, ...]:
    """The ``count`` months ending with ``month``, oldest first."""
    months = [month]
    for _ in range(max(1, count) - 1):
        months.append(months[-1].previous())
    return tuple(reversed(months))


def periods_ending_in(pack: RulePack, month: Period) -> list[Period]:
    """The periods of the pack's cadences that end in ``month``, shortest first."""
    found = {Period.containing(rule.period, month.start) for rule in pack.rules}
    ending = [p for p in found if p.end.month == month.index and p.end.year == month.year]
    return sorted(ending, key=lambda p: p.cadence.months)


def since_for(pack: RulePack, month: Period, count: int = DEFAULT_TREND_MONTHS) -> dt.date:
    """The first day the evaluation must cover: the start of the earliest period that ends in
    the first trend month (a yearly period starts in January, so usually 1 January of it)."""
    first = trend_months(month, count)[0]
    starts = [Period.containing(rule.period, first.start).start for rule in pack.rules]
    return min(starts, default=first.start)


def record_months(pack: RulePack, month: Period) -> range:
    """The month indexes whose records can count for a period ending in ``month``."""
    periods = periods_ending_in(pack, month)
    last = month_index(month.start)
    first = min((p.months.start for p in periods), default=last)
    return range(first, last + 1)


# --- the summary ---------------------------------------------------------------------


def summarise(
    check: Check,
    pack: RulePack,
    *,
    org: str,
    month: Period,
    late_records: Mapping[int, RecordDates] | None = None,
    ledger: Iterable[LedgerItem] = (),
    late_days: int = DEFAULT_LATE_DAYS,
    trend: int = DEFAULT_TREND_MONTHS,
    weak_share: float = WEAK_SHARE,
    with_rows: bool = True,
) -> MonthlySummary:
    """The month's summary of ``org``'s subtree from ``check`` (an evaluation of that subtree
    covering :func:`since_for` to ``as_of``).

    ``late_records`` maps record ids to their dates; it may hold just the records entered more
    than ``late_days`` days after their meeting (the rest are never late). Without
    ``with_rows`` the summary's ``rows`` are left empty (the dashboard shows only figures; a
    row's reason is most of the cost); every figure is the same.
    """
    counter = MonthCounter(
        check, pack, month=month, late_records=late_records, late_days=late_days, trend=trend
    )
    counts = counter.count(check.findings, with_rows=with_rows)
    return counter.summary(counts, org=org, ledger=ledger, weak_share=weak_share)


# A status's slot in the four counts a MonthCounts keeps (held, missed, open, exempt).
_SLOT = {Status.HELD: 0, Status.MISSED: 1, Status.OPEN: 2, Status.EXEMPT: 3}


def _figures(counts: Sequence[int] | None) -> Figures:
    return Figures(*counts) if counts is not None else Figures()


@dataclass(slots=True)
class MonthCounts:
    """What a month's summary counts from a set of findings. Counts of disjoint sets add up
    (:meth:`add`), so a cache can keep them per branch and re-count only what changed.

    Each count is ``[held, missed, open, exempt]``.
    """

    by_month: dict[int, list[int]] = field(default_factory=dict)  # the trend months' findings
    totals: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # the month's
    cadres: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # the month's cadres'
    per_branch: dict[str, list[int]] = field(default_factory=dict)  # the month's, by branch
    late: dict[int, list[Counted]] = field(default_factory=dict)  # late records' findings
    rows: list[SummaryRow] = field(default_factory=list)

    def add(self, other: MonthCounts, order: Callable[[Counted], Any]) -> None:
        """Add the counts of findings disjoint from these; ``order`` sorts a late record's
        findings as the evaluation orders findings."""
        for key, counts in other.by_month.items():
            _add(self.by_month.setdefault(key, [0, 0, 0, 0]), counts)
        _add(self.totals, other.totals)
        _add(self.cadres, other.cadres)
        for code, counts in other.per_branch.items():
            _add(self.per_branch.setdefault(code, [0, 0, 0, 0]), counts)
        for record, counted in other.late.items():
            mine = self.late.get(record)
            if mine is None:
                self.late[record] = list(counted)
            else:
                mine.extend(counted)
                mine.sort(key=order)
        self.rows.extend(other.rows)


def _add(into: list[int], counts: Sequence[int]) -> None:
    for i, n in enumerate(counts):
        into[i] += n


class MonthCounter:
    """Counts findings for one month's summary (:meth:`count`) and makes the summary from the
    counts (:meth:`summary`); :func:`summarise` is the two in a row."""

    def __init__(
        self,
        check: Check,
        pack: RulePack,
        *,
        month: Period,
        late_records: Mapping[int, RecordDates] | None = None,
        late_days: int = DEFAULT_LATE_DAYS,
        trend: int = DEFAULT_TREND_MONTHS,
    ) -> None:
        if late_days < 0:
            raise ValueError("late_days must not be negative")
        self.check = check
        self.pack = pack
        self.month = month
        self.late_records = late_records or {}
        self.late_days = late_days
        self.months = trend_months(month, trend)
        self.month_key = month_index(month.start)
        self.wanted = {month_index(m.start) for m in self.months}
        self.branch_of = _branch_of(check)
        self.cadres = {m.id: m for m in check.registers.cadres}
        self.rule_names = {rule.id: rule.name for rule in pack.rules}
        self.graces = {rule.id: dt.timedelta(days=pack.grace_for(rule)) for rule in pack.rules}
        self.rules = {rule.id: rule for rule in pack.rules}
        # Month index of each period's end, keyed by the period object's id: the evaluator
        # shares one Period per (rule, period) among all subjects, and ints hash far faster.
        self._ends: dict[int, int] = {}
        self._periods: list[Period] = []  # keeps the keyed periods alive (ids stay unique)
        # Deadline plus grace by (rule, id of the period), for the late-entry test.
        self._deadlines: dict[tuple[str, int], dt.date] = {}

    def count(self, findings: Iterable[Finding], *, with_rows: bool = True) -> MonthCounts:
        """The counts of ``findings`` (with the month's rows, unless not ``with_rows``)."""
        check, pack = self.check, self.pack
        ends, wanted, month_key = self._ends, self.wanted, self.month_key
        late_records, rules, graces = self.late_records, self.rules, self.graces
        branch_of, rule_names = self.branch_of, self.rule_names
        min_gap = dt.timedelta(days=self.late_days)
        deadlines = self._deadlines
        counts = MonthCounts()
        by_month, totals, cadre_count = counts.by_month, counts.totals, counts.cadres
        per_branch, late, rows = counts.per_branch, counts.late, counts.rows
        for finding in findings:
            period = finding.period
            end = ends.get(id(period))
            if end is None:
                end = ends[id(period)] = month_index(period.end)
                self._periods.append(period)
            if end not in wanted:
                continue
            status = finding.status
            slot = _SLOT.get(status)  # None: not applicable, counted nowhere
            if slot is not None:
                month_counts = by_month.get(end)
                if month_counts is None:
                    month_counts = by_month[end] = [0, 0, 0, 0]
                month_counts[slot] += 1
            if end != month_key:
                continue
            branch = None if finding.member is not None else branch_of.get(finding.org)
            if slot is not None:
                totals[slot] += 1
                if finding.member is not None:
                    cadre_count[slot] += 1
                elif branch is not None:
                    mine = per_branch.get(branch)
                    if mine is None:
                        mine = per_branch[branch] = [0, 0, 0, 0]
                    mine[slot] += 1
            records = finding.evidence.records
            late_entry = False
            if records:
                deadline = deadlines.get((finding.rule, end_key := id(period)))
                if deadline is None:
                    rule = rules.get(finding.rule)
                    due = rule.deadline(period) if rule is not None else period.end
                    deadline = due + graces.get(finding.rule, dt.timedelta())
                    deadlines[(finding.rule, end_key)] = deadline
                found = [r for r in records if is_late(late_records.get(r), deadline, min_gap)]
                late_entry = status is Status.HELD and len(found) == len(records)
                for record in found:
                    late.setdefault(record, []).append(
                        Counted(
                            finding.org,
                            finding.member,
                            finding.rule,
                            rule_names.get(finding.rule, finding.rule),
                            period,
                        )
                    )
            if with_rows:
                rows.append(_row(finding, check, pack, self.cadres, branch, late_entry, rule_names))
        return counts

    def summary(
        self,
        counts: MonthCounts,
        *,
        org: str,
        ledger: Iterable[LedgerItem] = (),
        weak_share: float = WEAK_SHARE,
    ) -> MonthlySummary:
        """The month's summary of ``org``'s subtree from the counts of all its findings."""
        check, pack, month = self.check, self.pack, self.month
        as_of = check.as_of
        orgs = check.registers.orgs
        late_entries = _late_entries(counts.late, self.late_records, orgs, self.branch_of)
        late_per_branch: dict[str, int] = {}
        for entry in late_entries:
            if entry.branch is not None:
                late_per_branch[entry.branch] = late_per_branch.get(entry.branch, 0) + 1
        branches, weak, tied, cut = _rank(check, counts.per_branch, late_per_branch, weak_share)
        codes = set(orgs)
        items = [i for i in ledger if i.org in codes]
        colours = warnings(items, today=as_of, escalation=pack.escalation)
        root = orgs.get(org)
        return MonthlySummary(
            month=month,
            org=org,
            org_name=root.name if root is not None else org,
            as_of=as_of,
            since=check.since,
            late_days=self.late_days,
            pack_title=pack.title,
            rows=tuple(counts.rows),
            totals=_figures(counts.totals),
            cadres=_figures(counts.cadres),
            branches=branches,
            weak_cut=cut,
            weak=weak,
            weak_tied=tied,
            late_entries=late_entries,
            ledger=ledger_figures(items, month, as_of, colours),
            ledger_items=_active_items(items, month, as_of),
            trend=tuple(
                TrendPoint(m, _figures(counts.by_month.get(month_index(m.start))))
                for m in self.months
            ),
            orgs=orgs,
            leaders=self.cadres,
            warnings=colours,
        )


def is_late(dates: RecordDates | None, deadline: dt.date, min_gap: dt.timedelta) -> bool:
    """Whether a record is a late entry (后补记录) for a period judged by ``deadline`` (its
    deadline plus grace): entered after it, and more than ``min_gap`` after the meeting."""
    return dates is not None and dates.recorded > deadline and dates.recorded - dates.day > min_gap


def _branch_of(check: Check) -> dict[str, str]:
    """The branch each branch or party group counts towards."""
    orgs = check.registers.orgs
    found: dict[str, str] = {}
    for code, org in orgs.items():
        if org.type is OrgType.BRANCH:
            found[code] = code
        elif org.type is OrgType.GROUP and org.parent is not None:
            parent = orgs.get(org.parent)
            if parent is not None and parent.type is OrgType.BRANCH:
                found[code] = parent.code
    return found


def _row(
    finding: Finding,
    check: Check,
    pack: RulePack,
    cadres: Mapping[str, Member],
    branch: str | None,
    late_entry: bool,
    rule_names: Mapping[str, str],
) -> SummaryRow:
    org = check.registers.orgs.get(finding.org)
    cadre = cadres.get(finding.member) if finding.member is not None else None
    member_name = cadre.name if cadre is not None else None
    return SummaryRow(
        org=finding.org,
        org_name=org.name if org is not None else finding.org,
        member=finding.member,
        member_name=member_name,
        branch=branch,
        rule=finding.rule,
        rule_name=rule_names.get(finding.rule, finding.rule),
        period=finding.period,
        status=finding.status,
        late_entry=late_entry,
        reason=reason(finding, pack.rule(finding.rule), pack, org, check.as_of),
        records=finding.evidence.records,
    )


def _late_entries(
    late: Mapping[int, list[Counted]],
    records: Mapping[int, RecordDates],
    orgs: Mapping[str, Org],
    branch_of: Mapping[str, str],
) -> tuple[LateEntry, ...]:
    entries = []
    for record_id, counted in late.items():
        dates = records[record_id]
        org = orgs.get(dates.org)
        entries.append(
            LateEntry(
                record=record_id,
                org=dates.org,
                org_name=org.name if org is not None else dates.org,
                branch=branch_of.get(dates.org),
                day=dates.day,
                recorded=dates.recorded,
                counted_for=tuple(counted),
            )
        )
    entries.sort(key=lambda e: (e.org, e.day, e.record))
    return tuple(entries)


def _rank(
    check: Check,
    per_branch: Mapping[str, Sequence[int]],
    late_per_branch: Mapping[str, int],
    weak_share: float,
) -> tuple[tuple[BranchFigures, ...], tuple[BranchFigures, ...], tuple[BranchFigures, ...], int]:
    """(branches best first, weak candidates worst first, branches tied with the last
    candidate but left out, the cut)."""
    orgs = check.registers.orgs
    figures = {
        code: _figures(per_branch.get(code))
        for code, org in orgs.items()
        if org.type is OrgType.BRANCH
    }

    def standing(code: str) -> tuple[float, int, int]:
        f = figures[code]
        return (f.rate or 0.0, -f.missed, -late_per_branch.get(code, 0))

    scored = [code for code, f in figures.items() if f.required]
    ranked = sorted(scored, key=lambda c: (*(-x for x in standing(c)), c))
    worst = sorted(scored, key=lambda c: (*standing(c), c))
    ranks: dict[str, int] = {}
    previous: float | None = None
    rank = 0
    for position, code in enumerate(ranked, 1):
        rate = figures[code].rate
        if rate != previous:
            rank, previous = position, rate
        ranks[code] = rank
    cut = math.ceil(weak_share * len(ranked)) if ranked else 0
    weak_codes = [c for c in worst[:cut] if figures[c].missed]
    tied_codes = []
    if weak_codes:
        last = standing(weak_codes[-1])
        tied_codes = [c for c in worst[cut:] if standing(c) == last]
    unranked = sorted(code for code, f in figures.items() if not f.required)
    flagged = set(weak_codes)

    def entry(code: str) -> BranchFigures:
        org = orgs[code]
        parent = orgs.get(org.parent) if org.parent is not None else None
        return BranchFigures(
            code=code,
            name=org.name,
            parent=org.parent,
            parent_name=parent.name if parent is not None else None,
            figures=figures[code],
            late_entries=late_per_branch.get(code, 0),
            rank=ranks.get(code),
            weak=code in flagged,
        )

    branches = tuple(entry(code) for code in [*ranked, *unranked])
    by_code = {b.code: b for b in branches}
    weak = tuple(by_code[c] for c in weak_codes)
    tied = tuple(by_code[c] for c in tied_codes)
    return branches, weak, tied, cut


def ledger_figures(
    items: Sequence[LedgerItem],
    month: Period,
    as_of: dt.date,
    colours: Mapping[int, ItemWarning] | None = None,
) -> LedgerFigures:
    """The ledger's figures for the month, as at ``as_of``; red and yellow from ``colours``."""
    first, last = month.start, min(month.end, as_of)
    opened = cleared = outstanding = overdue = total = cleared_total = red = yellow = 0
    colours = colours or {}
    for item in items:
        if item.opened > as_of:
            continue
        total += 1
        if first <= item.opened <= last:
            opened += 1
        done = item.cleared is not None and item.cleared <= as_of
        if done:
            cleared_total += 1
            assert item.cleared is not None
            if first <= item.cleared <= last:
                cleared += 1
        else:
            outstanding += 1
            if item.status is not LedgerStatus.RECTIFYING and item.deadline < as_of:
                overdue += 1
            colour = colours.get(item.id)
            if colour is not None:
                red += colour.red
                yellow += not colour.red
    return LedgerFigures(opened, cleared, outstanding, overdue, total, cleared_total, red, yellow)


def _active_items(
    items: Sequence[LedgerItem], month: Period, as_of: dt.date
) -> tuple[LedgerItem, ...]:
    """Items opened by ``as_of`` and not cleared before the month began."""
    active = [
        i for i in items if i.opened <= as_of and (i.cleared is None or i.cleared >= month.start)
    ]
    active.sort(key=lambda i: (i.org, i.member or "", i.opened, i.id))
    return tuple(active)
