"""Working days in Asia/Shanghai: which days are off, given each year's arrangement.

The calendar only does the maths. Where a year's arrangement comes from (a holiday file, the
``chinesecalendar`` package or the provisional statutory calendar) is decided by the
:class:`YearSource` it is given; :func:`monitor.holidays.work_calendar` builds the usual one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

__all__ = ["ProvisionalCallback", "WorkCalendar", "YearArrangement", "YearSource"]

_ONE_DAY: Final = dt.timedelta(days=1)

ProvisionalCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class YearArrangement:
    """One year's holidays and 调休 make-up workdays, and where they come from."""

    holidays: Mapping[dt.date, str]  # days off besides weekends, with the festival name
    workdays: frozenset[dt.date]  # weekend days that are working days (调休)
    source: str  # for reports and audit trails
    provisional: bool = False  # a guess: the year's arrangement is not announced yet


class YearSource(Protocol):
    """The arrangement of a year; a calendar asks once per year, on first use."""

    def __call__(self, year: int) -> YearArrangement: ...


@dataclass(frozen=True, slots=True)
class _Year:
    off: frozenset[dt.date]  # every non-working day of the year, weekends included
    names: Mapping[dt.date, str]  # holidays by name
    provisional: bool
    source: str


def _weekends(year: int) -> set[dt.date]:
    first = dt.date(year, 1, 1)
    length = (dt.date(year, 12, 31) - first).days + 1
    days = (first + dt.timedelta(days=offset) for offset in range(length))
    return {day for day in days if day.weekday() >= 5}


def _resolved(year: int, arrangement: YearArrangement) -> _Year:
    off = (_weekends(year) - arrangement.workdays) | set(arrangement.holidays)
    return _Year(
        off=frozenset(off),
        names=dict(arrangement.holidays),
        provisional=arrangement.provisional,
        source=arrangement.source,
    )


def _require_date(day: dt.date) -> None:
    # A datetime never equals a date, so it would silently miss every holiday; and an aware
    # datetime must first be converted to Asia/Shanghai, which only the caller can do right.
    if isinstance(day, dt.datetime):
        raise TypeError(f"expected a date in Asia/Shanghai, got the datetime {day!r}")


class WorkCalendar:
    """Which days are working days in mainland China (Asia/Shanghai), including 调休.

    Each year is asked of ``years`` once, on first use; a provisional year is reported to
    ``on_provisional(year)`` once per calendar.
    """

    def __init__(
        self, years: YearSource, *, on_provisional: ProvisionalCallback | None = None
    ) -> None:
        self._source = years
        self._on_provisional = on_provisional
        self._years: dict[int, _Year] = {}
        # The hot path of is_workday reads this plain dict of sets, nothing else.
        self._off: dict[int, frozenset[dt.date]] = {}

    def _year(self, year: int) -> _Year:
        data = self._years.get(year)
        if data is None:
            data = _resolved(year, self._source(year))
            self._years[year] = data
            self._off[year] = data.off
            # Report after caching, so a callback that raises cannot make the next call report
            # again.
            if data.provisional and self._on_provisional is not None:
                self._on_provisional(year)
        return data

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day (调休 make-up days included)."""
        _require_date(day)
        off = self._off.get(day.year)
        if off is None:
            off = self._year(day.year).off
        return day not in off

    def is_provisional(self, year: int) -> bool:
        """True when the arrangement for ``year`` is not announced yet, only guessed."""
        return self._year(year).provisional

    def source(self, year: int) -> str:
        """Where the arrangement for ``year`` comes from, for reports and audit trails."""
        return self._year(year).source

    def holiday_name(self, day: dt.date) -> str | None:
        """The festival's Chinese name when ``day`` is a statutory or announced holiday."""
        _require_date(day)
        return self._year(day.year).names.get(day)

    def holidays(self, year: int) -> dict[dt.date, str]:
        """Every holiday of ``year`` (announced, official or statutory) with its name."""
        return dict(self._year(year).names)

    def next_workday(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a workday, else the first workday after it."""
        while not self.is_workday(day):
            day += _ONE_DAY
        return day

    def previous_workday(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a workday, else the last workday before it."""
        while not self.is_workday(day):
            day -= _ONE_DAY
        return day

    def last_workday(self, start: dt.date, end: dt.date) -> dt.date:
        """The last workday in [start, end]; if there is none, the last one before ``start``."""
        _check_range(start, end)
        # The latest workday on or before `end` is both the answer and the fallback.
        return self.previous_workday(end)

    def first_workday(self, start: dt.date, end: dt.date) -> dt.date:
        """The first workday in [start, end]; if there is none, the first one after ``end``."""
        _check_range(start, end)
        return self.next_workday(start)


def _check_range(start: dt.date, end: dt.date) -> None:
    _require_date(start)
    _require_date(end)
    if end < start:
        raise ValueError(f"the range {start}..{end} ends before it starts")
