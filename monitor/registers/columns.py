"""The registers' columns and the matching of a header row to them.

Owns the column specs (English names, accepted Chinese headers, which are required) and
:class:`Header`, which resolves a header row to column positions and hands out the data rows
fitted to it. Knows nothing of file formats or of what a cell must hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from monitor.core.errors import RegisterError, RegisterErrorCode

T = TypeVar("T")


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

_KEY_JUNK = re.compile(r"[\s_\-\ufeff]+")


def lookup_key(text: str) -> str:
    """Normalise a header or value for lookup: no whitespace, underscores or dashes; lower case."""
    return _KEY_JUNK.sub("", text).lower()


def lookup_table(table: Mapping[str, T]) -> dict[str, T]:
    """``table`` keyed by :func:`lookup_key` of its keys."""
    return {lookup_key(k): v for k, v in table.items()}


class Header:
    """A register's header resolved to column positions.

    Every row is fitted to ``width + 1`` cells: the header's cells plus one always-empty cell
    that columns absent from the header point at, so row loops need no per-column checks.
    """

    __slots__ = ("columns", "key", "path", "positions", "width")

    def __init__(self, path: Path, header: list[str], spec: tuple[Column, ...]) -> None:
        self.path = path
        self.width = len(header)
        self.positions: dict[str, int] = {}
        # canonical English column -> header text as written
        self.columns: dict[str, str] = {}
        names = {lookup_key(alias): c.name for c in spec for alias in (c.name, *c.zh)}
        for index, text in enumerate(header):
            name = names.get(lookup_key(text))
            if name is None:
                continue  # unknown columns are ignored
            if name in self.columns:
                raise RegisterError(
                    path,
                    f"the header names the {name!r} column twice, as {self.columns[name]!r} "
                    f"and {text!r}; keep one of them",
                    code=RegisterErrorCode.DUPLICATE_COLUMN,
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
                    code=RegisterErrorCode.MISSING_COLUMN,
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

    def rows(self, rows: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
        """(line, fitted row) for each data row, skipping blank ones; ``rows`` follow the header."""
        line = 1
        width, key = self.width, self.key
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
