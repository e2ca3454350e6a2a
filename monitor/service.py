"""The alert cycle the service runs: judge, plan the notices, record them with the findings.

A thin shell: the store's aggregates feed the pure evaluator and the pure planner
(:func:`monitor.alerts.plan`); :meth:`monitor.store.alerts.Alerts.record` writes the finding
states and the outbox rows in one transaction. Sending is the dispatcher's job.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from monitor import alerts
from monitor.alerts import FindingState, NoticeKind
from monitor.app import run_check
from monitor.domain import Status
from monitor.rules import RulePack
from monitor.store import Store
from monitor.workdays import WorkCalendar

# How far back a cycle looks: far enough that last year's periods, whose grace ends in
# January, are judged until mid-February.
LOOKBACK = dt.timedelta(days=45)


@dataclass(frozen=True, slots=True)
class CycleReport:
    as_of: dt.date
    findings: int
    missed: int  # final misses in the window
    enqueued: Counter[NoticeKind]  # new outbox rows by kind

    @property
    def total(self) -> int:
        return sum(self.enqueued.values())


def run_cycle(
    store: Store,
    pack: RulePack,
    workdays: WorkCalendar,
    *,
    as_of: dt.date,
    now: dt.datetime,
    reminders: bool = True,
) -> CycleReport:
    """Evaluate every subject as of ``as_of`` and enqueue what is new for the linked chats."""
    since = dt.date((as_of - LOOKBACK).year, 1, 1)
    check = run_check(store, pack, as_of=as_of, since=since, with_records=False)
    states = store.alerts.states()
    turned = [
        alerts.FindingKey.of(f)
        for f in check.findings
        if f.status is Status.HELD and states.get(alerts.FindingKey.of(f)) is FindingState.MISSED
    ]
    result = alerts.plan(
        check.findings,
        pack=pack,
        orgs=check.registers.orgs,
        cadres={m.id: m for m in check.registers.cadres},
        chats=store.alerts.chats(),
        states=states,
        recipients=store.alerts.recipients(turned),
        workdays=workdays,
        as_of=as_of,
        reminders=reminders,
    )
    enqueued = store.alerts.record(result, now=now)
    missed = sum(1 for f in check.findings if f.status is Status.MISSED)
    return CycleReport(as_of, len(check.findings), missed, enqueued)
