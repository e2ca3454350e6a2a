"""The service's side of escalation until fixed (三色预警): one step of the alert cycle.

After the ledger is updated, :func:`escalate` drops the pending repeat and red rows of items that
are no longer unrectified ("clearing the item ends the repeats"), then plans this cycle's repeat
and red notices (:func:`monitor.alerts.escalation.plan_escalation`, pure) and records them. No
schema of its own: colours are derived from the ledger's items, and what was sent from the
outbox's keys.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Mapping, Sequence

from monitor.alerts.escalation import plan_escalation
from monitor.alerts.plan import AlertPlan, Chat, NoticeKind
from monitor.alerts.store import AlertStore, drop_settled
from monitor.core.domain import Member, Org
from monitor.core.rules import RulePack
from monitor.core.schedule import SHANGHAI
from monitor.core.workdays import WorkCalendar
from monitor.ledger.model import LedgerItem
from monitor.ledger.store import LedgerStore
from monitor.ledger.warning import UNRECTIFIED
from monitor.store import Store


def escalate(
    store: Store,
    pack: RulePack,
    workdays: WorkCalendar,
    *,
    orgs: Mapping[str, Org],
    cadres: Mapping[str, Member],
    chats: Sequence[Chat],
    as_of: dt.date,
    now: dt.datetime,
    repeats: bool = True,
    codes: Collection[str] | None = None,
) -> Counter[NoticeKind]:
    """Drop what is settled, enqueue this cycle's repeats and red notices; the new outbox rows
    by kind. ``orgs`` must include every ancestor (inspector chats higher up are looked for).
    ``codes``: the items of these orgs only (an item's colour depends on its subject's items
    alone), when the others are as an earlier escalation of the same day saw them."""
    ledger = LedgerStore(store)
    items = ledger.items(codes)
    drop_settled(store, items, now=now)
    notices = plan_escalation(
        items,
        pack=pack,
        chats=chats,
        orgs=orgs,
        cadres=cadres,
        workdays=workdays,
        as_of=as_of,
        starts=reopening_days(ledger, items),
        repeats=repeats,
    )
    if not notices:
        return Counter()
    return AlertStore(store).record(AlertPlan(notices=notices), now=now)


def reopening_days(ledger: LedgerStore, items: Sequence[LedgerItem]) -> dict[int, dt.date]:
    """The day (Beijing time) each unrectified reopened item was last reopened: its repeats
    count from then, not from the day it was first opened."""
    wanted = [i.id for i in items if i.reopened and i.status in UNRECTIFIED]
    if not wanted:
        return {}
    found: dict[int, dt.date] = {}
    for event in ledger.events(items=wanted):  # oldest first: the last one wins
        if event.action == "reopened":
            found[event.item] = event.at.astimezone(SHANGHAI).date()
    return found
