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
    Column(
        "recorded",
        ("录入日期",),
        False,
        "date the record was entered; read only with --historical (blank: the meeting date)",
    ),
    Column(
        "for_period",
        ("所属期间",),
        False,
        "the earlier period the record counts for: 2025, 2025-H2, 2025-Q4, 2025-12, 2025-B6",
    ),
)

# The header is the first of this many rows that names every required column; rows above it
# (a title such as 2026年会议记录台账) are skipped and named in the import message.
HEADER_SEARCH_ROWS = 10

_KEY_JUNK = re.compile(r"[\s_\-\ufeff]+")


def lookup_key(text: str) -> str:
    """Normalise a header or value for lookup: no whitespace, underscores or dashes; lower case."""
    return _KEY_JUNK.sub("", text).lower()


def lookup_table(table: Mapping[str, T]) -> dict[str, T]:
    """``table`` keyed by :func:`lookup_key` of its keys."""
    return {lookup_key(k): v for k, v in table.items()}


def _names(spec: tuple[Column, ...]) -> dict[str, str]:
    return {lookup_key(alias): c.name for c in spec for alias in (c.name, *c.zh)}


def _titles(rows: list[tuple[int, list[str]]]) -> tuple[str, ...]:
    """The non-blank rows above a header, each as its cells' text."""
    texts = (" ".join(c.strip() for c in row if c.strip()) for _, row in rows)
    return tuple(text for text in texts if text)


def locate_header(
    path: Path, rows: Iterator[list[str]], spec: tuple[Column, ...], *, sheet: str | None = None
) -> Header:
    """The header: the first of the first :data:`HEADER_SEARCH_ROWS` rows naming every required
    column. ``rows`` is left at the first data row."""
    names = _names(spec)
    required = {c.name for c in spec if c.required}
    looked: list[tuple[int, list[str]]] = []
    for line in range(1, HEADER_SEARCH_ROWS + 1):
        row = next(rows, None)
        if row is None:
            break
        if line == 1 and row and row[0].startswith("\ufeff"):  # a BOM another encoding left
            row[0] = row[0][1:]
        if required <= {names.get(lookup_key(text)) for text in row}:
            return Header(path, row, spec, line=line, skipped=_titles(looked), sheet=sheet)
        looked.append((line, row))
    in_sheet = f"工作表“{sheet}”" if sheet is not None else ""
    if not _titles(looked):
        raise RegisterError(
            path,
            f"{in_sheet}第1行应为表头，但前 {HEADER_SEARCH_ROWS} 行都是空的",
            code=RegisterErrorCode.EMPTY_HEADER,
            line=1,
        )

    def named(row: list[str]) -> set[str]:
        return {n for text in row if (n := names.get(lookup_key(text))) is not None}

    # The row naming most columns was meant as the header: say which column it lacks.
    best_line, best = max(looked, key=lambda lr: (len(named(lr[1])), -lr[0]))
    if named(best):
        column = next(c for c in spec if c.required and c.name not in named(best))
        raise RegisterError(
            path,
            f"{in_sheet}表头缺少必填列“{column.zh[0]}”（{column.name}）；请在第{best_line}行的"
            "表头中加上这一列",
            code=RegisterErrorCode.MISSING_COLUMN,
            line=best_line,
            column=column.zh[0],
        )
    required_zh = "、".join(f"“{c.zh[0]}”" for c in spec if c.required)
    raise RegisterError(
        path,
        f"{in_sheet}前 {HEADER_SEARCH_ROWS} 行中找不到表头：表头须有{required_zh}列",
        code=RegisterErrorCode.NO_HEADER,
    )


class Header:
    """A register's header resolved to column positions.

    Every row is fitted to ``width + 1`` cells: the header's cells plus one always-empty cell
    that columns absent from the header point at, so row loops need no per-column checks.
    ``line`` is the header's own line; ``skipped`` the title rows above it.
    """

    __slots__ = ("columns", "key", "line", "path", "positions", "sheet", "skipped", "width")

    def __init__(
        self,
        path: Path,
        header: list[str],
        spec: tuple[Column, ...],
        *,
        line: int = 1,
        skipped: tuple[str, ...] = (),
        sheet: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.skipped = skipped
        self.sheet = sheet
        # Blank header cells after the last named one do not widen the table.
        width = len(header)
        while width and not header[width - 1].strip():
            width -= 1
        self.width = width
        self.positions: dict[str, int] = {}
        # canonical English column -> header text as written
        self.columns: dict[str, str] = {}
        names = _names(spec)
        for index, text in enumerate(header[:width]):
            name = names.get(lookup_key(text))
            if name is None:
                continue  # unknown columns are ignored
            if name in self.columns:
                raise RegisterError(
                    path,
                    f"表头中“{self.columns[name]}”和“{text}”是同一列（{name}）；请删去其中一列",
                    code=RegisterErrorCode.DUPLICATE_COLUMN,
                    line=line,
                    column=text,
                )
            self.positions[name] = index
            self.columns[name] = text
        for column in spec:
            if column.required and column.name not in self.positions:
                raise RegisterError(
                    path,
                    f"表头缺少必填列“{column.zh[0]}”（{column.name}）；请在第{line}行的表头中"
                    "加上这一列",
                    code=RegisterErrorCode.MISSING_COLUMN,
                    line=line,
                    column=column.zh[0],
                )
            self.positions.setdefault(column.name, self.width)
        # The first required column: a row whose cell there is blank may be a blank row.
        self.key = self.positions[next(c.name for c in spec if c.required)]

    def fit(self, row: list[str], line: int) -> list[str]:
        """The row cut or padded to the header's width, plus the always-empty cell; cells with
        text beyond the header are an error naming them."""
        if len(row) == self.width:
            row.append("")
            return row
        if len(row) > self.width:
            extra = [(i, c) for i, c in enumerate(row[self.width :], self.width) if c.strip()]
            if extra:
                where = "、".join(f"{column_letter(i)}列“{c}”" for i, c in extra[:3])
                more = f"等 {len(extra)} 格" if len(extra) > 3 else ""
                raise RegisterError(
                    self.path,
                    f"表头之外的列还有内容：{where}{more}；请删去这些内容，或为这些列加上表头",
                    code=RegisterErrorCode.EXTRA_CELLS,
                    line=line,
                    value=extra[0][1],
                )
        row = row[: self.width]
        row.extend([""] * (self.width + 1 - len(row)))
        return row

    def rows(self, rows: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
        """(line, fitted row) for each data row, skipping blank ones; ``rows`` follow the header."""
        line = self.line
        width, key = self.width, self.key
        for row in rows:
            line += 1
            if len(row) == width:
                row.append("")
            else:
                row = self.fit(row, line)
            # The full blank check only runs when the key cell is empty, which is rare.
            if not row[key].strip() and not "".join(row).strip():
                continue
            yield line, row


def column_letter(index: int) -> str:
    """Excel's name of a 0-based column: A, B, …, Z, AA, …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
