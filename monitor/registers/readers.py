"""Read the registers (orgs, members, meeting records) from CSV or XLSX into domain objects.

A register is a table whose line 1 is the header. Headers may be English or Chinese (see
``ORG_COLUMNS``, ``MEMBER_COLUMNS`` and ``MEETING_COLUMNS``); unknown columns are ignored.
A single bad row makes the whole file fail with a ``RegisterError`` naming the file, the
line, the column (as its header is written) and the bad value.

Line numbers: the header is line 1 and every row after it adds one. For CSV a row is what
the ``csv`` module yields, so a quoted cell spanning several physical lines still counts as
one row; for XLSX the line is the sheet's row number.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, NoReturn, TypeVar

from monitor.core.domain import Meeting, Member, MemberStatus, Org, OrgType, Role
from monitor.core.errors import RegisterError
from monitor.core.kinds import DEFAULT_CATALOG, KindCatalog

T = TypeVar("T")

# --------------------------------------------------------------------------- columns


@dataclass(frozen=True, slots=True)
class Column:
    """One register column: its canonical English name and the Chinese headers accepted."""

    name: str
    zh: tuple[str, ...]  # the first is the one templates use
    required: bool = False
    help: str = ""  # what the column holds, for CLI help and the README


ORG_COLUMNS: tuple[Column, ...] = (
    Column("code", ("组织编码", "党组织编码"), True, "the organisation's unique code"),
    Column("name", ("组织名称", "党组织名称"), True, "full name"),
    Column("type", ("组织类型", "党组织类型"), True, "党委, 党总支, 党支部 or 党小组"),
    Column("parent", ("上级组织编码", "上级党组织编码"), False, "code of the parent organisation"),
    Column("founded", ("成立日期", "成立时间"), False, "date the organisation was founded"),
    Column(
        "party_day",
        ("主题党日",),
        False,
        "fixed themed party day: a day of month (15) or an RFC 5545 BYDAY value (1FR, -1FR)",
    ),
    Column("has_committee", ("设支委会", "是否设支委会"), False, "是/否: has a branch committee"),
    Column(
        "party_time",
        ("主题党日时间", "主题党日活动时间", "活动时间"),
        False,
        "time of the themed party day: start and end (14:30-16:30), or a start alone (14:30) "
        "for a two-hour session; blank: the rule's default",
    ),
)

MEMBER_COLUMNS: tuple[Column, ...] = (
    Column("id", ("党员编号",), True, "the member's unique id"),
    Column("name", ("姓名", "党员姓名"), True, "full name"),
    Column("org", ("所在组织编码", "所在支部编码"), True, "code of the member's branch"),
    Column("group", ("所在党小组", "党小组编码"), False, "code of the member's party group"),
    Column("role", ("职务", "党内职务"), False, "书记, 副书记, 委员 (or any ...委员) or 党员"),
    Column("joined", ("入党日期", "入党时间"), False, "date the member joined the Party"),
    Column("status", ("党员类型", "党员状态"), False, "正式党员 or 预备党员 (blank: 正式党员)"),
    Column("leader", ("领导干部", "是否领导干部"), False, "是/否: is a leading cadre"),
)

MEETING_COLUMNS: tuple[Column, ...] = (
    Column("org", ("组织编码", "党组织编码"), True, "code of the organisation that met"),
    Column("kind", ("会议类型", "活动类型"), True, "meeting kind; combine with + (主题党日+党课)"),
    Column("date", ("日期", "会议日期", "活动日期"), True, "date the meeting was held"),
    Column("expected", ("应到人数",), False, "number of people expected"),
    Column("attended", ("实到人数",), False, "number of people who attended"),
    Column("lecturer", ("授课人",), False, "who gave the party lesson"),
    Column("topic", ("主题", "会议主题"), False, "topic"),
    Column("attendees", ("参会人员",), False, "member ids separated by ; 、 , or spaces"),
    Column("recorded", ("录入日期",), False, "date the record was entered (blank: today)"),
)

# ---------------------------------------------------------------------------- values

ORG_TYPES: Mapping[str, OrgType] = {
    "党委": OrgType.COMMITTEE,
    "党总支": OrgType.GENERAL_BRANCH,
    "党总支部": OrgType.GENERAL_BRANCH,
    "党支部": OrgType.BRANCH,
    "支部": OrgType.BRANCH,
    "党小组": OrgType.GROUP,
    **{t.value: t for t in OrgType},
}

ROLES: Mapping[str, Role] = {
    "书记": Role.SECRETARY,
    "副书记": Role.DEPUTY_SECRETARY,
    "委员": Role.COMMITTEE_MEMBER,
    "党员": Role.MEMBER,
    **{r.value: r for r in Role},
}
# Registers write the full title (支部书记, 组织委员, 纪检委员, 普通党员...): the ending decides.
# Order matters: 副书记 also ends in 书记.
ROLE_SUFFIXES: tuple[tuple[str, Role], ...] = (
    ("副书记", Role.DEPUTY_SECRETARY),
    ("书记", Role.SECRETARY),
    ("委员", Role.COMMITTEE_MEMBER),
    ("党员", Role.MEMBER),
)

MEMBER_STATUSES: Mapping[str, MemberStatus] = {
    "正式党员": MemberStatus.FULL,
    "正式": MemberStatus.FULL,
    "预备党员": MemberStatus.PROBATIONARY,
    "预备": MemberStatus.PROBATIONARY,
    **{s.value: s for s in MemberStatus},
}

BOOLEANS: Mapping[str, bool] = {
    "是": True,
    "否": False,
    "有": True,
    "无": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
    "√": True,
    "✓": True,
    "✔": True,
    "×": False,
    "✗": False,
    "✘": False,
}

DATE_FORMATS: tuple[str, ...] = ("2026-03-10", "2026/3/10", "2026.3.10", "2026年3月10日")

# Separators between member ids in the attendees cell (kinds use KindCatalog's own).
_ATTENDEE_SEPARATOR_CLASS = r";；、,，\s"
ATTENDEE_SEPARATORS = re.compile(f"[{_ATTENDEE_SEPARATOR_CLASS}]+")
_ATTENDEE_RE = re.compile(f"[^{_ATTENDEE_SEPARATOR_CLASS}]+")  # finding ids beats splitting

ACCEPTED_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx")

# CSV is tried as UTF-8 (a BOM is dropped) first, then as GB18030, a superset of GBK.
CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")

PROGRESS_EVERY = 10_000

_DATE_RE = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"  # a midnight time some exports append
)
_DATE_ZH_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
_NUMBER_RE = re.compile(r"[-+]?\d+(?:\.\d*)?")
_COUNT_RE = re.compile(r"(\d+)(?:\.0*)?\s*人?")
_NEGATIVE_RE = re.compile(r"-\s*\d+(?:\.\d*)?\s*人?")
_DAY_OF_MONTH_RE = re.compile(r"(\d{1,2})\s*[日号]?")
_BYDAY_RE = re.compile(r"([-+]?)([1-5])(MO|TU|WE|TH|FR|SA|SU)", re.IGNORECASE)
_KEY_JUNK = re.compile(r"[\s_\-\ufeff]+")
# A time of day: 14:30 (full-width colon too; seconds of :00 as Excel time cells give), or
# 1430 but only in a span (1430-1630): a lone four-digit number is too easily something else.
_CLOCK = r"(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*00)?"
_CLOCK_COMPACT = r"(\d{2})(\d{2})"
_TIME_TO = r"\s*(?:[-~\u2010-\u2015\u2212\u301c\ufe63\uff0d\uff5e]+|至|到)\s*"  # - – — ~ ～ 至 到
_PARTY_TIME_RE = re.compile(f"{_CLOCK}(?:{_TIME_TO}{_CLOCK})?")
_PARTY_TIME_COMPACT_RE = re.compile(f"{_CLOCK_COMPACT}{_TIME_TO}{_CLOCK_COMPACT}")
PARTY_TIME_ALONE = dt.timedelta(hours=2)  # a start alone means a session this long

_UNSEEN = -1  # cache default for counts, which are never negative


def _key(text: str) -> str:
    """Normalise a header or value for lookup: no whitespace, underscores or dashes; lower case."""
    return _KEY_JUNK.sub("", text).lower()


def _lookup(table: Mapping[str, T]) -> dict[str, T]:
    return {_key(k): v for k, v in table.items()}


_ORG_TYPE_KEYS = _lookup(ORG_TYPES)
_ROLE_KEYS = _lookup(ROLES)
_STATUS_KEYS = _lookup(MEMBER_STATUSES)
_BOOLEAN_KEYS = _lookup(BOOLEANS)


def _accepted(table: Mapping[str, object]) -> str:
    """The ASCII spellings a value map accepts, for Chinese-free error messages."""
    return ", ".join(k for k in table if k.isascii())


# ---------------------------------------------------------------------------- result


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """The records read from one register file, with the line each came from."""

    path: Path
    records: list[T]
    lines: list[int]  # file line of each record, same order
    columns: dict[str, str]  # canonical English column -> header text as written in the file

    def __len__(self) -> int:
        return len(self.records)


# ----------------------------------------------------------------------------- table


class _Table:
    """A register's header resolved to column positions, and the cell conversions with context.

    Every row is fitted to ``width + 1`` cells: the header's cells plus one always-empty cell
    that columns absent from the file point at, so row loops need no per-column checks.
    """

    __slots__ = ("columns", "key", "path", "positions", "width")

    def __init__(self, path: Path, header: list[str], spec: tuple[Column, ...]) -> None:
        self.path = path
        self.width = len(header)
        self.positions: dict[str, int] = {}
        self.columns: dict[str, str] = {}
        names = {_key(alias): c.name for c in spec for alias in (c.name, *c.zh)}
        for index, text in enumerate(header):
            name = names.get(_key(text))
            if name is None:
                continue  # unknown columns are ignored
            if name in self.columns:
                raise RegisterError(
                    path,
                    f"the header names the {name!r} column twice, as {self.columns[name]!r} "
                    f"and {text!r}; keep one of them",
                    line=1,
                    column=text,
                )
            self.positions[name] = index
            self.columns[name] = text
        for column in spec:
            if column.required and column.name not in self.positions:
                raise RegisterError(
                    path,
                    f"the required column {column.name!r} (Chinese header {column.zh[0]!r}) "
                    "is missing; add it to the header on line 1",
                    line=1,
                    column=column.name,
                )
            self.positions.setdefault(column.name, self.width)
        # The first required column: a row whose cell there is blank may be a blank row.
        self.key = self.positions[next(c.name for c in spec if c.required)]

    def fit(self, row: list[str]) -> list[str]:
        """The row cut or padded to the header's width, plus the always-empty cell."""
        if len(row) == self.width:
            row.append("")
            return row
        row = row[: self.width]
        row.extend([""] * (self.width + 1 - len(row)))
        return row

    def rows(self, rows: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
        """(line, fitted row) for each data row, skipping blank ones; ``rows`` follow the header."""
        line = 1
        width, key = self.width, self.key
        try:
            for row in rows:
                line += 1
                if len(row) == width:
                    row.append("")
                else:
                    row = self.fit(row)
                # The full blank check only runs when the key cell is empty, which is rare.
                if not row[key].strip() and not "".join(row).strip():
                    continue
                yield line, row
        except csv.Error as error:
            raise RegisterError(
                self.path,
                f"malformed CSV ({error}); check the quoting and length of this row",
                line=line + 1,
            ) from error

    def fail(self, line: int, name: str, value: object, message: str) -> NoReturn:
        raise RegisterError(
            self.path, message, line=line, column=self.columns.get(name, name), value=value
        )

    def text(self, line: int, name: str, cell: str) -> str:
        """A required text cell, stripped."""
        text = cell.strip()
        if not text:
            self.fail(line, name, cell, f"the {name} is missing; fill it in")
        return text

    def date(self, line: int, name: str, cell: str) -> dt.date | None:
        """A date in any accepted format; None when blank."""
        text = cell.strip()
        if not text:
            return None
        if len(text) == 10 and text[4] == "-":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass  # may still be a real date with the wrong day; the regex says which
        match = _DATE_RE.fullmatch(text)
        if match is not None:
            year, month, day = match.group(1, 3, 4)
        elif (match := _DATE_ZH_RE.fullmatch(text)) is not None:
            year, month, day = match.group(1, 2, 3)
        elif _NUMBER_RE.fullmatch(text):
            self.fail(
                line,
                name,
                cell,
                "a number is not a date (an Excel serial date?); write the date as YYYY-MM-DD, "
                "or format the column as dates in Excel before saving",
            )
        else:
            self.fail(
                line,
                name,
                cell,
                "not a date; write it as YYYY-MM-DD (also accepted: YYYY/M/D, YYYY.M.D and "
                "the Chinese year-month-day form)",
            )
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            self.fail(line, name, cell, "there is no such day; correct the date")

    def required_date(self, line: int, name: str, cell: str) -> dt.date:
        date = self.date(line, name, cell)
        if date is None:
            self.fail(line, name, cell, f"the {name} is missing; fill in a date as YYYY-MM-DD")
        return date

    def count(self, line: int, name: str, cell: str) -> int | None:
        """A head count: ``12``, ``12.0`` or ``12人``; None when blank."""
        text = cell.strip()
        if not text:
            return None
        match = _COUNT_RE.fullmatch(text)
        if match is not None:
            return int(match.group(1))
        if _NEGATIVE_RE.fullmatch(text):
            self.fail(line, name, cell, "a number of people cannot be negative; correct it")
        self.fail(line, name, cell, "not a whole number of people; write a number such as 12")

    def boolean(self, line: int, name: str, cell: str) -> bool | None:
        """是/否 and the other spellings in ``BOOLEANS``; None when blank."""
        text = cell.strip()
        if not text:
            return None
        value = _BOOLEAN_KEYS.get(_key(text))
        if value is None:
            self.fail(
                line,
                name,
                cell,
                f"not a yes/no value; write one of {_accepted(BOOLEANS)} or the Chinese yes/no",
            )
        return value

    def party_day(self, line: int, name: str, cell: str) -> str | None:
        """A day of month (``15``) or an RFC 5545 BYDAY value (``-1FR``), normalised."""
        text = cell.strip()
        if not text:
            return None
        if (match := _DAY_OF_MONTH_RE.fullmatch(text)) is not None:
            day = int(match.group(1))
            if 1 <= day <= 31:
                return str(day)
        elif (match := _BYDAY_RE.fullmatch(text)) is not None:
            sign, ordinal, weekday = match.groups()
            return f"{'-' if sign == '-' else ''}{ordinal}{weekday.upper()}"
        self.fail(
            line,
            name,
            cell,
            "not a party day; write a day of the month (1 to 31) or an ordinal weekday such as "
            "1FR (first Friday), 2MO or -1FR (last Friday)",
        )

    def party_time(self, line: int, name: str, cell: str) -> tuple[dt.time, dt.time] | None:
        """A session's (start, end): ``14:30-16:30`` and variants, or ``14:30`` for two hours."""
        text = cell.strip()
        if not text:
            return None
        match = _PARTY_TIME_RE.fullmatch(text) or _PARTY_TIME_COMPACT_RE.fullmatch(text)
        if match is None:
            self.fail(
                line,
                name,
                cell,
                "not a time span; write the start and end as HH:MM-HH:MM, such as 14:30-16:30, "
                "or the start alone, such as 14:30, for a two-hour session",
            )
        start_hour, start_minute, end_hour, end_minute = match.groups()
        start = self._clock(line, name, cell, start_hour, start_minute)
        if end_hour is None:
            until = dt.datetime.combine(dt.date(2000, 1, 1), start) + PARTY_TIME_ALONE
            if until.day != 1:
                self.fail(
                    line,
                    name,
                    cell,
                    "a start alone means a two-hour session, which would run past midnight; "
                    "write the start and end, such as 14:30-16:30",
                )
            return start, until.time()
        end = self._clock(line, name, cell, end_hour, end_minute)
        if end <= start:
            self.fail(
                line,
                name,
                cell,
                f"the end {end:%H:%M} is not later than the start {start:%H:%M}; write the "
                "start first, such as 14:30-16:30",
            )
        return start, end

    def _clock(self, line: int, name: str, cell: str, hour: str, minute: str) -> dt.time:
        try:
            return dt.time(int(hour), int(minute))
        except ValueError:
            self.fail(
                line,
                name,
                cell,
                f"{int(hour)}:{int(minute):02d} is not a time of day (hours run 0-23, minutes "
                "0-59); write it such as 14:30-16:30",
            )

    def kinds(self, line: int, name: str, cell: str, catalog: KindCatalog) -> frozenset[str]:
        """The kind ids a (possibly combined) kind cell names."""
        text = self.text(line, name, cell)
        parsed = catalog.parse(text)
        if isinstance(parsed, str):
            accepted = ", ".join(kind.id for kind in catalog)
            self.fail(
                line,
                name,
                parsed,
                f"not a meeting kind; write one of {accepted} or its Chinese name, "
                "joining the kinds of a combined session with '+'",
            )
        return frozenset(parsed)


# ----------------------------------------------------------------------------- files


def _cell_text(value: object) -> str:
    """An XLSX cell value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps every number as a float: 12.0 is 12
    return str(value)


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise RegisterError(
            path,
            f"unsupported file type {path.suffix or '(none)'!r}; registers must be CSV (.csv, "
            "UTF-8 or GB18030/GBK) or Excel workbooks (.xlsx); save .xls files as .xlsx",
        )
    return suffix


def _undecodable(path: Path) -> RegisterError:
    """The error for a CSV that is neither UTF-8 nor GB18030, with the first bad byte's offset."""
    data = path.read_bytes()
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    return RegisterError(
        path,
        f"cannot be read as text: the byte at offset {_bad_byte(data, 'utf-8', bom)} is not "
        f"valid UTF-8 and the byte at offset {_bad_byte(data, 'gb18030')} is not valid GB18030; "
        "save the file as CSV UTF-8",
    )


def _bad_byte(data: bytes, encoding: str, start: int = 0) -> int | None:
    """Offset in ``data`` of the first byte that does not decode, or None if all of it does."""
    try:
        data[start:].decode(encoding)
    except UnicodeDecodeError as error:
        return start + error.start
    return None


def _read(
    path: Path,
    spec: tuple[Column, ...],
    build: Callable[[_Table, Iterator[list[str]]], Parsed[T]],
) -> Parsed[T]:
    """Open a register, resolve its header and let ``build`` turn the data rows into records."""
    path = Path(path)
    suffix = _check_suffix(path)
    with _collector_paused():
        if suffix == ".xlsx":
            return _read_xlsx(path, spec, build)
        return _read_csv(path, spec, build)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while records are built.

    A million records mean millions of new objects, none in a reference cycle; the collector
    would keep scanning the growing heap for nothing and take a third of the import's time.
    The switch is process-wide, so it is restored (if it was on) however the read ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_csv(
    path: Path,
    spec: tuple[Column, ...],
    build: Callable[[_Table, Iterator[list[str]]], Parsed[T]],
) -> Parsed[T]:
    for encoding in CSV_ENCODINGS:
        try:
            file = path.open(encoding=encoding, newline="")
        except FileNotFoundError as error:
            raise RegisterError(path, "no such file; check the path") from error
        except OSError as error:
            raise RegisterError(path, f"cannot be read ({error.strerror})") from error
        with file:
            try:
                rows = csv.reader(file)
                return build(_Table(path, _header(path, rows), spec), rows)
            except UnicodeDecodeError:
                # Decoding is lazy, so a non-UTF-8 byte can surface after some rows were built
                # (and progress reported); those are dropped and the file is read again.
                continue
    raise _undecodable(path)


def _header(path: Path, rows: Iterator[list[str]]) -> list[str]:
    try:
        header = next(rows, None)
    except csv.Error as error:
        raise RegisterError(path, f"malformed CSV header ({error})", line=1) from error
    if header is None or not "".join(header).strip():
        raise RegisterError(path, "line 1 must be the header, but it is empty", line=1)
    if header[0].startswith("\ufeff"):  # a BOM left by an encoding other than UTF-8
        header[0] = header[0][1:]
    return header


def _read_xlsx(
    path: Path,
    spec: tuple[Column, ...],
    build: Callable[[_Table, Iterator[list[str]]], Parsed[T]],
) -> Parsed[T]:
    workbook = _open_workbook(path)
    try:
        rows = _sheet_rows(path, workbook)
        return build(_Table(path, _header(path, rows), spec), rows)
    finally:
        workbook.close()


def _open_workbook(path: Path) -> Any:
    from openpyxl import load_workbook  # slow to import; only XLSX needs it

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as error:
        raise RegisterError(path, "no such file; check the path") from error
    except Exception as error:  # openpyxl raises zip, XML and key errors for damaged files
        raise RegisterError(
            path, f"cannot be opened as an Excel workbook ({type(error).__name__}); re-save it"
        ) from error


def _sheet_rows(path: Path, workbook: Any) -> Iterator[list[str]]:
    """The first sheet's rows as text cells."""
    if not workbook.worksheets:
        raise RegisterError(path, "the workbook has no worksheet")
    sheet = workbook.worksheets[0]
    return ([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))


# --------------------------------------------------------------------------- readers


def read_orgs(path: Path) -> Parsed[Org]:
    """Read the organisations register."""
    return _read(path, ORG_COLUMNS, _build_orgs)


def _build_orgs(table: _Table, rows: Iterator[list[str]]) -> Parsed[Org]:
    records: list[Org] = []
    lines: list[int] = []
    seen: dict[str, int] = {}
    p = table.positions
    for line, row in table.rows(rows):
        code = table.text(line, "code", row[p["code"]])
        if code in seen:
            table.fail(
                line,
                "code",
                code,
                f"organisation code already used on line {seen[code]} (and again on line "
                f"{line}); give each organisation one row with its own code",
            )
        seen[code] = line
        type_cell = row[p["type"]]
        org_type = _ORG_TYPE_KEYS.get(_key(type_cell))
        if org_type is None:
            table.text(line, "type", type_cell)  # blank: says it is missing
            table.fail(
                line,
                "type",
                type_cell,
                f"not an organisation type; write one of {_accepted(ORG_TYPES)} "
                "or the Chinese type name",
            )
        parent = row[p["parent"]].strip() or None
        if parent == code:
            table.fail(
                line, "parent", parent, "an organisation cannot be its own parent; fix the code"
            )
        records.append(
            Org(
                code=code,
                name=table.text(line, "name", row[p["name"]]),
                type=org_type,
                parent=parent,
                founded=table.date(line, "founded", row[p["founded"]]),
                party_day=table.party_day(line, "party_day", row[p["party_day"]]),
                has_committee=table.boolean(line, "has_committee", row[p["has_committee"]]),
                party_time=table.party_time(line, "party_time", row[p["party_time"]]),
            )
        )
        lines.append(line)
    return Parsed(table.path, records, lines, table.columns)


def read_members(path: Path) -> Parsed[Member]:
    """Read the members register."""
    return _read(path, MEMBER_COLUMNS, _build_members)


def _role(cell: str) -> Role | None:
    text = cell.strip()
    if not text:
        return Role.MEMBER
    role = _ROLE_KEYS.get(_key(text))
    if role is not None:
        return role
    for suffix, suffixed in ROLE_SUFFIXES:
        if text.endswith(suffix):
            return suffixed
    return None


def _build_members(table: _Table, rows: Iterator[list[str]]) -> Parsed[Member]:
    records: list[Member] = []
    lines: list[int] = []
    seen: dict[str, int] = {}
    p = table.positions
    for line, row in table.rows(rows):
        member_id = table.text(line, "id", row[p["id"]])
        if member_id in seen:
            table.fail(
                line,
                "id",
                member_id,
                f"member id already used on line {seen[member_id]} (and again on line {line}); "
                "give each member one row with their own id",
            )
        seen[member_id] = line
        role = _role(row[p["role"]])
        if role is None:
            table.fail(
                line,
                "role",
                row[p["role"]],
                f"not a Party role; write one of {_accepted(ROLES)} or the Chinese title "
                "(a title ending in the Chinese for committee member counts as one)",
            )
        status_cell = row[p["status"]]
        status = _STATUS_KEYS.get(_key(status_cell)) if status_cell.strip() else MemberStatus.FULL
        if status is None:
            table.fail(
                line,
                "status",
                status_cell,
                f"not a membership status; write one of {_accepted(MEMBER_STATUSES)} "
                "or the Chinese status (blank means full)",
            )
        records.append(
            Member(
                id=member_id,
                name=table.text(line, "name", row[p["name"]]),
                org=table.text(line, "org", row[p["org"]]),
                group=row[p["group"]].strip() or None,
                role=role,
                joined=table.date(line, "joined", row[p["joined"]]),
                status=status,
                leader=bool(table.boolean(line, "leader", row[p["leader"]])),
            )
        )
        lines.append(line)
    return Parsed(table.path, records, lines, table.columns)


def read_meetings(
    path: Path,
    *,
    today: dt.date,
    catalog: KindCatalog = DEFAULT_CATALOG,
    progress: Callable[[int], None] | None = None,
) -> Parsed[Meeting]:
    """Read the meeting records; ``progress(rows_read)`` is called every ~10k rows."""

    def build(table: _Table, rows: Iterator[list[str]]) -> Parsed[Meeting]:
        return _build_meetings(table, rows, today, catalog, progress)

    return _read(path, MEETING_COLUMNS, build)


def _build_meetings(
    table: _Table,
    rows: Iterator[list[str]],
    today: dt.date,
    catalog: KindCatalog,
    progress: Callable[[int], None] | None,
) -> Parsed[Meeting]:
    records: list[Meeting] = []
    lines: list[int] = []
    for line, meeting in _meeting_rows(table, rows, today, catalog, progress):
        records.append(meeting)
        lines.append(line)
    return Parsed(table.path, records, lines, table.columns)


def _meeting_rows(
    table: _Table,
    rows: Iterator[list[str]],
    today: dt.date,
    catalog: KindCatalog,
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[int, Meeting]]:
    # The hot loop of a million-row import: the few distinct kind, date and count strings
    # are converted once and then looked up, so most rows cost a handful of dict hits.
    kinds_seen: dict[str, frozenset[str]] = {}
    dates_seen: dict[str, dt.date] = {}
    recorded_seen: dict[str, dt.date] = {"": today}
    counts_seen: dict[str, int | None] = {"": None}
    p = table.positions
    i_org, i_kind, i_date = p["org"], p["kind"], p["date"]
    i_expected, i_attended, i_lecturer = p["expected"], p["attended"], p["lecturer"]
    i_topic, i_attendees, i_recorded = p["topic"], p["attendees"], p["recorded"]
    find_attendees = _ATTENDEE_RE.findall
    report_at = PROGRESS_EVERY + 1
    line = 1
    for line, row in table.rows(rows):
        org = row[i_org].strip() or table.text(line, "org", row[i_org])

        cell = row[i_kind]
        kinds = kinds_seen.get(cell)
        if kinds is None:
            kinds = kinds_seen[cell] = table.kinds(line, "kind", cell, catalog)

        cell = row[i_date]
        date = dates_seen.get(cell)
        if date is None:
            date = dates_seen[cell] = table.required_date(line, "date", cell)

        cell = row[i_expected]
        expected = counts_seen.get(cell, _UNSEEN)
        if expected == _UNSEEN:
            expected = counts_seen[cell] = table.count(line, "expected", cell)
        cell = row[i_attended]
        attended = counts_seen.get(cell, _UNSEEN)
        if attended == _UNSEEN:
            attended = counts_seen[cell] = table.count(line, "attended", cell)
        if attended is not None and expected is not None and attended > expected:
            table.fail(
                line,
                "attended",
                f"attended {attended}, expected {expected}",
                "more people attended than were expected; correct either number",
            )

        cell = row[i_attendees]
        attendees: tuple[str, ...] = ()
        if cell:
            attendees = tuple(dict.fromkeys(find_attendees(cell)))  # an id listed twice is one

        cell = row[i_recorded]
        recorded = recorded_seen.get(cell)
        if recorded is None:
            recorded = recorded_seen[cell] = table.date(line, "recorded", cell) or today

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


@dataclass(frozen=True, slots=True)
class MeetingStream:
    """Meeting records read one at a time, for imports too large to hold in memory."""

    path: Path
    columns: dict[str, str]  # canonical English column -> header text as written in the file
    rows: Iterator[tuple[int, Meeting]]  # (file line, record)


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
    path = Path(path)
    suffix = _check_suffix(path)
    with _collector_paused():
        if suffix == ".xlsx":
            workbook = _open_workbook(path)
            try:
                rows = _sheet_rows(path, workbook)
                table = _Table(path, _header(path, rows), MEETING_COLUMNS)
                yield MeetingStream(
                    path, table.columns, _meeting_rows(table, rows, today, catalog, progress)
                )
            finally:
                workbook.close()
            return
        with path.open(encoding=_csv_encoding(path), newline="") as file:
            rows = csv.reader(file)
            table = _Table(path, _header(path, rows), MEETING_COLUMNS)
            yield MeetingStream(
                path, table.columns, _meeting_rows(table, rows, today, catalog, progress)
            )


def _csv_encoding(path: Path) -> str:
    """The first of :data:`CSV_ENCODINGS` that decodes the whole file."""
    for encoding in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            with path.open("rb") as file:
                while chunk := file.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except FileNotFoundError as error:
            raise RegisterError(path, "no such file; check the path") from error
        except OSError as error:
            raise RegisterError(path, f"cannot be read ({error.strerror})") from error
        except UnicodeDecodeError:
            continue
        return encoding
    raise _undecodable(path)


# ------------------------------------------------------------------------- estimates


def count_rows(path: Path) -> int | None:
    """A cheap estimate of a register's data rows, for a progress bar; None if unknown."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            newlines, last = 0, b"\n"
            with path.open("rb") as file:
                while chunk := file.read(1 << 20):
                    newlines += chunk.count(b"\n")
                    last = chunk[-1:]
            lines = newlines + (last != b"\n")  # a last line without its newline
            return max(lines - 1, 0)
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            workbook = load_workbook(path, read_only=True, data_only=True)
            try:
                # The sheet's recorded dimension; not every writer records one.
                max_row = workbook.worksheets[0].max_row if workbook.worksheets else None
            finally:
                workbook.close()
            return None if max_row is None else max(max_row - 1, 0)
    except Exception:  # an estimate only: the real read reports what is wrong with the file
        return None
    return None
