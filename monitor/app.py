"""Application services: wire the store's aggregates to the pure evaluator."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from monitor.domain import Finding, Status
from monitor.evaluator import Evaluator, Registers, Window, finding_order
from monitor.rules import RulePack
from monitor.store import Store, aggregate


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
    with_records: bool = True,
) -> Check:
    """Evaluate every subject (or ``org``'s subtree) for the periods starting in the window."""
    window = Window.for_(as_of, since)
    codes = store.subtree(org) if org is not None else None
    registers = aggregate.registers(store, pack, window, codes)
    tallies = aggregate.tallies(store, pack, window, orgs=codes, with_records=with_records)
    findings = sorted(Evaluator(pack, window).evaluate(registers, tallies), key=finding_order(pack))
    return Check(window.as_of, window.since, registers, findings)
