"""Bulk loading of meeting records: stage into a temporary table, then merge set-based.

Rows go to the database in chunks through the driver (COPY on PostgreSQL, ``executemany`` on
SQLite) inside the caller's transaction, so a bad row found late still rolls back everything.
Duplicates within the file, the count of rows that already existed, the upsert and the
attendance lists are each one statement over the staged rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

STAGE_COLUMNS = (
    "line",
    "key",
    "org",
    "kinds",
    "day",
    "month",
    "expected",
    "attended",
    "lecturer",
    "topic",
    "recorded",
    "for_period",
)
MEETING_COLUMNS = STAGE_COLUMNS[1:]
_SAME_RECORD = "m.org = i.org AND m.month = i.month AND m.day = i.day AND m.key = i.key"
# Keep the earliest entry date: a re-import must not make records look late.
_EARLIEST_RECORDED = (
    "CASE WHEN meeting.recorded IS NULL THEN excluded.recorded "
    "WHEN excluded.recorded IS NULL THEN meeting.recorded "
    "WHEN excluded.recorded < meeting.recorded THEN excluded.recorded "
    "ELSE meeting.recorded END"
)

StageRow = tuple[Any, ...]  # values in STAGE_COLUMNS order
AttendanceRow = tuple[str, int, dt.date, str, str]  # org, month, day, key, member id


class Stage:
    """Temporary tables ``meeting_stage`` and ``attendance_stage`` on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self._raw: Any = conn.connection.driver_connection
        self._create()

    def _create(self) -> None:
        if self.dialect == "postgresql":
            suffix, temp = " ON COMMIT DROP", "TEMPORARY"
            text_type, date_type = "TEXT", "DATE"
        else:
            suffix, temp = "", "TEMP"
            text_type, date_type = "TEXT", "TEXT"
            self.conn.exec_driver_sql("DROP TABLE IF EXISTS temp.meeting_stage")
            self.conn.exec_driver_sql("DROP TABLE IF EXISTS temp.attendance_stage")
        self.conn.exec_driver_sql(
            f"CREATE {temp} TABLE meeting_stage (line INTEGER, key {text_type}, org {text_type}, "
            f"kinds BIGINT, day {date_type}, month INTEGER, expected INTEGER, attended INTEGER, "
            f"lecturer {text_type}, topic {text_type}, recorded {date_type}, "
            f"for_period {text_type}){suffix}"
        )
        self.conn.exec_driver_sql(
            f"CREATE {temp} TABLE attendance_stage (org {text_type}, month INTEGER, "
            f"day {date_type}, key {text_type}, member_id {text_type}){suffix}"
        )

    def drop(self) -> None:
        if self.dialect != "postgresql":  # PostgreSQL drops them at commit or rollback
            self.conn.exec_driver_sql("DROP TABLE IF EXISTS temp.meeting_stage")
            self.conn.exec_driver_sql("DROP TABLE IF EXISTS temp.attendance_stage")

    def write(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cursor = self._raw.cursor()
        try:
            if self.dialect == "postgresql":
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    [tuple(sqlite_value(v) for v in row) for row in rows],
                )
        finally:
            cursor.close()

    def first_duplicate(self) -> tuple[int, int, str] | None:
        """Lines and date of the first record staged twice (same org, date and key), if any."""
        row = self.conn.exec_driver_sql(
            "SELECT MIN(line), MAX(line), MIN(day) FROM meeting_stage "
            "GROUP BY org, month, day, key HAVING COUNT(*) > 1 ORDER BY MIN(line) LIMIT 1"
        ).first()
        return None if row is None else (int(row[0]), int(row[1]), str(row[2]))

    def count_existing(self) -> int:
        return int(
            self.conn.exec_driver_sql(
                f"SELECT COUNT(*) FROM meeting_stage i JOIN meeting m ON {_SAME_RECORD}"
            ).scalar_one()
        )

    def merge(self, existing: int) -> None:
        """Upsert the staged records, then replace the attendance lists of every staged record."""
        columns = ", ".join(MEETING_COLUMNS)
        updates = ", ".join(
            f"{c} = excluded.{c}"
            for c in MEETING_COLUMNS
            if c not in ("key", "org", "day", "month")
        ).replace("recorded = excluded.recorded", f"recorded = {_EARLIEST_RECORDED}")
        # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
        self.conn.exec_driver_sql(
            f"INSERT INTO meeting ({columns}) SELECT {columns} FROM meeting_stage WHERE true "
            f"ON CONFLICT (org, month, day, key) DO UPDATE SET {updates}"
        )
        if existing:
            self.conn.exec_driver_sql(
                "DELETE FROM attendance WHERE meeting_id IN "
                f"(SELECT m.id FROM meeting m JOIN meeting_stage i ON {_SAME_RECORD})"
            )
        self.conn.exec_driver_sql(
            "INSERT INTO attendance (meeting_id, member_id) SELECT DISTINCT m.id, i.member_id "
            f"FROM attendance_stage i JOIN meeting m ON {_SAME_RECORD}"
        )


def analyze(conn: Connection, *tables: str) -> None:
    """Refresh planner statistics after a large load, so subtree queries use the indexes.

    Right after a bulk load PostgreSQL has no statistics until autovacuum gets to the tables,
    and then plans a one-branch check as a scan of the whole province.
    """
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.execute(text(f"ANALYZE {table}"))
    else:
        conn.exec_driver_sql("PRAGMA optimize")


def sqlite_value(value: Any) -> Any:
    """A value as the SQLite driver path must pass it: SQLAlchemy keeps dates as ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value
