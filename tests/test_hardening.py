"""Every bad register file of issue 10's hardening list: one Chinese error line, exit 1, and the
database exactly as it was — on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import text

from monitor.cli import main
from monitor.store import Store

ORGS = (
    "组织编码,组织名称,组织类型,上级组织编码\n"
    "W,幸福街道党工委,党委,\nB1,幸福社区党支部,党支部,W\nB1-G1,第一党小组,党小组,B1\n"
)
MEMBERS = (
    "党员编号,姓名,所在组织编码,所在党小组,职务\nA1,张三,B1,B1-G1,书记\nA2,李四,B1,B1-G1,党员\n"
)
MEETING_HEAD = "组织编码,会议类型,日期,应到人数,实到人数,主题,录入日期\n"
MEETINGS = MEETING_HEAD + "B1,支部党员大会,2026-09-20,2,2,学习,2026-09-21\n"
TODAY = "2026-11-20"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


def snapshot(db: str) -> dict[str, object]:
    """Every table's rows (as text), and the revision: what 'unchanged' means."""
    with Store.open(db) as store, store.engine.connect() as conn:
        tables = ("org", "member", "meeting", "attendance", "audit_event", "revision")
        return {
            table: sorted(map(str, conn.execute(text(f"SELECT * FROM {table}")).all()))
            for table in tables
        }


@pytest.fixture
def registers(db_url: str, tmp_path: Path) -> str:
    for kind, body in (("orgs", ORGS), ("members", MEMBERS), ("meetings", MEETINGS)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(body, encoding="utf-8")
        code, err = (
            run("--db", db_url, "import", kind, str(path), "--today", TODAY)
            if (kind == "meetings")
            else run("--db", db_url, "import", kind, str(path))
        )
        assert code == 0, err
    return db_url


def damaged_xlsx(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["组织编码", "会议类型", "日期"])
    sheet.append(["B1", "党课", "2026-09-01"])
    book.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a workbook cut in half


CASES = [
    ("meetings", MEETING_HEAD + "B1,党课,2026-09-01,2,2," + "长" * 501 + ",\n", "500"),
    ("meetings", MEETING_HEAD + "B1,党课,2026-09-01,2,2,学\x00习,\n", "控制字符"),
    ("meetings", MEETING_HEAD + f"B1,党课,2026-09-01,{2**31},2,学习,\n", str(2**31)),
    ("meetings", MEETING_HEAD + f"B1,党课,2026-09-01,{10**20},2,学习,\n", str(10**20)),
    ("meetings", MEETING_HEAD + "B1,党课,1000-09-01,2,2,学习,\n", "1000-09-01"),
    ("meetings", MEETING_HEAD + "B1,党课,9999-09-01,2,2,学习,\n", "9999-09-01"),
    ("meetings", MEETING_HEAD + "B1,党课,１２３４-01-01,2,2,学习,\n", "超出范围"),
    ("meetings", MEETING_HEAD + "B1,党课,2027-01-05,2,2,学习,\n", "2027-01-05"),
    ("meetings", MEETING_HEAD + "B1,党课,2026-09-01,2,2,学习,,多出来的\n", "多出来的"),
    ("meetings", "xlsx", "会议记录"),
    ("orgs", '组织编码,组织名称,组织类型,上级组织编码\n"B\n2",新支部,党支部,W\n', "组织编码"),
    ("orgs", "组织编码,组织名称,组织类型,上级组织编码\nB1,幸福社区党支部,党委,W\n", "B1"),
    ("orgs", "组织编码,组织名称,组织类型,上级组织编码\nB1,幸福社区党支部,党小组,W\n", "党小组"),
]


@pytest.mark.parametrize(
    ("kind", "body", "named"), CASES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(CASES)]
)
def test_a_bad_file_is_one_error_line_and_changes_nothing(
    registers: str, tmp_path: Path, kind: str, body: str, named: str
):
    before = snapshot(registers)
    if body == "xlsx":
        path = tmp_path / "会议记录.xlsx"
        damaged_xlsx(path)
    else:
        path = tmp_path / "bad.csv"
        path.write_text(body, encoding="utf-8")
    args = ["--db", registers, "import", kind, str(path)]
    if kind == "meetings":
        args += ["--today", TODAY]
    code, err = run(*args)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("错误：")
    assert "Traceback" not in err
    assert named in lines[0]
    assert snapshot(registers) == before


def test_a_historical_entry_date_before_the_meeting_is_refused_and_changes_nothing(
    registers: str, tmp_path: Path
):
    before = snapshot(registers)
    path = tmp_path / "old.csv"
    path.write_text(MEETING_HEAD + "B1,党课,2026-09-01,2,2,学习,2026-08-30\n", encoding="utf-8")
    code, err = run("--db", registers, "import", "meetings", str(path), "--historical")
    assert code == 1
    assert "2026-08-30" in err
    assert len(err.strip().splitlines()) == 1
    assert snapshot(registers) == before
