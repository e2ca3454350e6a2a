"""Read the registers (orgs, members, meeting records) from CSV, XLSX or rows in memory.

A register is a table whose line 1 is the header. Headers may be English or Chinese (see
``ORG_COLUMNS``, ``MEMBER_COLUMNS`` and ``MEETING_COLUMNS``); unknown columns are ignored.
A single bad row makes the whole file fail with a ``RegisterError`` naming the file, the
line, the column (as its header is written) and the bad value.

Line numbers: the header is line 1 and every row after it adds one. For CSV a row is what
the ``csv`` module yields, so a quoted cell spanning several physical lines still counts as
one row; for XLSX the line is the sheet's row number; for rows in memory the first row is
line 2, as if the keys were a header above them.

This module is the public entry; the parts live beside it: ``columns`` (specs and header
matching), ``cells`` (cell validation), ``formats`` (CSV and XLSX) and ``builders`` (records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from monitor.core.domain import Meeting, Member, Org
from monitor.core.kinds import DEFAULT_CATALOG, KindCatalog
from monitor.registers.builders import (
    PROGRESS_EVERY,
    MeetingStream,
    Parsed,
    build_meetings,
    build_members,
    build_orgs,
    meeting_rows,
)
from monitor.registers.columns import MEETING_COLUMNS, MEMBER_COLUMNS, ORG_COLUMNS, Column, Header
from monitor.registers.formats import count_rows, open_table, read_table

__all__ = [
    "MEETING_COLUMNS",
    "MEMBER_COLUMNS",
    "ORG_COLUMNS",
    "PROGRESS_EVERY",
    "Column",
    "MeetingStream",
    "Parsed",
    "count_rows",
    "meetings_from_rows",
    "members_from_rows",
    "orgs_from_rows",
    "read_meetings",
    "read_members",
    "read_orgs",
    "stream_meetings",
]

T = TypeVar("T")

# Rows in memory: each maps a header (English or Chinese, as in a file) to its cell's text.
Rows = Sequence[Mapping[str, str]]


def read_orgs(path: Path) -> Parsed[Org]:
    """Read the organisations register."""
    return read_table(path, ORG_COLUMNS, build_orgs)


def read_members(path: Path) -> Parsed[Member]:
    """Read the members register."""
    return read_table(path, MEMBER_COLUMNS, build_members)


def read_meetings(
    path: Path,
    *,
    today: dt.date,
    catalog: KindCatalog = DEFAULT_CATALOG,
    progress: Callable[[int], None] | None = None,
) -> Parsed[Meeting]:
    """Read the meeting records; ``progress(rows_read)`` is called every ~10k rows."""

    def build(header: Header, rows: Iterator[list[str]]) -> Parsed[Meeting]:
        return build_meetings(header, rows, today=today, catalog=catalog, progress=progress)

    return read_table(path, MEETING_COLUMNS, build)


@contextmanager
def stream_meetings(
    path: Path,
    *,
    today: dt.date,
    catalog: KindCatalog = DEFAULT_CATALOG,
    progress: Callable[[int], None] | None = None,
) -> Iterator[MeetingStream]:
    """Like :func:`read_meetings`, but the records are parsed as the caller consumes them.

    A CSV's encoding is settled before the first row (one pass over the bytes), so a stream
    never has to start again; a bad row still raises when it is reached.
    """
    with open_table(path, MEETING_COLUMNS) as (header, rows):
        records = meeting_rows(header, rows, today=today, catalog=catalog, progress=progress)
        yield MeetingStream(header.path, header.columns, records)


# --------------------------------------------------------------------- rows in memory


def orgs_from_rows(rows: Rows, *, source: str | Path) -> Parsed[Org]:
    """Organisations from rows in memory, checked as a file's rows are.

    ``source`` names the rows in error messages (and is the result's ``path``).
    """
    return _from_rows(rows, source, ORG_COLUMNS, build_orgs)


def members_from_rows(rows: Rows, *, source: str | Path) -> Parsed[Member]:
    """Members from rows in memory, checked as a file's rows are."""
    return _from_rows(rows, source, MEMBER_COLUMNS, build_members)


def meetings_from_rows(
    rows: Rows,
    *,
    source: str | Path,
    today: dt.date,
    catalog: KindCatalog = DEFAULT_CATALOG,
) -> Parsed[Meeting]:
    """Meeting records from rows in memory (a chat command, an API request), checked and
    built as a file's rows are, with the same errors."""

    def build(header: Header, table: Iterable[list[str]]) -> Parsed[Meeting]:
        return build_meetings(header, table, today=today, catalog=catalog)

    return _from_rows(rows, source, MEETING_COLUMNS, build)


def _from_rows(
    rows: Rows,
    source: str | Path,
    spec: tuple[Column, ...],
    build: Callable[[Header, Iterable[list[str]]], Parsed[T]],
) -> Parsed[T]:
    """The rows as a table under a header of their keys (in the order first seen)."""
    path = Path(source)
    if not rows:
        return Parsed(path, [], [], {})  # no header either: nothing to check
    names = list(dict.fromkeys(name for row in rows for name in row))
    header = Header(path, names, spec)
    return build(header, ([row.get(name, "") for name in names] for row in rows))
