"""Fixed-day schedules: when a rule with a fixed day (the themed Party day) falls in a month.

Pure: a rule's :class:`~monitor.core.rules.Schedule`, the org's own day (and time) and a
:class:`~monitor.core.workdays.WorkCalendar` in, the scheduled day out. A nominal day that is not an
official workday moves to the next (or previous) one, 调休 make-up days counting as workdays;
years without official data use the provisional calendar, and the result says so.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from monitor.core.domain import Org
from monitor.core.errors import OrglifeError
from monitor.core.rules import Schedule, Shift
from monitor.core.workdays import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^([+-]?[1-5])(MO|TU|WE|TH|FR|SA|SU)$")


@dataclass(frozen=True, slots=True)
class ScheduledDay:
    """The day a fixed-day session is due in one month, and why it moved if it did."""

    nominal: dt.date  # the day the rule and the org's day name
    day: dt.date  # the day after moving off a day that is not a workday
    start: dt.datetime  # timezone-aware, Asia/Shanghai
    end: dt.datetime
    moved_from_holiday: str | None  # the holiday's Chinese name, or 周末, when it moved
    provisional: bool  # the year's holidays are computed, not yet announced

    @property
    def moved(self) -> bool:
        return self.day != self.nominal


def day_spec(schedule: Schedule, org: Org) -> str:
    """The day rule that applies to ``org``: its own party day, else the schedule's default."""
    if schedule.day == "party_day":
        return (org.party_day or schedule.default_day).strip().upper()
    return schedule.day


def nominal_day(spec: str, year: int, month: int) -> dt.date:
    """The day ``spec`` names in a month: ``15`` (clamped to the month's end), ``1FR``, ``-1FR``."""
    last = calendar.monthrange(year, month)[1]
    if spec.isdigit():
        return dt.date(year, month, min(int(spec), last))
    match = _BYDAY.match(spec)
    if match is None:
        raise OrglifeError(
            f"“{spec}”不是每月的某一天：请写几号（如 15），"
            "或如 1FR（第一个周五）、-1FR（最后一个周五）"
        )
    ordinal, weekday = int(match[1]), _WEEKDAYS.index(match[2])
    days = [
        dt.date(year, month, d)
        for d in range(1, last + 1)
        if dt.date(year, month, d).weekday() == weekday
    ]
    if abs(ordinal) > len(days):
        # A fifth Friday that this month does not have: the last one stands in.
        return days[-1]
    return days[ordinal - 1] if ordinal > 0 else days[ordinal]


def scheduled_day(
    schedule: Schedule, org: Org, year: int, month: int, workdays: WorkCalendar
) -> ScheduledDay:
    """When ``org``'s fixed-day session of ``schedule`` is due in the month.

    The session runs from the schedule's ``start`` to its ``end``; when the schedule falls on
    the org's own day (``day: party_day``) and the org register gives the org a time of its own
    (``Org.party_time``, e.g. 14:30-16:30), that time is used instead. A rule with a fixed day
    of its own (``day: 15``) keeps the rule's times.
    """
    nominal = nominal_day(day_spec(schedule, org), year, month)
    day = nominal
    if schedule.shift is Shift.NEXT_WORKDAY:
        day = workdays.next_workday(nominal)
    elif schedule.shift is Shift.PREVIOUS_WORKDAY:
        day = workdays.previous_workday(nominal)
    reason = None
    if day != nominal:
        reason = workdays.holiday_name(nominal) or "周末"
    start, end = schedule.start, schedule.end
    if schedule.day == "party_day" and org.party_time is not None:
        start, end = org.party_time
    return ScheduledDay(
        nominal=nominal,
        day=day,
        start=dt.datetime.combine(day, start, SHANGHAI),
        end=dt.datetime.combine(day, end, SHANGHAI),
        moved_from_holiday=reason,
        provisional=workdays.is_provisional(day.year),
    )
