"""Rows in memory are read as a file's rows are, and every register error carries its code."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from monitor.core.errors import RegisterError, RegisterErrorCode
from monitor.core.rules import RulePack
from monitor.registers.readers import (
    meetings_from_rows,
    members_from_rows,
    orgs_from_rows,
    read_meetings,
    read_members,
    read_orgs,
)
from monitor.store import Store

Code = RegisterErrorCode
TODAY = dt.date(2026, 4, 1)

MEETINGS = ["组织编码", "会议类型", "日期", "应到人数", "实到人数", "主题", "参会人员"]
ORGS = ["组织编码", "组织名称", "组织类型", "上级组织编码", "主题党日", "主题党日时间", "设支委会"]
MEMBERS = ["党员编号", "姓名", "所在组织编码", "职务", "党员类型", "领导干部"]

Reader = Callable[[Path], Any]
RowsReader = Callable[[Sequence[Mapping[str, str]]], Any]

KINDS: dict[str, tuple[list[str], Reader, RowsReader]] = {
    "meetings": (
        MEETINGS,
        lambda path: read_meetings(path, today=TODAY),
        lambda rows: meetings_from_rows(rows, source="rows", today=TODAY),
    ),
    "orgs": (ORGS, read_orgs, lambda rows: orgs_from_rows(rows, source="rows")),
    "members": (MEMBERS, read_members, lambda rows: members_from_rows(rows, source="rows")),
}


def _write(tmp_path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    path = tmp_path / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([header, *rows])
    return path


def _both(
    tmp_path: Path, kind: str, rows: Sequence[Sequence[str]], header: Sequence[str] | None = None
) -> tuple[Any, Any]:
    """What the file reader and the rows reader make of the same table (result or error)."""
    names, read_file, read_rows = KINDS[kind]
    names = list(header or names)
    results = []
    for read in (
        lambda: read_file(_write(tmp_path, names, rows)),
        lambda: read_rows([dict(zip(names, row, strict=True)) for row in rows]),
    ):
        try:
            results.append(read())
        except RegisterError as error:
            results.append(error)
    return results[0], results[1]


def test_meeting_rows_build_the_records_a_file_would(tmp_path: Path) -> None:
    rows = [
        ["B01", "党课", "2026-03-10", "12", "11", "学习党章", "M1；M2"],
        ["", "", "", "", "", "", ""],  # a blank row is skipped but counts as a line
        ["B01", "主题党日+党课", "2026年3月20日", "12人", "", "", ""],
    ]
    from_file, from_rows = _both(tmp_path, "meetings", rows)
    assert from_rows.records == from_file.records
    assert from_rows.lines == from_file.lines == [2, 4]
    assert from_rows.columns == from_file.columns
    assert str(from_rows.path) == "rows"


def test_org_and_member_rows_build_the_records_a_file_would(tmp_path: Path) -> None:
    orgs = [
        ["D1", "幸福街道党工委", "党委", "", "", "", ""],
        ["B01", "幸福社区党支部", "党支部", "D1", "-1FR", "14:30", "是"],
    ]
    from_file, from_rows = _both(tmp_path, "orgs", orgs)
    assert from_rows.records == from_file.records
    members = [["M1", "邹秀英", "B01", "支部书记", "预备党员", "否"]]
    from_file, from_rows = _both(tmp_path, "members", members)
    assert from_rows.records == from_file.records


def test_rows_may_leave_out_cells_and_the_header_is_every_key_seen() -> None:
    parsed = meetings_from_rows(
        [
            {"组织编码": "B01", "会议类型": "党课", "日期": "2026-03-10"},
            {"组织编码": "B02", "会议类型": "党课", "日期": "2026-03-11", "主题": "学习党章"},
        ],
        source="api",
        today=TODAY,
    )
    assert parsed.columns == {
        "org": "组织编码",
        "kind": "会议类型",
        "date": "日期",
        "topic": "主题",
    }
    assert [(m.org, m.topic) for m in parsed.records] == [("B01", None), ("B02", "学习党章")]


def test_no_rows_are_no_records() -> None:
    parsed = meetings_from_rows([], source="api", today=TODAY)
    assert (parsed.records, parsed.lines) == ([], [])


# kind, the bad row (other rows before it are good), the code; the error must be the file's
BAD_ROWS: list[tuple[str, list[str], Code]] = [
    ("meetings", ["B01", "党歌", "2026-03-10", "", "", "", ""], Code.UNKNOWN_KIND),
    ("meetings", ["B01", "", "2026-03-10", "", "", "", ""], Code.MISSING_VALUE),
    ("meetings", ["B01", "党课", "", "", "", "", ""], Code.MISSING_VALUE),
    ("meetings", ["B01", "党课", "三月十日", "", "", "", ""], Code.BAD_DATE),
    ("meetings", ["B01", "党课", "46091", "", "", "", ""], Code.BAD_DATE),
    ("meetings", ["B01", "党课", "2026-02-30", "", "", "", ""], Code.NO_SUCH_DAY),
    ("meetings", ["B01", "党课", "2026-03-10", "十二", "", "", ""], Code.BAD_COUNT),
    ("meetings", ["B01", "党课", "2026-03-10", "-3", "", "", ""], Code.NEGATIVE_COUNT),
    ("meetings", ["B01", "党课", "2026-03-10", "10", "11", "", ""], Code.ATTENDED_OVER_EXPECTED),
    ("orgs", ["D1", "重复", "党委", "", "", "", ""], Code.DUPLICATE_ROW),
    ("orgs", ["B02", "某支部", "协会", "D1", "", "", ""], Code.BAD_ORG_TYPE),
    ("orgs", ["B02", "某支部", "党支部", "B02", "", "", ""], Code.PARENT_LOOP),
    ("orgs", ["B02", "某支部", "党支部", "D1", "32", "", ""], Code.BAD_PARTY_DAY),
    ("orgs", ["B02", "某支部", "党支部", "D1", "", "16:30-14:30", ""], Code.BAD_PARTY_TIME),
    ("orgs", ["B02", "某支部", "党支部", "D1", "", "", "也许"], Code.BAD_BOOLEAN),
    ("members", ["M0", "重复", "B01", "", "", ""], Code.DUPLICATE_ROW),
    ("members", ["M2", "吕春生", "B01", "主任", "", ""], Code.BAD_ROLE),
    ("members", ["M2", "吕春生", "B01", "", "发展对象", ""], Code.BAD_STATUS),
]
GOOD_FIRST = {
    "meetings": ["B01", "党课", "2026-03-01", "", "", "", ""],
    "orgs": ["D1", "幸福街道党工委", "党委", "", "", "", ""],
    "members": ["M0", "邹秀英", "B01", "书记", "", ""],
}


@pytest.mark.parametrize(("kind", "row", "code"), BAD_ROWS)
def test_a_bad_row_fails_as_in_a_file_with_its_code(
    tmp_path: Path, kind: str, row: list[str], code: Code
) -> None:
    from_file, from_rows = _both(tmp_path, kind, [GOOD_FIRST[kind], row])
    assert isinstance(from_file, RegisterError), from_file
    assert isinstance(from_rows, RegisterError), from_rows
    assert from_file.code is from_rows.code is code
    assert (from_rows.line, from_rows.column, from_rows.value, from_rows.reason) == (
        from_file.line,
        from_file.column,
        from_file.value,
        from_file.reason,
    )
    assert from_rows.line == 3
    assert str(from_rows).startswith("rows 第3行")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (["组织编码", "会议类型"], Code.MISSING_COLUMN),
        (["组织编码", "会议类型", "日期", "会议日期"], Code.DUPLICATE_COLUMN),
    ],
)
def test_a_bad_header_fails_as_in_a_file_with_its_code(
    tmp_path: Path, header: list[str], code: Code
) -> None:
    row = ["B01", "党课", "2026-03-10", "2026-03-10"][: len(header)]
    from_file, from_rows = _both(tmp_path, "meetings", [row], header)
    assert from_file.code is from_rows.code is code
    assert (
        (from_rows.line, from_rows.column)
        == (from_file.line, from_file.column)
        == (
            1,
            from_file.column,
        )
    )


def _code(read: Callable[[], object]) -> Code:
    with pytest.raises(RegisterError) as caught:
        read()
    return caught.value.code


def test_a_bad_file_fails_with_its_code(tmp_path: Path) -> None:
    def file(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    assert _code(lambda: read_orgs(tmp_path / "orgs.doc")) is Code.UNSUPPORTED_FILE
    assert _code(lambda: read_orgs(tmp_path / "none.csv")) is Code.FILE_NOT_FOUND
    assert _code(lambda: read_orgs(tmp_path / "none.xlsx")) is Code.FILE_NOT_FOUND
    assert _code(lambda: read_orgs(file("bad.csv", b"\xff\xfe\x00\x81\xff"))) is Code.NOT_TEXT
    assert _code(lambda: read_orgs(file("bad.xlsx", b"not a zip"))) is Code.NOT_A_WORKBOOK
    assert _code(lambda: read_orgs(file("empty.csv", b"\n"))) is Code.EMPTY_HEADER
    long = "x" * 200_000  # longer than the csv module's field limit
    row = file("row.csv", f"组织编码,组织名称,组织类型\nD1,{long},党委\n".encode())
    assert _code(lambda: read_orgs(row)) is Code.MALFORMED_CSV
    header = file("header.csv", f"组织编码,{long},组织类型\n".encode())
    with pytest.raises(RegisterError) as caught:
        read_orgs(header)
    assert (caught.value.code, caught.value.line) == (Code.MALFORMED_CSV, 1)
    assert "CSV 格式有误" in caught.value.reason


def test_the_import_names_its_failures_too(store: Store, national: RulePack) -> None:
    orgs = orgs_from_rows(
        [
            {"组织编码": "D1", "组织名称": "幸福街道党工委", "组织类型": "党委"},
            {"组织编码": "G1", "组织名称": "第一党小组", "组织类型": "党小组"},
        ],
        source="rows",
    )
    assert _code(lambda: store.import_orgs(orgs)) is Code.MISSING_PARENT
    meeting = {"组织编码": "B09", "会议类型": "党课", "日期": "2026-03-10"}
    parsed = meetings_from_rows([meeting], source="rows", today=TODAY)
    assert _code(lambda: store.import_meetings(parsed, national.catalog)) is Code.UNKNOWN_ORG
