"""Application services: wire the store's aggregates to the pure evaluator."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

from monitor.core.domain import Finding, Status
from monitor.core.errors import OrglifeError
from monitor.core.evaluator import Evaluator, Registers, Window, finding_order
from monitor.core.rules import RulePack
from monitor.ledger.model import (
    DEFAULT_DEADLINE_DAYS,
    LedgerItem,
    LedgerStatus,
    issue_text,
    review_start,
)
from monitor.ledger.store import LedgerStore
from monitor.store import Store, aggregate
from monitor.store.settings import registers_begin


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one evaluation: its window, the registers judged, and the findings."""

    as_of: dt.date
    since: dt.date
    registers: Registers
    findings: list[Finding]

    def totals(self) -> Counter[Status]:
        return Counter(f.status for f in self.findings)


def run_check(
    store: Store,
    pack: RulePack,
    *,
    as_of: dt.date,
    since: dt.date | None = None,
    org: str | None = None,
    orgs: Collection[str] | None = None,
    with_records: bool = True,
    record_months: range | None = None,
) -> Check:
    """Evaluate every subject (or ``org``'s subtree, or exactly the orgs ``orgs`` with their
    leading cadres) for the periods starting in the window.

    ``orgs`` is for re-judging a few branches of a cached evaluation
    (:mod:`monitor.http.pages.dashboard_cache`): one set-based query per subject kind over all
    of them, never a query per org.

    ``record_months`` (month indexes) limits the evidence's record ids to records counted in
    those months (see :func:`monitor.store.aggregate.tallies`); the statuses do not change.

    Periods that end before the registers began (``orglife registers begin``) are not reported.
    A window longer than :data:`MAX_WINDOW_YEARS` is refused: the aggregation reads a column
    per month, and no inspection looks back further.
    """
    if since is not None and (as_of - since).days > MAX_WINDOW_YEARS * 366:
        raise OrglifeError(
            f"检查的时间范围过长：从 {since.isoformat()} 到 {as_of.isoformat()}，"
            f"最多{MAX_WINDOW_YEARS}年，请缩短范围后分段检查。"
        )
    window = Window.for_(as_of, since, begin=registers_begin(store))
    if org is not None and orgs is not None:
        raise ValueError("run_check takes org or orgs, not both")
    codes = store.subtree(org) if org is not None else None
    if orgs is not None:
        codes = sorted(set(orgs))
    registers = aggregate.registers(store, pack, window, codes)
    tallies = aggregate.tallies(
        store, pack, window, orgs=codes, with_records=with_records, record_months=record_months
    )
    findings = sorted(Evaluator(pack, window).evaluate(registers, tallies), key=finding_order(pack))
    return Check(window.as_of, window.since, registers, findings)


MAX_WINDOW_YEARS = 10


def judge(
    store: Store,
    pack: RulePack,
    window: Window,
    *,
    orgs: Collection[str] | None = None,
) -> tuple[Registers, Iterator[Finding]]:
    """The registers judged and the findings as the evaluator streams them (unsorted, each
    subject's together, without records): for keeping a province's verdicts compact
    (:mod:`monitor.core.incremental`) without holding millions of findings in a list."""
    codes = None if orgs is None else sorted(set(orgs))
    registers = aggregate.registers(store, pack, window, codes)
    tallies = aggregate.tallies(store, pack, window, orgs=codes, with_records=False)
    return registers, Evaluator(pack, window).evaluate(registers, tallies)


@dataclass(frozen=True, slots=True)
class LedgerUpdate:
    """What an evaluation did to the problem ledger."""

    opened: int  # new items for final misses
    late: int  # unrectified items a late record (补录) moved to rectifying
    overdue: list[LedgerItem]  # items that passed their deadline unrectified just now


def update_ledger(
    store: Store,
    pack: RulePack,
    check: Check,
    *,
    today: dt.date,
    now: dt.datetime,
    deadline_days: int = DEFAULT_DEADLINE_DAYS,
) -> LedgerUpdate:
    """Open ledger items for the check's final misses and sweep the ledger (补录, overdue).

    Idempotent: an evaluation run again opens nothing new. ``today`` is the ledger's day (the
    items' opened date and what deadlines are compared with); ``now`` stamps the audit trail.
    """
    names = {rule.id: rule.name for rule in pack.rules}

    def issue(finding: Finding) -> str:
        return issue_text(finding, names.get(finding.rule, finding.rule))

    opened = LedgerStore(store).open_for(
        check.findings, today=today, now=now, issue=issue, deadline_days=deadline_days
    )
    swept = LedgerStore(store).sweep(check.findings, today=today, now=now)
    return LedgerUpdate(opened, swept.late, swept.overdue)


def update_ledger_with(
    store: Store,
    pack: RulePack,
    missed: Iterable[Finding],
    held: Callable[[tuple[str, str, str, str]], bool],
    *,
    today: dt.date,
    now: dt.datetime,
    deadline_days: int = DEFAULT_DEADLINE_DAYS,
    only: Collection[tuple[str, str, str, str]] | None = None,
    overdue: bool = True,
) -> LedgerUpdate:
    """:func:`update_ledger` for kept verdicts: open items for ``missed`` (the final misses
    not yet seen), and sweep the items whose finding ``held`` says is held (of ``only``;
    ``overdue`` off: no overdue sweep, see :meth:`LedgerStore.sweep`)."""
    names = {rule.id: rule.name for rule in pack.rules}

    def issue(finding: Finding) -> str:
        return issue_text(finding, names.get(finding.rule, finding.rule))

    opened = LedgerStore(store).open_for(
        missed, today=today, now=now, issue=issue, deadline_days=deadline_days
    )
    swept = LedgerStore(store).sweep(
        (), today=today, now=now, held=held, only=only, overdue=overdue
    )
    return LedgerUpdate(opened, swept.late, swept.overdue)


@dataclass(frozen=True, slots=True)
class LookBack:
    """What a look-back (回头看) did: how many cleared items it checked, which it reopened."""

    as_of: dt.date
    cleared: int  # cleared items of the orgs looked at
    evaluated: bool  # False when none of them could be reopened yet (nothing was evaluated)
    reopened: list[LedgerItem]


def look_back(
    store: Store,
    pack: RulePack,
    *,
    as_of: dt.date,
    now: dt.datetime,
    by: str,
    org: str | None = None,
    codes: list[str] | None = None,
) -> LookBack:
    """Reopen the cleared items (of ``codes``; None: every org) whose subject missed the same
    rule again within the next two periods, judged by one evaluation of ``org``'s subtree
    from the earliest period that can reopen one of them to ``as_of``."""
    ledger = LedgerStore(store)
    cleared = ledger.items(codes, LedgerStatus.CLEARED)
    since = review_start(cleared)
    if since is None or since > as_of:
        return LookBack(as_of, len(cleared), False, [])
    check = run_check(store, pack, as_of=as_of, since=since, org=org, with_records=False)
    reopened = ledger.review(check.findings, today=as_of, now=now, by=by, orgs=codes)
    return LookBack(as_of, len(cleared), True, reopened)
