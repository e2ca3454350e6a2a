"""SQL plumbing shared by the register store: its tables, untyped rows and chunked IN lists."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final, TypeVar

from sqlalchemy import Connection

from monitor.store.tables import AttendanceRow, KindRow, MeetingRow, MemberRow, OrgRow

__all__ = [
    "ATTENDANCE_TABLE",
    "CHUNK",
    "KIND_TABLE",
    "MEETING_TABLE",
    "MEMBER_TABLE",
    "ORG_TABLE",
    "all_rows",
    "chunks",
    "stored",
]

T = TypeVar("T")

ORG_TABLE = OrgRow.__table__  # type: ignore[attr-defined]
MEMBER_TABLE = MemberRow.__table__  # type: ignore[attr-defined]
MEETING_TABLE = MeetingRow.__table__  # type: ignore[attr-defined]
ATTENDANCE_TABLE = AttendanceRow.__table__  # type: ignore[attr-defined]
KIND_TABLE = KindRow.__table__  # type: ignore[attr-defined]

CHUNK: Final = 500  # values per IN list


def all_rows(conn: Connection, statement: Any) -> list[Any]:
    """All rows of a statement; the tables are untyped, so rows are ``Any`` at this boundary."""
    result: list[Any] = list(conn.execute(statement))
    return result


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


LOOKUP_CHUNK: Final = 2000  # values per IN list of :func:`stored`


def stored(conn: Connection, column: Any, values: set[str]) -> set[str]:
    """Which of ``values`` the column holds."""
    # Plain SQL through the driver: a large import looks up tens of thousands of codes, and
    # SQLAlchemy's rendering of each expanding IN list cost more than the queries.
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    found: set[str] = set()
    for chunk in chunks(sorted(values), LOOKUP_CHUNK):
        marks = ", ".join(mark for _ in chunk)
        rows = conn.exec_driver_sql(
            f"SELECT {column.name} FROM {column.table.name} WHERE {column.name} IN ({marks})",
            tuple(chunk),
        )
        found.update(str(row[0]) for row in rows)
    return found
