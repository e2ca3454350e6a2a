"""The registers' rows built into domain objects (orgs, members, meeting records).

Owns what a row means: which cells each record takes, the checks across cells and rows
(duplicate codes, an org its own parent, more attendees than expected) and the result types.
Rows come resolved against a :class:`~monitor.registers.columns.Header`, from a file or from
memory alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from monitor.core.domain import Meeting, Member, Org
from monitor.core.errors import RegisterErrorCode
from monitor.core.kinds import KindCatalog
from monitor.registers.cells import ATTENDEE_RE, Cells
from monitor.registers.columns import Header

T = TypeVar("T")
Code = RegisterErrorCode

PROGRESS_EVERY = 10_000

_UNSEEN = -1  # cache default for counts, which are never negative


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """The records read from one register file, with the line each came from."""

    path: Path
    records: list[T]
    lines: list[int]  # file line of each record, same order
    columns: dict[str, str]  # canonical English column -> header text as written in the file

    def __len__(self) -> int:
        return len(self.records)


@dataclass(frozen=True, slots=True)
class MeetingStream:
    """Meeting records read one at a time, for imports too large to hold in memory."""

    path: Path
    columns: dict[str, str]  # canonical English column -> header text as written in the file
    rows: Iterator[tuple[int, Meeting]]  # (file line, record)


def build_orgs(header: Header, rows: Iterable[list[str]]) -> Parsed[Org]:
    """The organisations of a register's data rows."""
    cells = Cells(header.path, header.columns)
    records: list[Org] = []
    lines: list[int] = []
    seen: dict[str, int] = {}
    p = header.positions
    for line, row in header.rows(rows):
        code = cells.text(line, "code", row[p["code"]])
        if code in seen:
            cells.fail(
                line,
                "code",
                code,
                f"organisation code already used on line {seen[code]} (and again on line "
                f"{line}); give each organisation one row with its own code",
                Code.DUPLICATE_ROW,
            )
        seen[code] = line
        org_type = cells.org_type(line, "type", row[p["type"]])
        parent = row[p["parent"]].strip() or None
        if parent == code:
            cells.fail(
                line,
                "parent",
                parent,
                "an organisation cannot be its own parent; fix the code",
                Code.PARENT_LOOP,
            )
        records.append(
            Org(
                code=code,
                name=cells.text(line, "name", row[p["name"]]),
                type=org_type,
                parent=parent,
                founded=cells.date(line, "founded", row[p["founded"]]),
                party_day=cells.party_day(line, "party_day", row[p["party_day"]]),
                has_committee=cells.boolean(line, "has_committee", row[p["has_committee"]]),
                party_time=cells.party_time(line, "party_time", row[p["party_time"]]),
            )
        )
        lines.append(line)
    return Parsed(header.path, records, lines, header.columns)


def build_members(header: Header, rows: Iterable[list[str]]) -> Parsed[Member]:
    """The members of a register's data rows."""
    cells = Cells(header.path, header.columns)
    records: list[Member] = []
    lines: list[int] = []
    seen: dict[str, int] = {}
    p = header.positions
    for line, row in header.rows(rows):
        member_id = cells.text(line, "id", row[p["id"]])
        if member_id in seen:
            cells.fail(
                line,
                "id",
                member_id,
                f"member id already used on line {seen[member_id]} (and again on line {line}); "
                "give each member one row with their own id",
                Code.DUPLICATE_ROW,
            )
        seen[member_id] = line
        role = cells.role(line, "role", row[p["role"]])
        status = cells.status(line, "status", row[p["status"]])
        records.append(
            Member(
                id=member_id,
                name=cells.text(line, "name", row[p["name"]]),
                org=cells.text(line, "org", row[p["org"]]),
                group=row[p["group"]].strip() or None,
                role=role,
                joined=cells.date(line, "joined", row[p["joined"]]),
                status=status,
                leader=bool(cells.boolean(line, "leader", row[p["leader"]])),
            )
        )
        lines.append(line)
    return Parsed(header.path, records, lines, header.columns)


def build_meetings(
    header: Header,
    rows: Iterable[list[str]],
    *,
    today: dt.date,
    catalog: KindCatalog,
    progress: Callable[[int], None] | None = None,
) -> Parsed[Meeting]:
    """The meeting records of a register's data rows."""
    records: list[Meeting] = []
    lines: list[int] = []
    for line, meeting in meeting_rows(
        header, rows, today=today, catalog=catalog, progress=progress
    ):
        records.append(meeting)
        lines.append(line)
    return Parsed(header.path, records, lines, header.columns)


def meeting_rows(
    header: Header,
    rows: Iterable[list[str]],
    *,
    today: dt.date,
    catalog: KindCatalog,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, Meeting]]:
    """(line, record) for each data row, built as they are consumed; ``progress(rows_read)``
    is called every :data:`PROGRESS_EVERY` rows and at the end."""
    # The hot loop of a million-row import: the few distinct kind, date and count strings
    # are converted once and then looked up, so most rows cost a handful of dict hits.
    cells = Cells(header.path, header.columns)
    kinds_seen: dict[str, frozenset[str]] = {}
    dates_seen: dict[str, dt.date] = {}
    recorded_seen: dict[str, dt.date] = {"": today}
    counts_seen: dict[str, int | None] = {"": None}
    p = header.positions
    i_org, i_kind, i_date = p["org"], p["kind"], p["date"]
    i_expected, i_attended, i_lecturer = p["expected"], p["attended"], p["lecturer"]
    i_topic, i_attendees, i_recorded = p["topic"], p["attendees"], p["recorded"]
    find_attendees = ATTENDEE_RE.findall
    report_at = PROGRESS_EVERY + 1
    line = 1
    for line, row in header.rows(rows):
        org = row[i_org].strip() or cells.text(line, "org", row[i_org])

        cell = row[i_kind]
        kinds = kinds_seen.get(cell)
        if kinds is None:
            kinds = kinds_seen[cell] = cells.kinds(line, "kind", cell, catalog)

        cell = row[i_date]
        date = dates_seen.get(cell)
        if date is None:
            date = dates_seen[cell] = cells.required_date(line, "date", cell)

        cell = row[i_expected]
        expected = counts_seen.get(cell, _UNSEEN)
        if expected == _UNSEEN:
            expected = counts_seen[cell] = cells.count(line, "expected", cell)
        cell = row[i_attended]
        attended = counts_seen.get(cell, _UNSEEN)
        if attended == _UNSEEN:
            attended = counts_seen[cell] = cells.count(line, "attended", cell)
        if attended is not None and expected is not None and attended > expected:
            cells.fail(
                line,
                "attended",
                f"attended {attended}, expected {expected}",
                "more people attended than were expected; correct either number",
                Code.ATTENDED_OVER_EXPECTED,
            )

        cell = row[i_attendees]
        attendees: tuple[str, ...] = ()
        if cell:
            attendees = tuple(dict.fromkeys(find_attendees(cell)))  # an id listed twice is one

        cell = row[i_recorded]
        recorded = recorded_seen.get(cell)
        if recorded is None:
            recorded = recorded_seen[cell] = cells.date(line, "recorded", cell) or today

        yield (
            line,
            Meeting(
                org,
                kinds,
                date,
                expected,
                attended,
                row[i_lecturer].strip() or None,
                row[i_topic].strip() or None,
                attendees,
                recorded,
            ),
        )
        if progress is not None and line >= report_at:
            progress(line - 1)
            report_at += PROGRESS_EVERY
    if progress is not None:
        progress(line - 1)
