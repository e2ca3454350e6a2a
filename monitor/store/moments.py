"""Times at the store boundary: everything is stored in UTC and read back timezone-aware."""

from __future__ import annotations

import datetime as dt


def utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC, for storing; a naive time is a programming error."""
    if moment.tzinfo is None:
        raise ValueError("stored times must be timezone-aware")
    return moment.astimezone(dt.UTC)


def aware(moment: dt.datetime) -> dt.datetime:
    """A time read back: SQLite hands back naive UTC times, PostgreSQL aware ones."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
