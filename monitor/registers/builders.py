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
from typing import Generic, NamedTuple, TypeVar

from monitor.core import limits
from monitor.core.domain import Meeting, Member, Org
from monitor.core.errors import RegisterErrorCode
from monitor.core.kinds import KindCatalog
from monitor.registers.cells import ATTENDEE_RE, CONTROL, Cells
from monitor.registers.columns import Header

T = TypeVar("T")
Code = RegisterErrorCode

PROGRESS_EVERY = 10_000

_UNSEEN = -1  # cache default for counts, which are never negative
_UNSEEN_DATE = dt.date.min  # cache default for dates, which are never this early

# Columns whose text may hold tabs and line breaks (Alt+Enter in an Excel cell).
_FREE_TEXT = frozenset({"topic", "lecturer", "attendees"})
_NO_FREE_TEXT: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """The records read from one register file, with the line each came from."""

    path: Path
    records: list[T]
    lines: list[int]  # file line of each record, same order
    columns: dict[str, str]  # canonical English column -> header text as written in the file
    skipped: tuple[str, ...] = ()  # title rows above the header, as their text

    def __len__(self) -> int:
        return len(self.records)


class MeetingFields(NamedTuple):
    """A record's checked fields as read, named as :class:`Meeting`'s: what an import stages.

    A tuple costs a tenth of a frozen dataclass to build, which a million-row import notices.
    """

    org: str
    kinds: frozenset[str]
    date: dt.date
    expected: int | None
    attended: int | None
    lecturer: str | None
    topic: str | None
    attendees: tuple[str, ...]
    recorded: dt.date | None
    for_period: str | None

    def meeting(self) -> Meeting:
        return Meeting(*self[:9], for_period=self.for_period)


@dataclass(frozen=True, slots=True)
class MeetingStream:
    """Meeting records read one at a time, for imports too large to hold in memory."""

    path: Path
    columns: dict[str, str]  # canonical English column -> header text as written in the file
    fields: Iterator[tuple[int, MeetingFields]]  # (file line, record's fields)
    skipped: tuple[str, ...] = ()  # title rows above the header, as their text

    @property
    def rows(self) -> Iterator[tuple[int, Meeting]]:
        """(file line, record), read from :attr:`fields` as they are consumed."""
        return ((line, fields.meeting()) for line, fields in self.fields)


def build_orgs(
    header: Header, rows: Iterable[list[str]], *, today: dt.date | None = None
) -> Parsed[Org]:
    """The organisations of a register's data rows; ``today`` bounds their dates."""
    cells = Cells(header.path, header.columns, today)
    records: list[Org] = []
    lines: list[int] = []
    seen: dict[str, int] = {}
    p = header.positions
    for line, row in header.rows(rows):
        if CONTROL.search("".join(row)) is not None:
            cells.row(line, p, row, _NO_FREE_TEXT)
        code = cells.text(line, "code", row[p["code"]], limits.ORG_CODE)
        if code in seen:
            cells.fail(
                line,
                "code",
                code,
                f"组织编码“{code}”在第{seen[code]}行已经用过；每个组织只占一行，编码不能重复",
                Code.DUPLICATE_ROW,
            )
        seen[code] = line
        org_type = cells.org_type(line, "type", row[p["type"]])
        parent = cells.optional(line, "parent", row[p["parent"]], limits.ORG_CODE)
        if parent == code:
            cells.fail(
                line,
                "parent",
                parent,
                "组织的上级不能是它自己；请改正上级组织编码",
                Code.PARENT_LOOP,
            )
        records.append(
            Org(
                code=code,
                name=cells.text(line, "name", row[p["name"]], limits.ORG_NAME),
                type=org_type,
                parent=parent,
                founded=cells.date(line, "founded", row[p["founded"]]),
                party_day=cells.party_day(line, "party_day", row[p["party_day"]]),
                has_committee=cells.boolean(line, "has_committee", row[p["has_committee"]]),
                party_time=cells.party_time(line, "party_time", row[p["party_time"]]),
            )
        )
        lines.append(line)
    return Parsed(header.path, records, lines, header.columns, header.skipped)


def build_members(
    header: Header, rows: Iterable[list[str]], *, today: dt.date | None = None
) -> Parsed[Member]:
    """The members of a register's data rows; ``today`` bounds their dates."""
    cells = Cells(header.path, header.columns, today)
    records: list[Member] = []
    lines: list[int] = []
    seen: dict[str, int] = {}
    p = header.positions
    for line, row in header.rows(rows):
        if CONTROL.search("".join(row)) is not None:
            cells.row(line, p, row, _NO_FREE_TEXT)
        member_id = cells.text(line, "id", row[p["id"]], limits.MEMBER_ID)
        if member_id in seen:
            cells.fail(
                line,
                "id",
                member_id,
                f"党员编号“{member_id}”在第{seen[member_id]}行已经用过；每名党员只占一行，"
                "编号不能重复",
                Code.DUPLICATE_ROW,
            )
        seen[member_id] = line
        role = cells.role(line, "role", row[p["role"]])
        status = cells.status(line, "status", row[p["status"]])
        records.append(
            Member(
                id=member_id,
                name=cells.text(line, "name", row[p["name"]], limits.MEMBER_NAME),
                org=cells.text(line, "org", row[p["org"]], limits.ORG_CODE),
                group=cells.optional(line, "group", row[p["group"]], limits.GROUP),
                role=role,
                joined=cells.date(line, "joined", row[p["joined"]]),
                status=status,
                leader=bool(cells.boolean(line, "leader", row[p["leader"]])),
            )
        )
        lines.append(line)
    return Parsed(header.path, records, lines, header.columns, header.skipped)


