"""Warning colours of the problem ledger (三色预警): which outstanding items are yellow or red.

Pure: items, a day and the rule pack's ``escalation:`` in, a colour per item out.

* An item is **outstanding** on ``today`` when it was opened by then and not cleared by then
  (status open, rectifying or overdue; an item cleared after ``today`` was still outstanding).
  Cleared items, and items not yet opened, have no colour (绿色: nothing outstanding).
* An outstanding item is **yellow** (黄色预警), and **red** (红色预警) when
  - ``red_when_overdue`` and it is overdue: past its rectification deadline and not being
    rectified (status overdue, or open with ``deadline < today``: the same test as the
    monthly summary's 逾期未整改), or
  - ``red_after_consecutive`` = n ≥ 2 and its subject (the org, or the member for a cadre's
    item) has finding items for the same rule in the n-1 periods right before the item's own
    period (of the same cadence; :meth:`Period.previous`), whatever their status: the rule was
    missed n periods in a row. Only finding items count in such a run (an inspector's item is
    not a miss of a period); the earlier items keep their own colour.
* ``streak`` is the length of that run of consecutive missed periods ending with the item's own
  (1 for a finding item with none just before it; 0 for an inspector's item); it counts the
  warnings in a row that the 约谈 of ``interview_after`` refers to.
* ``enabled: false`` switches colours off: no item has one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from monitor.core.errors import OrglifeError
from monitor.core.periods import Period
from monitor.core.rules import Escalation
from monitor.ledger.model import LedgerItem, LedgerSource, LedgerStatus


class Colour(StrEnum):
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        """黄色 or 红色."""
        return _LABELS[self]


_LABELS = {Colour.YELLOW: "黄色", Colour.RED: "红色"}
COLOUR_LABELS = dict(_LABELS)
UNRECTIFIED = frozenset({LedgerStatus.OPEN, LedgerStatus.OVERDUE})


@dataclass(frozen=True, slots=True)
class ItemWarning:
    """One outstanding item's colour and why."""

    colour: Colour
    overdue: bool  # past its deadline and not being rectified (red when red_when_overdue)
    streak: int  # consecutive periods missed, ending with the item's own (0: no period)
    consecutive: bool  # red because the streak reached red_after_consecutive

    @property
    def red(self) -> bool:
        return self.colour is Colour.RED

    @property
    def label(self) -> str:
        """黄色 or 红色."""
        return self.colour.label


def outstanding(item: LedgerItem, today: dt.date) -> bool:
    """Opened by ``today`` and not cleared by then."""
    if item.opened > today:
        return False
    return item.cleared is None or item.cleared > today


def is_overdue(item: LedgerItem, today: dt.date) -> bool:
    """Past its deadline and not being rectified (outstanding is checked separately)."""
    if item.status is LedgerStatus.OVERDUE:
        return True
    return item.status is LedgerStatus.OPEN and item.deadline < today


def _period(label: str | None) -> Period | None:
    if label is None:
        return None
    try:
        return Period.parse(label)
    except OrglifeError:
        return None


def warnings(
    items: Iterable[LedgerItem], *, today: dt.date, escalation: Escalation
) -> dict[int, ItemWarning]:
    """The colour of every item outstanding on ``today``, by item id.

    ``items`` should hold the subjects' earlier finding items too (cleared ones included):
    the consecutive-period rule looks for them.
    """
    if not escalation.enabled:
        return {}
    items = list(items)
    missed: set[tuple[str, str | None, str, Period]] = set()
    for item in items:
        period = _period(item.period)
        finding = item.source is LedgerSource.FINDING and item.rule is not None
        if finding and period is not None and item.opened <= today:
            assert item.rule is not None
            missed.add((item.org, item.member, item.rule, period))
    need = escalation.red_after_consecutive
    found: dict[int, ItemWarning] = {}
    for item in items:
        if not outstanding(item, today):
            continue
        overdue = is_overdue(item, today)
        streak = 0
        period = _period(item.period)
        if item.source is LedgerSource.FINDING and item.rule is not None and period is not None:
            streak = 1
            before = period.previous()
            while (item.org, item.member, item.rule, before) in missed:
                streak += 1
                before = before.previous()
        consecutive = need >= 2 and streak >= need
        red = consecutive or (escalation.red_when_overdue and overdue)
        found[item.id] = ItemWarning(
            Colour.RED if red else Colour.YELLOW, overdue, streak, consecutive
        )
    return found


def tally(found: Iterable[ItemWarning]) -> tuple[int, int]:
    """(red, yellow) counts."""
    red = yellow = 0
    for warning in found:
        if warning.red:
            red += 1
        else:
            yellow += 1
    return red, yellow
