"""Escalation until fixed (三色预警): repeats of unrectified ledger items, and red ones upwards.

Pure, like :mod:`monitor.alerts.plan`: the ledger's items, the rule pack's ``escalation:``, the
linked chats, the work calendar and an explicit ``as_of`` in; :class:`Notice` lines out, each
with a key unique per chat, so a rerun on the same day enqueues nothing new.

* **Repeat** (``repeat:{item}:{reopened}:{n}``, kind ``repeat``): a finding item still
  unrectified (open or overdue) on ``as_of`` is announced again when ``n`` =
  ``(as_of - start) // repeat_every_days`` ≥ 1, where ``start`` is the day it was opened (or
  last reopened by a look-back, from ``starts``). With ``quiet_days`` only on a workday: a
  repeat due on a weekend or holiday goes out on the next workday, and a run never makes more
  than one repeat per item (the current ``n``). It goes to the branch chats of the item's org
  (a party group's branch included); a leading cadre's item to the inspector chats above, as
  the miss went (cadres' misses never go to branch chats). The line carries the colour.
* **Red** (``red:{item}:{reopened}``, kind ``red``): an unrectified item whose colour is red
  (:mod:`monitor.ledger.warning`) is announced once to the inspector chats one level further
  up: those of the next org with inspector chats above the nearest org (the item's own
  included) that has an enabled one, or that nearest one's when no org above it has one.

An item no longer unrectified (rectifying or cleared) gets neither; the service drops its rows
still pending (:func:`settled_prefixes`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from monitor.alerts.plan import Chat, Notice, NoticeKind, Router
from monitor.core.domain import Member, Org
from monitor.core.errors import OrglifeError
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack
from monitor.core.workdays import WorkCalendar
from monitor.ledger.model import LedgerItem, LedgerSource, LedgerStatus
from monitor.ledger.warning import UNRECTIFIED, ItemWarning, warnings
from monitor.text.render import render

_UNITS = {
    Cadence.MONTH: "个月",
    Cadence.TWO_MONTHS: "个双月",
    Cadence.QUARTER: "个季度",
    Cadence.HALF_YEAR: "个半年",
    Cadence.YEAR: "年",
}
_NUMERALS = "零一两三四五六七八九十"


def times_zh(count: int) -> str:
    """A small count as a Chinese numeral: 两, 三 …; 11 and more in digits."""
    return _NUMERALS[count] if 0 <= count <= 10 else str(count)


def run_zh(count: int, cadence: Cadence) -> str:
    """``count`` periods of ``cadence`` in words: 两个季度, 三个月, 两年."""
    return f"{times_zh(count)}{_UNITS[cadence]}"


def repeat_key(item: LedgerItem, n: int) -> str:
    return f"repeat:{item.id}:{item.reopened}:{n}"


def red_key(item: LedgerItem) -> str:
    return f"red:{item.id}:{item.reopened}"


def settled_prefixes(items: Iterable[LedgerItem]) -> dict[LedgerStatus, list[str]]:
    """Outbox key prefixes of the escalation rows of items no longer unrectified, by status
    (rectifying, cleared): their pending rows are not to be sent."""
    found: dict[LedgerStatus, list[str]] = {}
    for item in items:
        if item.status in (LedgerStatus.RECTIFYING, LedgerStatus.CLEARED):
            found.setdefault(item.status, []).extend((f"repeat:{item.id}:", f"red:{item.id}:"))
    return found


class _Routes(Router):
    """The planner's router, plus where an item's repeats go."""

    def for_repeat(self, item: LedgerItem) -> list[Chat]:
        """The branch chats of the item's org (a party group's: its branch's too); a cadre's
        item goes to the inspector chats of the org and every ancestor, as the miss went."""
        if item.member is not None:
            return self.inspectors_above(item.org)
        return self.once_per_destination(self.branch_chats(item.org))


def plan_escalation(
    items: Iterable[LedgerItem],
    *,
    pack: RulePack,
    chats: Sequence[Chat],
    orgs: Mapping[str, Org],
    cadres: Mapping[str, Member],
    workdays: WorkCalendar,
    as_of: dt.date,
    starts: Mapping[int, dt.date] | None = None,
    repeats: bool = True,
) -> list[Notice]:
    """This cycle's repeat and red notices.

    ``items`` should be every item of the orgs concerned (the colour looks at earlier periods'
    items); ``starts`` maps reopened items to the day of their last reopening; ``orgs`` must
    include the ancestors. ``repeats`` off leaves repeats out (the service sends them with the
    morning reminders, not at night).
    """
    escalation = pack.escalation
    if not escalation.enabled:
        return []
    items = list(items)
    colours = warnings(items, today=as_of, escalation=escalation)
    router = _Routes(chats, orgs)
    every = escalation.repeat_every_days
    repeat_today = repeats and every > 0
    if repeat_today and escalation.quiet_days and not workdays.is_workday(as_of):
        repeat_today = False
    starts = starts or {}
    notices: list[Notice] = []
    for item in items:
        warning = colours.get(item.id)
        if warning is None or item.status not in UNRECTIFIED:
            continue
        if warning.red:
            line = _line("alerts/red.txt", item, warning, pack, orgs, cadres, names=True)
            for chat in router.one_level_up(item.org):
                notices.append(Notice(red_key(item), chat.id, NoticeKind.RED, None, line))
        if not repeat_today or item.source is not LedgerSource.FINDING:
            continue
        start = starts.get(item.id, item.opened)
        n = (as_of - start).days // every
        if n < 1:
            continue
        for chat in router.for_repeat(item):
            line = _line(
                "alerts/repeat.txt",
                item,
                warning,
                pack,
                orgs,
                cadres,
                names=item.member is not None or chat.show_names,
                days=(as_of - start).days,
            )
            notices.append(Notice(repeat_key(item, n), chat.id, NoticeKind.REPEAT, None, line))
    return notices


def _line(
    template: str,
    item: LedgerItem,
    warning: ItemWarning,
    pack: RulePack,
    orgs: Mapping[str, Org],
    cadres: Mapping[str, Member],
    *,
    names: bool,
    days: int = 0,
) -> str:
    org = orgs.get(item.org)
    cadre = cadres.get(item.member) if item.member is not None else None
    try:
        cadence = Period.parse(item.period).cadence if item.period else None
    except OrglifeError:
        cadence = None
    escalation = pack.escalation
    return render(
        template,
        colour=warning.label,
        red=warning.red,
        org=item.org,
        org_name=org.name if org is not None else None,
        member=item.member,
        cadre_name=cadre.name if (cadre is not None and names) else None,
        issue=item.issue,
        id=item.id,
        opened=item.opened,
        deadline=item.deadline,
        days=days,
        overdue=warning.overdue,
        consecutive=warning.consecutive and cadence is not None,
        run=run_zh(warning.streak, cadence) if cadence is not None else "",
        streak=warning.streak,
        streak_times=f"{times_zh(warning.streak)}次",
        interview_after=escalation.interview_after,
        interview_times=f"{times_zh(escalation.interview_after)}次",
    )
