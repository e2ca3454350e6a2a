"""What a register cell may hold, and its conversion to a value with errors that say where.

Owns the accepted spellings (org types, roles, statuses, yes/no, date forms) and :class:`Cells`,
whose methods turn one cell's text into a value or raise a :class:`RegisterError` naming the
source, line, column (as its header is written) and the bad value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from monitor.core import limits
from monitor.core.domain import MemberStatus, OrgType, Role
from monitor.core.errors import RegisterError, RegisterErrorCode, shown
from monitor.core.kinds import KindCatalog
from monitor.core.periods import Period
from monitor.registers.columns import lookup_key, lookup_table

Code = RegisterErrorCode

ORG_TYPES: Mapping[str, OrgType] = {
    "党委": OrgType.COMMITTEE,
    # Committees under other names count as a 党委 (a Party working committee, a leading Party
    # group, an organ Party committee).
    "党工委": OrgType.COMMITTEE,
    "党组": OrgType.COMMITTEE,
    "机关党委": OrgType.COMMITTEE,
    "党总支": OrgType.GENERAL_BRANCH,
    "党总支部": OrgType.GENERAL_BRANCH,
    "总支": OrgType.GENERAL_BRANCH,
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
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",  # a midnight time some exports append
    re.ASCII,
)
_DATE_ZH_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?", re.ASCII)
_NUMBER_RE = re.compile(r"[-+]?\d+(?:\.\d*)?", re.ASCII)
_COUNT_RE = re.compile(r"(\d+)(?:\.0*)?\s*人?", re.ASCII)
_NEGATIVE_RE = re.compile(r"-\s*\d+(?:\.\d*)?\s*人?", re.ASCII)
_DAY_OF_MONTH_RE = re.compile(r"(\d{1,2})\s*[日号]?", re.ASCII)
_BYDAY_RE = re.compile(r"([-+]?)([1-5])(MO|TU|WE|TH|FR|SA|SU)", re.IGNORECASE | re.ASCII)
# A time of day: 14:30 (full-width colon too; seconds of :00 as Excel time cells give), or
# 1430 but only in a span (1430-1630): a lone four-digit number is too easily something else.
_CLOCK = r"(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*00)?"
_CLOCK_COMPACT = r"(\d{2})(\d{2})"
_TIME_TO = r"\s*(?:[-~\u2010-\u2015\u2212\u301c\ufe63\uff0d\uff5e]+|至|到)\s*"  # - – — ~ ～ 至 到
_PARTY_TIME_RE = re.compile(f"{_CLOCK}(?:{_TIME_TO}{_CLOCK})?", re.ASCII)
_PARTY_TIME_COMPACT_RE = re.compile(f"{_CLOCK_COMPACT}{_TIME_TO}{_CLOCK_COMPACT}", re.ASCII)
PARTY_TIME_ALONE = dt.timedelta(hours=2)  # a start alone means a session this long

# A period label as the store keeps it, or as a secretary writes it (2025年第四季度).
_PERIOD_ZH_RE = re.compile(
    r"(\d{4})\s*年度?\s*(?:第?([一二三四1-4])\s*季度|([上下])\s*半年|(\d{1,2})\s*月(?:份)?)?",
    re.ASCII,
)
_PERIOD_RE = re.compile(r"(\d{4})(?:-(?:(\d{1,2})|([BQHbqh])(\d)))?", re.ASCII)
_ZH_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}

# Characters no register cell may hold: C0 and C1 controls, DEL and lone surrogates. Free
# text (topics, names) may still hold tabs and line breaks (Alt+Enter in Excel); codes may not.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

_ORG_TYPE_KEYS = lookup_table(ORG_TYPES)
_ROLE_KEYS = lookup_table(ROLES)
_STATUS_KEYS = lookup_table(MEMBER_STATUSES)
_BOOLEAN_KEYS = lookup_table(BOOLEANS)


def _accepted(table: Mapping[str, object]) -> str:
    """The Chinese spellings a value map accepts, for error messages."""
    return "、".join(k for k in table if not k.isascii())


def digits(text: str) -> str:
    """A numeric or date cell with full-width digits and punctuation made ASCII (NFKC):
    ``１２３４－０１－０１`` is ``1234-01-01``, judged as that would be."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


