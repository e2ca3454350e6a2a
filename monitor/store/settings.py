"""Settings of the registers kept in the database (table ``setting``), e.g. when they began."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import Connection, delete, func, insert, select

from monitor.store import Store
from monitor.store.audit import record_event
from monitor.store.revision import bump_revision
from monitor.store.sql import CHUNK, MEETING_TABLE
from monitor.store.tables import SettingRow

SETTING_TABLE = SettingRow.__table__  # type: ignore[attr-defined]
REGISTERS_BEGIN = "registers_begin"


def get_setting(store: Store, key: str) -> str | None:
    with store.engine.connect() as conn:
        return _value(conn, key)


def set_setting(store: Store, key: str, value: str | None, *, by: str, now: dt.datetime) -> None:
    """Set ``key`` (None: remove it); the change goes into the audit trail."""
    with store.engine.begin() as conn:
        old = _value(conn, key)
        conn.execute(delete(SETTING_TABLE).where(SETTING_TABLE.c.key == key))
        if value is not None:
            conn.execute(insert(SETTING_TABLE).values(key=key, value=value))
        if old != value:
            record_event(
                conn,
                at=now,
                actor=by,
                entity="setting",
                entity_id=key,
                action="edited",
                reason=None,
                changes={key: [old, value]},
            )
            bump_revision(
                conn, orgs=None
            )  # e.g. registers_begin changes which periods are reported


def _value(conn: Connection, key: str) -> str | None:
    value = conn.execute(
        select(SETTING_TABLE.c.value).where(SETTING_TABLE.c.key == key)
    ).scalar_one_or_none()
    return None if value is None else str(value)


def explicit_registers_begin(store: Store) -> dt.date | None:
    """The day set with ``orglife registers begin DATE``, if any."""
    value = get_setting(store, REGISTERS_BEGIN)
    return None if value is None else dt.date.fromisoformat(value)


# Answered by the partial index ix_meeting_live_month, without a scan of every record.
EARLIEST_LIVE_MONTH = select(func.min(MEETING_TABLE.c.month)).where(
    MEETING_TABLE.c.deleted_at.is_(None)
)


def earliest_record_month(store: Store) -> dt.date | None:
    """The first day of the earliest month a record counts in (its own month, or its
    for_period's last one), among records not deleted."""
    with store.engine.connect() as conn:
        first = conn.execute(EARLIEST_LIVE_MONTH).scalar_one_or_none()
    if first is None:
        return None
    year, month0 = divmod(int(first), 12)
    return dt.date(year, month0 + 1, 1)


def registers_begin(store: Store) -> dt.date | None:
    """When the registers began: the day set explicitly, else the first day of the earliest
    record's month; None when there are no records. Periods that end before it are not
    reported."""
    return explicit_registers_begin(store) or earliest_record_month(store)


def registers_begin_after(
    store: Store, previous: dt.date | None, orgs: Collection[str]
) -> dt.date | None:
    """:func:`registers_begin`, knowing it was ``previous`` before the records of ``orgs``
    (and no others) changed: without reading every record when it did not move (it moves
    when one of them counts earlier, or when its month has no record left)."""
    explicit = explicit_registers_begin(store)
    if explicit is not None or previous is None:
        return explicit or earliest_record_month(store)
    month = previous.year * 12 + previous.month - 1
    live = MEETING_TABLE.c.deleted_at.is_(None)
    codes = sorted(set(orgs))
    with store.engine.connect() as conn:
        for start in range(0, len(codes), CHUNK):
            lowest = conn.execute(
                select(func.min(MEETING_TABLE.c.month)).where(
                    live, MEETING_TABLE.c.org.in_(codes[start : start + CHUNK])
                )
            ).scalar_one_or_none()
            if lowest is not None and int(lowest) < month:
                year, month0 = divmod(int(lowest), 12)
                return dt.date(year, month0 + 1, 1)
        left = conn.execute(
            select(MEETING_TABLE.c.id).where(live, MEETING_TABLE.c.month == month).limit(1)
        ).first()
    return previous if left is not None else earliest_record_month(store)


def set_registers_begin(store: Store, day: dt.date, *, by: str, now: dt.datetime) -> None:
    set_setting(store, REGISTERS_BEGIN, day.isoformat(), by=by, now=now)


__all__ = [
    "EARLIEST_LIVE_MONTH",
    "REGISTERS_BEGIN",
    "earliest_record_month",
    "explicit_registers_begin",
    "get_setting",
    "registers_begin",
    "registers_begin_after",
    "set_registers_begin",
    "set_setting",
]
