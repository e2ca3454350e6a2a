"""Read the registers (orgs, members, meeting records) from CSV, XLSX or rows in memory.

A register is a table under a header row: the first of its first ten rows that names every
required column (title rows above it are skipped and reported in ``Parsed.skipped``).
Headers may be English or Chinese (see ``ORG_COLUMNS``, ``MEMBER_COLUMNS`` and
``MEETING_COLUMNS``); unknown columns are ignored, but text to the right of the header is an
error. A workbook's sheet is the one named (``sheet``) or the first with a header. A single bad
row makes the whole file fail with a ``RegisterError`` naming, in Chinese, the file, the
line, the column (as its header is written) and the bad value.

Line numbers: every row of the file counts, the header's own included. For CSV a row is what
the ``csv`` module yields, so a quoted cell spanning several physical lines still counts as
one row; for a workbook the line is the sheet's row number; for rows in memory the first row
is line 2, as if the keys were a header above them.

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
    MeetingFields,
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
    "MeetingFields",
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


def read_orgs(path: Path, *, sheet: str | None = None, today: dt.date | None = None) -> Parsed[Org]:
    """Read the organisations register; ``today`` bounds its dates (a year ahead at most)."""

    def build(header: Header, rows: Iterator[list[str]]) -> Parsed[Org]:
        return build_orgs(header, rows, today=today)

    return read_table(path, ORG_COLUMNS, build, sheet=sheet)


def read_members(
    path: Path, *, sheet: str | None = None, today: dt.date | None = None
) -> Parsed[Member]:
    """Read the members register; ``today`` bounds its dates (a year ahead at most)."""

    def build(header: Header, rows: Iterator[list[str]]) -> Parsed[Member]:
        return build_members(header, rows, today=today)

    return read_table(path, MEMBER_COLUMNS, build, sheet=sheet)


def read_meetings(
    path: Path,
    *,
    today: dt.date,
    catalog: KindCatalog = DEFAULT_CATALOG,
    historical: bool = False,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Parsed[Meeting]:
    """Read the meeting records; ``progress(rows_read)`` is called every ~10k rows.

    Each record's entry date is ``today``; with ``historical`` (migrating old registers) it
    is the file's 录入日期, or the meeting date where that is blank.
    """

    def build(header: Header, rows: Iterator[list[str]]) -> Parsed[Meeting]:
        return build_meetings(
            header, rows, today=today, catalog=catalog, historical=historical, progress=progress
        )

    return read_table(path, MEETING_COLUMNS, build, sheet=sheet)


@contextmanager
def stream_meetings(
    path: Path,
    *,
    today: dt.date,
    catalog: KindCatalog = DEFAULT_CATALOG,
    historical: bool = False,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[MeetingStream]:
    """Like :func:`read_meetings`, but the records are parsed as the caller consumes them.

    A CSV's encoding is settled before the first row (one pass over the bytes), so a stream
    never has to start again; a bad row still raises when it is reached.
    """
    with open_table(path, MEETING_COLUMNS, sheet=sheet) as (header, rows):
        records = meeting_rows(
            header, rows, today=today, catalog=catalog, historical=historical, progress=progress
        )
        yield MeetingStream(header.path, header.columns, records, header.skipped)


# --------------------------------------------------------------------- rows in memory


def orgs_from_rows(rows: Rows, *, source: str | Path, today: dt.date | None = None) -> Parsed[Org]:
    """Organisations from rows in memory, checked as a file's rows are.

    ``source`` names the rows in error messages (and is the result's ``path``).
    """

    def build(header: Header, table: Iterable[list[str]]) -> Parsed[Org]:
        return build_orgs(header, table, today=today)

    return _from_rows(rows, source, ORG_COLUMNS, build)


def members_from_rows(
    rows: Rows, *, source: str | Path, today: dt.date | None = None
) -> Parsed[Member]:
    """Members from rows in memory, checked as a file's rows are."""

    def build(header: Header, table: Iterable[list[str]]) -> Parsed[Member]:
        return build_members(header, table, today=today)

    return _from_rows(rows, source, MEMBER_COLUMNS, build)


def meetings_from_rows(
    rows: Rows,
    *,
    source: str | Path,
    today: dt.date,
    catalog: KindCatalog = DEFAULT_CATALOG,
    historical: bool = False,
) -> Parsed[Meeting]:
    """Meeting records from rows in memory (a chat command, an API request), checked and
    built as a file's rows are, with the same errors."""

    def build(header: Header, table: Iterable[list[str]]) -> Parsed[Meeting]:
        return build_meetings(header, table, today=today, catalog=catalog, historical=historical)

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