class Cells:
    """The cell conversions of one register, raising errors with its context.

    ``name`` is a column's canonical English name; errors name the column as the source's
    header wrote it (``columns``), so the user finds it in their own file. ``today`` bounds
    dates (a year ahead at most); None leaves only the lower bound.
    """

    __slots__ = ("columns", "latest", "path")

    def __init__(
        self, path: Path, columns: Mapping[str, str], today: dt.date | None = None
    ) -> None:
        self.path = path
        self.columns = columns
        self.latest = None if today is None else limits.latest_date(today)

    def fail(self, line: int, name: str, value: object, message: str, code: Code) -> NoReturn:
        raise RegisterError(
            self.path,
            message,
            code=code,
            line=line,
            column=self.columns.get(name, name),
            value=value,
        )

    def label(self, name: str) -> str:
        """The column as the header wrote it, for messages."""
        return self.columns.get(name, name)

    def row(
        self, line: int, names: Mapping[str, int], row: list[str], free: frozenset[str]
    ) -> None:
        """Refuse the row's control characters: in free text (``free`` columns) only
        tabs and line breaks are allowed. Cheap when the row is clean (one search)."""
        for name, index in names.items():
            cell = row[index]
            found = (_CONTROL_IN_TEXT if name in free else CONTROL).search(cell)
            if found is not None:
                self.fail(
                    line,
                    name,
                    cell,
                    f"含有不可见的控制字符（{found.group()!r}）；请删去它"
                    + ("" if name in free else "，编码和编号中也不能有换行"),
                    Code.BAD_CHARACTER,
                )

    def length(self, line: int, name: str, text: str | None, limit: int) -> None:
        """Refuse text longer than its column holds."""
        if text is not None and len(text) > limit:
            self.fail(
                line,
                name,
                f"{text[:20]}…",
                f"内容过长：{len(text)} 个字，“{self.label(name)}”最多 {limit} 个字；请精简",
                Code.TOO_LONG,
            )

    def text(self, line: int, name: str, cell: str, limit: int | None = None) -> str:
        """A required text cell, stripped; at most ``limit`` characters."""
        text = cell.strip()
        if not text:
            self.fail(line, name, cell, f"“{self.label(name)}”未填写；请填上", Code.MISSING_VALUE)
        if limit is not None:
            self.length(line, name, text, limit)
        return text

    def optional(self, line: int, name: str, cell: str, limit: int) -> str | None:
        """An optional text cell, stripped (None when blank); at most ``limit`` characters."""
        text = cell.strip() or None
        self.length(line, name, text, limit)
        return text

    def date(self, line: int, name: str, cell: str) -> dt.date | None:
        """A date in any accepted format, within the registers' bounds; None when blank."""
        text = digits(cell.strip())
        if not text:
            return None
        if len(text) == 10 and text[4] == "-" and text.isascii():
            try:
                return self._bounded(line, name, cell, dt.date.fromisoformat(text))
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
                f"“{shown(cell)}”是数字，不是日期（可能是 Excel 的日期序号）；请写成 YYYY-MM-DD，"
                "或在 Excel 中把这一列设为日期格式后再保存",
                Code.BAD_DATE,
            )
        else:
            self.fail(
                line,
                name,
                cell,
                f"“{shown(cell)}”不是日期；请写成 YYYY-MM-DD（也可写 YYYY/M/D、YYYY.M.D 或 "
                "YYYY年M月D日）",
                Code.BAD_DATE,
            )
        try:
            date = dt.date(int(year), int(month), int(day))
        except ValueError:
            self.fail(line, name, cell, f"日期“{shown(cell)}”不存在；请改正", Code.NO_SUCH_DAY)
        return self._bounded(line, name, cell, date)

    def _bounded(self, line: int, name: str, cell: str, date: dt.date) -> dt.date:
        if date < limits.EARLIEST_DATE or (self.latest is not None and date > self.latest):
            latest = "" if self.latest is None else f"至 {self.latest:%Y-%m-%d} "
            self.fail(
                line,
                name,
                cell,
                f"日期“{shown(cell)}”超出范围：须在 {limits.EARLIEST_DATE:%Y-%m-%d} {latest}"
                "之间；请检查年份",
                Code.DATE_OUT_OF_RANGE,
            )
        return date

    def required_date(self, line: int, name: str, cell: str) -> dt.date:
        date = self.date(line, name, cell)
        if date is None:
            self.fail(
                line,
                name,
                cell,
                f"“{self.label(name)}”未填写；请填上日期，格式 YYYY-MM-DD",
                Code.MISSING_VALUE,
            )
        return date

    def count(self, line: int, name: str, cell: str) -> int | None:
        """A head count: ``12``, ``12.0`` or ``12人``, 0 to 100000; None when blank."""
        text = digits(cell.strip())
        if not text:
            return None
        match = _COUNT_RE.fullmatch(text)
        if match is not None:
            number = match.group(1).lstrip("0") or "0"
            if len(number) > len(str(limits.COUNT_MAX)) or int(number) > limits.COUNT_MAX:
                self.fail(
                    line,
                    name,
                    cell,
                    f"人数“{shown(cell)}”过大：最多 {limits.COUNT_MAX}；请改正",
                    Code.COUNT_TOO_LARGE,
                )
            return int(number)
        if _NEGATIVE_RE.fullmatch(text):
            self.fail(
                line,
                name,
                cell,
                f"人数“{shown(cell)}”不能是负数；请改正",
                Code.NEGATIVE_COUNT,
            )
        self.fail(
            line,
            name,
            cell,
            f"“{shown(cell)}”不是整数人数；请写数字，例如 12",
            Code.BAD_COUNT,
        )

    def boolean(self, line: int, name: str, cell: str) -> bool | None:
        """是/否 and the other spellings in ``BOOLEANS``; None when blank."""
        text = digits(cell.strip())
        if not text:
            return None
        value = _BOOLEAN_KEYS.get(lookup_key(text))
        if value is None:
            self.fail(
                line,
                name,
                cell,
                f"“{shown(cell)}”不是“是/否”；请填“是”或“否”（也可写 √、×、1、0）",
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
                f"“{shown(cell)}”不是组织类型；请填党委、党总支、党支部或党小组",
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
            f"“{shown(cell)}”不是党内职务；请填书记、副书记、委员（组织委员等以“委员”结尾的"
            "职务均可）或党员",
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
                f"“{shown(cell)}”不是党员类型；请填正式党员或预备党员（不填即正式党员）",
                Code.BAD_STATUS,
            )
        return status

    def party_day(self, line: int, name: str, cell: str) -> str | None:
        """A day of month (``15``) or an RFC 5545 BYDAY value (``-1FR``), normalised."""
        text = digits(cell.strip())
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
            f"“{shown(cell)}”不是主题党日；请填每月几号（1 至 31），或第几个星期几，如 1FR"
            "（第一个星期五）、2MO、-1FR（最后一个星期五）",
            Code.BAD_PARTY_DAY,
        )

    def party_time(self, line: int, name: str, cell: str) -> tuple[dt.time, dt.time] | None:
        """A session's (start, end): ``14:30-16:30`` and variants, or ``14:30`` for two hours."""
        text = digits(cell.strip())
        if not text:
            return None
        match = _PARTY_TIME_RE.fullmatch(text) or _PARTY_TIME_COMPACT_RE.fullmatch(text)
        if match is None:
            self.fail(
                line,
                name,
                cell,
                f"“{shown(cell)}”不是时间段；请写开始和结束时间，如 14:30-16:30，"
                "或只写开始时间，如 14:30（按两小时计）",
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
                    "只写开始时间按两小时计，会跨过午夜；请写开始和结束时间，如 14:30-16:30",
                    Code.BAD_PARTY_TIME,
                )
            return start, until.time()
        end = self._clock(line, name, cell, end_hour, end_minute)
        if end <= start:
            self.fail(
                line,
                name,
                cell,
                f"结束时间 {end:%H:%M} 不晚于开始时间 {start:%H:%M}；请先写开始时间，"
                "如 14:30-16:30",
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
                f"{int(hour)}:{int(minute):02d} 不是有效时间（小时 0-23，分钟 0-59）；"
                "请写成如 14:30-16:30",
                Code.BAD_PARTY_TIME,
            )

    def kinds(self, line: int, name: str, cell: str, catalog: KindCatalog) -> frozenset[str]:
        """The kind ids a (possibly combined) kind cell names."""
        text = self.text(line, name, cell)
        parsed = catalog.parse(text)
        if isinstance(parsed, str):
            accepted = "、".join(kind.name for kind in catalog)
            self.fail(
                line,
                name,
                parsed,
                f"“{shown(parsed)}”不是会议类型；请填{accepted}之一，"
                "合并召开的会议用“+”连接（如 主题党日+党课）",
                Code.UNKNOWN_KIND,
            )
        return frozenset(parsed)

    def for_period(self, line: int, name: str, cell: str, date: dt.date) -> str | None:
        """The label of the period a record counts for (``2025-Q4``), which must start on or
        before the meeting ``date``; None when blank."""
        text = digits(cell.strip())
        if not text:
            return None
        period = _period(text)
        if period is None:
            self.fail(
                line,
                name,
                cell,
                f"“{shown(cell)}”不是期间；请写 2025（全年）、2025-H2（下半年）、2025-Q4"
                "（第四季度）、2025-12（12月）或 2025-B6（11—12月），也可写 2025年第四季度、"
                "2025年下半年",
                Code.BAD_PERIOD,
            )
        if period.start > date:
            self.fail(
                line,
                name,
                cell,
                f"所属期间“{shown(cell)}”（{period.label_zh}）从 {period.start:%Y-%m-%d} 开始，"
                f"晚于会议日期 {date:%Y-%m-%d}；会议只能计入已经开始的期间，请改正期间或日期",
                Code.PERIOD_AFTER_MEETING,
            )
        return period.label


def _period(text: str) -> Period | None:
    """A period from its label or its Chinese name; None if it is neither."""
    if (match := _PERIOD_RE.fullmatch(text)) is not None:
        year, month, prefix, index = match.groups()
        if month is not None:
            label = f"{year}-{int(month):02d}"
        elif prefix is not None:
            label = f"{year}-{prefix.upper()}{index}"
        else:
            label = year
    elif (match := _PERIOD_ZH_RE.fullmatch(text.replace(" ", ""))) is not None:
        year, quarter, half, month = match.groups()
        if quarter is not None:
            label = f"{year}-Q{_ZH_DIGITS.get(quarter, quarter)}"
        elif half is not None:
            label = f"{year}-H{1 if half == '上' else 2}"
        elif month is not None:
            label = f"{year}-{int(month):02d}"
        else:
            label = year
    else:
        return None
    try:
        period = Period.parse(label)
    except ValueError:  # an index out of range (2025-13, 2025-Q5)
        return None
    if not limits.EARLIEST_DATE.year <= period.year <= 9998:
        return None
    return period
