"""Bounds on what a register may hold: text lengths, head counts and dates.

One source for the readers (which check a cell before the database sees it) and, later, the
store's tables, so a value the reader accepts always fits its column. The lengths are the
``max_length`` of the columns in ``monitor.store.tables``.
"""

from __future__ import annotations

import datetime as dt

# Text lengths, in characters, as the store's columns hold them.
ORG_CODE = 64
ORG_NAME = 200
MEMBER_ID = 64
MEMBER_NAME = 100
GROUP = 64  # a member's 党小组, by code or name
LECTURER = 100
TOPIC = 500
FOR_PERIOD = 16

# Head counts (应到人数, 实到人数).
COUNT_MIN = 0
COUNT_MAX = 100_000

# Dates: nothing before the Party's founding year, nothing more than a year ahead.
EARLIEST_DATE = dt.date(1921, 1, 1)


def latest_date(today: dt.date) -> dt.date:
    """The last date a register may hold: a year after ``today`` (29 Feb: 28 Feb)."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)