def build_meetings(
    header: Header,
    rows: Iterable[list[str]],
    *,
    today: dt.date,
    catalog: KindCatalog,
    historical: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Parsed[Meeting]:
    """The meeting records of a register's data rows."""
    records: list[Meeting] = []
    lines: list[int] = []
    for line, fields in meeting_rows(
        header, rows, today=today, catalog=catalog, historical=historical, progress=progress
    ):
        records.append(fields.meeting())
        lines.append(line)
    return Parsed(header.path, records, lines, header.columns, header.skipped)


def meeting_rows(
    header: Header,
    rows: Iterable[list[str]],
    *,
    today: dt.date,
    catalog: KindCatalog,
    historical: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, MeetingFields]]:
    """(line, record's fields) for each data row, built as they are consumed;
    ``progress(rows_read)`` is called every :data:`PROGRESS_EVERY` rows and at the end.

    A record's entry date is ``today``; only ``historical`` (migrating old registers) takes
    the file's 录入日期, a blank one meaning the meeting date. Either way a meeting after
    ``today``, or a 录入日期 before its meeting or after ``today``, is an error.
    """
    # The hot loop of a million-row import: the few distinct kind, date and count strings
    # are converted once and then looked up, so most rows cost a handful of dict hits.
    cells = Cells(header.path, header.columns, today)
    kinds_seen: dict[str, frozenset[str]] = {}
    dates_seen: dict[str, dt.date] = {}
    recorded_seen: dict[str, dt.date | None] = {"": None}
    counts_seen: dict[str, int | None] = {"": None}
    p = header.positions
    i_org, i_kind, i_date = p["org"], p["kind"], p["date"]
    i_expected, i_attended, i_lecturer = p["expected"], p["attended"], p["lecturer"]
    i_topic, i_attendees, i_recorded = p["topic"], p["attendees"], p["recorded"]
    i_for_period = p["for_period"]
    find_attendees = ATTENDEE_RE.findall
    new_fields = tuple.__new__  # the NamedTuple without its Python-level __new__
    check_row = cells.row
    first = header.line  # rows read so far are line - first
    report_at = first + PROGRESS_EVERY
    line = first
    has_control = CONTROL.search
    join = "".join
    for line, row in header.rows(rows):
        if has_control(join(row)) is not None:
            check_row(line, p, row, _FREE_TEXT)
        org = row[i_org].strip() or cells.text(line, "org", row[i_org])
        if len(org) > limits.ORG_CODE:
            cells.length(line, "org", org, limits.ORG_CODE)

        cell = row[i_kind]
        kinds = kinds_seen.get(cell)
        if kinds is None:
            kinds = kinds_seen[cell] = cells.kinds(line, "kind", cell, catalog)

        cell = row[i_date]
        date = dates_seen.get(cell)
        if date is None:
            date = cells.required_date(line, "date", cell)
            if date > today:
                cells.fail(
                    line,
                    "date",
                    cell,
                    f"“{cell.strip()}”晚于今天（{today:%Y-%m-%d}），会议日期不能在将来；请改正日期",
                    Code.FUTURE_MEETING,
                )
            dates_seen[cell] = date

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
                f"实到 {attended}，应到 {expected}",
                f"实到人数 {attended} 多于应到人数 {expected}；请改正其中一个",
                Code.ATTENDED_OVER_EXPECTED,
            )

        cell = row[i_attendees]
        attendees: tuple[str, ...] = ()
        if cell:
            attendees = tuple(dict.fromkeys(find_attendees(cell)))  # an id listed twice is one
            if attendees and max(map(len, attendees)) > limits.MEMBER_ID:
                longest = max(attendees, key=len)
                cells.length(line, "attendees", longest, limits.MEMBER_ID)

        cell = row[i_recorded]
        written = recorded_seen.get(cell, _UNSEEN_DATE)
        if written is _UNSEEN_DATE:
            written = recorded_seen[cell] = cells.date(line, "recorded", cell)
            if written is not None and written > today:
                cells.fail(
                    line,
                    "recorded",
                    cell,
                    f"录入日期“{cell.strip()}”晚于今天（{today:%Y-%m-%d}）；请改正",
                    Code.RECORDED_IN_FUTURE,
                )
        if written is not None and written < date:
            cells.fail(
                line,
                "recorded",
                cell,
                f"录入日期“{cell.strip()}”早于会议日期 {date:%Y-%m-%d}，记录不能在会议之前录入；"
                "请改正日期",
                Code.RECORDED_BEFORE_MEETING,
            )
        recorded = (written or date) if historical else today

        cell = row[i_for_period]
        for_period = cells.for_period(line, "for_period", cell, date) if cell else None

        lecturer = row[i_lecturer].strip() or None
        if lecturer is not None and len(lecturer) > limits.LECTURER:
            cells.length(line, "lecturer", lecturer, limits.LECTURER)
        topic = row[i_topic].strip() or None
        if topic is not None and len(topic) > limits.TOPIC:
            cells.length(line, "topic", topic, limits.TOPIC)

        yield (
            line,
            new_fields(
                MeetingFields,
                (
                    org,
                    kinds,
                    date,
                    expected,
                    attended,
                    lecturer,
                    topic,
                    attendees,
                    recorded,
                    for_period,
                ),
            ),
        )
        if progress is not None and line >= report_at:
            progress(line - first)
            report_at += PROGRESS_EVERY
    if progress is not None:
        progress(line - first)
