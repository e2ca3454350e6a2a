"""What a register cell may hold, and its conversion to a value with errors that say where.

Owns the accepted spellings (org types, roles, statuses, yes/no, date forms) and :class:`Cells`,
whose methods turn one cell's text into a value or raise a :class:`RegisterError` naming the
source, line, column (as its header is written) and the bad value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from monitor.core.domain import MemberStatus, OrgType, Role
from monitor.core.errors import RegisterError, RegisterErrorCode
from monitor.core.kinds import KindCatalog
from monitor.registers.columns import lookup_key, lookup_table

Code = RegisterErrorCode

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
ATTENDEE_RE = re.compile(f"[^{_ATTENDEE_SEPARATOR_CLASS}]+")  # finding ids beats splitting

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
# A time of day: 14:30 (full-width colon too; seconds of :00 as Excel time cells give), or
# 1430 but only in a span (1430-1630): a lone four-digit number is too easily something else.
_CLOCK = r"(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*00)?"
_CLOCK_COMPACT = r"(\d{2})(\d{2})"
_TIME_TO = r"\s*(?:[-~\u2010-\u2015\u2212\u301c\ufe63\uff0d\uff5e]+|至|到)\s*"  # - – — ~ ～ 至 到
_PARTY_TIME_RE = re.compile(f"{_CLOCK}(?:{_TIME_TO}{_CLOCK})?")
_PARTY_TIME_COMPACT_RE = re.compile(f"{_CLOCK_COMPACT}{_TIME_TO}{_CLOCK_COMPACT}")
PARTY_TIME_ALONE = dt.timedelta(hours=2)  # a start alone means a session this long

_ORG_TYPE_KEYS = lookup_table(ORG_TYPES)
_ROLE_KEYS = lookup_table(ROLES)
_STATUS_KEYS = lookup_table(MEMBER_STATUSES)
_BOOLEAN_KEYS = lookup_table(BOOLEANS)


def _accepted(table: Mapping[str, object]) -> str:
    """The ASCII spellings a value map accepts, for Chinese-free error messages."""
    return ", ".join(k for k in table if k.isascii())


class Cells:
    """The cell conversions of one register, raising errors with its context.

    ``name`` is a column's canonical English name; errors name the column as the source's
    header wrote it (``columns``), so the user finds it in their own file.
    """

    __slots__ = ("columns", "path")

    def __init__(self, path: Path, columns: Mapping[str, str]) -> None:
        self.path = path
        self.columns = columns

    def fail(self, line: int, name: str, value: object, message: str, code: Code) -> NoReturn:
        raise RegisterError(
            self.path,
            message,
            code=code,
            line=line,
            column=self.columns.get(name, name),
            value=value,
        )

    def text(self, line: int, name: str, cell: str) -> str:
        """A required text cell, stripped."""
        text = cell.strip()
        if not text:
            self.fail(line, name, cell, f"the {name} is missing; fill it in", Code.MISSING_VALUE)
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
                Code.BAD_DATE,
            )
        else:
            self.fail(
                line,
                name,
                cell,
                "not a date; write it as YYYY-MM-DD (also accepted: YYYY/M/D, YYYY.M.D and "
                "the Chinese year-month-day form)",
                Code.BAD_DATE,
            )
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            self.fail(line, name, cell, "there is no such day; correct the date", Code.NO_SUCH_DAY)

    def required_date(self, line: int, name: str, cell: str) -> dt.date:
        date = self.date(line, name, cell)
        if date is None:
            self.fail(
                line,
                name,
                cell,
                f"the {name} is missing; fill in a date as YYYY-MM-DD",
                Code.MISSING_VALUE,
            )
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
            self.fail(
                line,
                name,
                cell,
                "a number of people cannot be negative; correct it",
                Code.NEGATIVE_COUNT,
            )
        self.fail(
            line,
            name,
            cell,
            "not a whole number of people; write a number such as 12",
            Code.BAD_COUNT,
        )

    def boolean(self, line: int, name: str, cell: str) -> bool | None:
        """是/否 and the other spellings in ``BOOLEANS``; None when blank."""
        text = cell.strip()
        if not text:
            return None
        value = _BOOLEAN_KEYS.get(lookup_key(text))
        if value is None:
            self.fail(
                line,
                name,
                cell,
                f"not a yes/no value; write one of {_accepted(BOOLEANS)} or the Chinese yes/no",
                Code.BAD_BOOLEAN,
            )
        return value

    def org_type(self, line: int, name: str, cell: str) -> OrgType:
        """An organisation type, Chinese or English."""
        org_type = _ORG_TYPE_KEYS.get(lookup_key(cell))
        if org_type is None:
            self.text(line, name, cell)  # blank: says it is missing
            self.fail(
                line,
                name,
                cell,
                f"not an organisation type; write one of {_accepted(ORG_TYPES)} "
                "or the Chinese type name",
                Code.BAD_ORG_TYPE,
            )
        return org_type

    def role(self, line: int, name: str, cell: str) -> Role:
        """A Party role, from the exact title or its ending; blank is an ordinary member."""
        text = cell.strip()
        if not text:
            return Role.MEMBER
        role = _ROLE_KEYS.get(lookup_key(text))
        if role is not None:
            return role
        for suffix, suffixed in ROLE_SUFFIXES:
            if text.endswith(suffix):
                return suffixed
        self.fail(
            line,
            name,
            cell,
            f"not a Party role; write one of {_accepted(ROLES)} or the Chinese title "
            "(a title ending in the Chinese for committee member counts as one)",
            Code.BAD_ROLE,
        )

    def status(self, line: int, name: str, cell: str) -> MemberStatus:
        """A membership status; blank is a full member."""
        if not cell.strip():
            return MemberStatus.FULL
        status = _STATUS_KEYS.get(lookup_key(cell))
        if status is None:
            self.fail(
                line,
                name,
                cell,
                f"not a membership status; write one of {_accepted(MEMBER_STATUSES)} "
                "or the Chinese status (blank means full)",
                Code.BAD_STATUS,
            )
        return status

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
            Code.BAD_PARTY_DAY,
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
                Code.BAD_PARTY_TIME,
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
                    Code.BAD_PARTY_TIME,
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
                Code.BAD_PARTY_TIME,
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
                Code.BAD_PARTY_TIME,
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
                Code.UNKNOWN_KIND,
            )
        return frozenset(parsed)
