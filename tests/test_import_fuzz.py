"""Random bytes and random mutations of valid registers, fed to every importer through the CLI:
each import either succeeds, or exits 1 with one clean error line and the database unchanged."""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from monitor.cli import main
from monitor.store import Store

TODAY = "2026-12-02"
REGISTERS: dict[str, list[list[str]]] = {
    "orgs": [
        [
            "组织编码",
            "组织名称",
            "组织类型",
            "上级组织编码",
            "成立日期",
            "主题党日",
            "主题党日时间",
        ],
        ["S", "幸福街道党工委", "党委", "", "2001-01-01", "", ""],
        ["B1", "幸福社区党支部", "党支部", "S", "2005-03-01", "-1FR", "14:30-16:30"],
        ["G1", "第一党小组", "党小组", "B1", "", "", ""],
    ],
    "members": [
        [
            "党员编号",
            "姓名",
            "所在组织编码",
            "所在党小组",
            "职务",
            "入党日期",
            "党员类型",
            "领导干部",
        ],
        ["M1", "张三", "B1", "第一党小组", "书记", "1998-07-01", "正式党员", "否"],
        ["M2", "李四", "B1", "G1", "党员", "2010-07-01", "预备党员", "是"],
    ],
    "meetings": [
        ["组织编码", "会议类型", "日期", "应到人数", "实到人数", "主题", "参会人员", "所属期间"],
        ["B1", "主题党日+党课", "2026-03-06", "2", "2", "学习党章", "M1;M2", ""],
        ["B1", "组织生活会", "2026-01-20", "2", "1", "2025年度组织生活会", "M1", "2025"],
    ],
}
NASTY = [
    "",
    " ",
    '=HYPERLINK("http://x")',
    "+1",
    "-1",
    "@x",
    str(2**31),
    str(10**20),
    "1" * 5000,
    "长" * 600,
    "B0\n1",
    "a\x00b",
    "\x1b[31m",
    "１２３４-01-01",
    "1000-01-01",
    "9999-12-31",
    "2027-01-05",
    "2026-02-30",
    "2025-Q5",
    "2026-Q4",
    "党工委",
    "支部大会",
    "总支",
    "第一党小组",
    "\ud800",
    "\u2028",
    '"',
    ",,,",
]
ALPHABET = st.sampled_from([*',\n\r"\x00\t１０=+-@年月日;、 AB12', "党", "\u3000", "\ufeff"])


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def snapshot(url: str) -> tuple[object, ...]:
    with Store.open(url) as store:
        return (store.orgs(), store.members(), store.meetings())


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


_ILLEGAL_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = _ILLEGAL_IN_XML.sub("", value)  # a workbook cannot hold these
            cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@st.composite
def mutated_rows(draw: st.DrawFn, kind: str) -> list[list[str]]:
    """The valid register with a few cells replaced, rows dropped or cells appended."""
    rows = [list(row) for row in REGISTERS[kind]]
    for _ in range(draw(st.integers(1, 4))):
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(rows[r])))
        value = draw(st.one_of(st.sampled_from(NASTY), st.text(ALPHABET, max_size=12)))
        if c == len(rows[r]):
            rows[r].append(value)  # a cell beyond the header
        else:
            rows[r][c] = value
    if draw(st.booleans()) and len(rows) > 1:
        del rows[draw(st.integers(1, len(rows) - 1))]
    return rows


@st.composite
def mutated_text(draw: st.DrawFn, kind: str) -> bytes:
    """The valid CSV's bytes with characters inserted, deleted or replaced."""
    text = csv_bytes(REGISTERS[kind]).decode("utf-8")
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.text(ALPHABET, max_size=6))
        cut = draw(st.integers(0, 3))
        text = text[:at] + piece + text[at + cut :]
    return text.encode("utf-8", "surrogatepass")


@cache
def valid_workbook(kind: str) -> bytes:
    """Written once: a workbook's bytes hold the time it was saved."""
    return xlsx_bytes(REGISTERS[kind])


@st.composite
def mutated_workbook(draw: st.DrawFn, kind: str) -> bytes:
    """The valid workbook's bytes with a few bytes overwritten (mostly a damaged zip)."""
    data = bytearray(valid_workbook(kind))
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def inputs(kind: str) -> st.SearchStrategy[tuple[str, bytes]]:
    return st.one_of(
        st.tuples(st.just(".csv"), st.binary(max_size=200)),
        st.tuples(st.just(".xlsx"), st.binary(max_size=200)),
        st.tuples(st.just(".csv"), mutated_text(kind)),
        st.tuples(st.just(".csv"), mutated_rows(kind).map(csv_bytes)),
        st.tuples(st.just(".xlsx"), mutated_rows(kind).map(xlsx_bytes)),
        st.tuples(st.just(".xlsx"), mutated_workbook(kind)),
    )


@pytest.fixture
def loaded(db_url: str, tmp_path: Path) -> str:
    """A database holding the valid registers."""
    for kind, rows in REGISTERS.items():
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(csv_bytes(rows))
        result = run("--db", db_url, "import", kind, str(path), *_today(kind))
        assert result.exit_code == 0, result.output
    return db_url


def _today(kind: str) -> tuple[str, ...]:
    return ("--today", TODAY) if kind == "meetings" else ()


def check_one_import(url: str, folder: Path, kind: str, suffix: str, data: bytes) -> None:
    path = folder / f"fuzz-{kind}{suffix}"
    path.write_bytes(data)
    before = snapshot(url)
    result = run("--db", url, "import", kind, str(path), *_today(kind))
    if result.exit_code == 0:
        return
    assert result.exit_code == 1, (result.exception, result.output)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("错误：")
    assert snapshot(url) == before


@pytest.mark.parametrize("kind", ["orgs", "members", "meetings"])
def test_random_and_mutated_files_import_or_fail_cleanly_leaving_the_database_unchanged(
    loaded: str, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    postgres = "postgresql" in request.node.callspec.id
    examples = 15 if postgres else 40

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(inputs(kind))
    def check(case: tuple[str, bytes]) -> None:
        check_one_import(loaded, tmp_path, kind, *case)

    check()
