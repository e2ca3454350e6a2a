"""Calendar periods (month, two months, quarter, half year, year) and their labels."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from monitor.core.errors import OrglifeError


class Cadence(StrEnum):
    MONTH = "month"
    TWO_MONTHS = "two_months"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"

    @property
    def months(self) -> int:
        return _MONTHS[self]

    @property
    def label_zh(self) -> str:
        return _LABEL_ZH[self]


_MONTHS = {
    Cadence.MONTH: 1,
    Cadence.TWO_MONTHS: 2,
    Cadence.QUARTER: 3,
    Cadence.HALF_YEAR: 6,
    Cadence.YEAR: 12,
}
_LABEL_ZH = {
    Cadence.MONTH: "每月",
    Cadence.TWO_MONTHS: "每两月",
    Cadence.QUARTER: "每季度",
    Cadence.HALF_YEAR: "每半年",
    Cadence.YEAR: "每年",
}
_PREFIX = {Cadence.TWO_MONTHS: "B", Cadence.QUARTER: "Q", Cadence.HALF_YEAR: "H"}
_LABEL_RE = re.compile(r"^(\d{4})(?:-(?:(\d{2})|([BQH])(\d)))?$")


def month_index(day: dt.date) -> int:
    """Months since year 0: the integer the store keeps beside every record's date."""
    return day.year * 12 + day.month - 1


def attributed_month(day: dt.date, for_period: str | None) -> int:
    """The month a record counts in: its own, or the last month of the period it says it is for.

    A record counts for an earlier period only when it says so (``for_period``, a period
    label); the store keeps this month beside the record, and the aggregations (SQL and
    :func:`monitor.core.evaluator.tally_meetings`) count the record there.
    """
    if for_period is None:
        return month_index(day)
    return month_index(Period.parse(for_period).end)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """One period of a cadence: the ``index``-th (1-based) of its ``year``."""

    cadence: Cadence
    year: int
    index: int

    @classmethod
    def containing(cls, cadence: Cadence, day: dt.date) -> Period:
        return cls(cadence, day.year, (day.month - 1) // cadence.months + 1)

    @classmethod
    def parse(cls, label: str) -> Period:
        """Parse ``2026-09``, ``2026-B5``, ``2026-Q3``, ``2026-H2`` or ``2026``."""
        m = _LABEL_RE.match(label.strip())
        if m is None:
            raise OrglifeError(
                f"“{label}”不是期间：请写作 2026-09（月）、2026-B5（双月）、"
                "2026-Q3（季度）、2026-H2（半年）或 2026（年）"
            )
        year = int(m[1])
        if m[2]:
            cadence, index = Cadence.MONTH, int(m[2])
        elif m[3]:
            cadence = {"B": Cadence.TWO_MONTHS, "Q": Cadence.QUARTER, "H": Cadence.HALF_YEAR}[m[3]]
            index = int(m[4])
        else:
            cadence, index = Cadence.YEAR, 1
        if not 1 <= index <= 12 // cadence.months:
            raise OrglifeError(f"“{label}”不是期间：序号超出范围")
        return cls(cadence, year, index)

    @property
    def first_month(self) -> int:
        """Month number (1-12) of the period's first month."""
        return (self.index - 1) * self.cadence.months + 1

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period (inclusive)."""
        last = self.first_month + self.cadence.months - 1
        return dt.date(self.year, last, calendar.monthrange(self.year, last)[1])

    @property
    def months(self) -> range:
        """The month indexes (see :func:`month_index`) the period covers."""
        first = self.year * 12 + self.first_month - 1
        return range(first, first + self.cadence.months)

    @property
    def label(self) -> str:
        if self.cadence is Cadence.MONTH:
            return f"{self.year}-{self.index:02d}"
        if self.cadence is Cadence.YEAR:
            return str(self.year)
        return f"{self.year}-{_PREFIX[self.cadence]}{self.index}"

    @property
    def label_zh(self) -> str:
        """How a secretary names the period: 2026年9月, 2026年第三季度…"""
        if self.cadence is Cadence.MONTH:
            return f"{self.year}年{self.index}月"
        if self.cadence is Cadence.TWO_MONTHS:
            return f"{self.year}年{self.first_month}—{self.first_month + 1}月"
        if self.cadence is Cadence.QUARTER:
            return f"{self.year}年第{'一二三四'[self.index - 1]}季度"
        if self.cadence is Cadence.HALF_YEAR:
            return f"{self.year}年{'上下'[self.index - 1]}半年"
        return f"{self.year}年"

    def next(self) -> Period:
        per_year = 12 // self.cadence.months
        if self.index == per_year:
            return Period(self.cadence, self.year + 1, 1)
        return Period(self.cadence, self.year, self.index + 1)

    def previous(self) -> Period:
        if self.index == 1:
            return Period(self.cadence, self.year - 1, 12 // self.cadence.months)
        return Period(self.cadence, self.year, self.index - 1)

    def __str__(self) -> str:
        return self.label


def periods_starting_between(cadence: Cadence, since: dt.date, until: dt.date) -> Iterator[Period]:
    """Every period of ``cadence`` whose first day lies in ``[since, until]``."""
    period = Period.containing(cadence, since)
    if period.start < since:
        period = period.next()
    while period.start <= until:
        yield period
        period = period.next()
