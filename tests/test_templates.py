"""`orglife template`, and the import command's office-file options, run through the CLI."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook, load_workbook

from monitor.cli import main
from monitor.registers.readers import read_meetings, read_members, read_orgs
from monitor.registers.template import EXAMPLES, formula_cells, write_template
from monitor.store import Store

ORGS = [
    ["组织编码", "组织名称", "组织类型", "上级组织编码"],
    ["S", "幸福街道党工委", "党工委", ""],
    ["B1", "幸福社区党支部", "党支部", "S"],
    ["B1-G1", "第一党小组", "党小组", "B1"],
]
MEMBERS = [["党员编号", "姓名", "所在组织编码", "所在党小组"], ["M1", "张三", "B1", "第一党小组"]]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(rows)
    return path


def snapshot(url: str) -> tuple[object, ...]:
    with Store.open(url) as store:
        return (store.orgs(), store.members(), store.meetings())


# ------------------------------------------------------------------------- templates


@pytest.mark.parametrize("kind", ["orgs", "members", "meetings"])
def test_a_template_has_chinese_headers_an_example_and_instructions(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / f"{kind}.xlsx"

    result = run("template", kind, "-o", str(path))

    assert result.exit_code == 0, result.output
    assert "模板" in result.stdout
    workbook = load_workbook(path)
    data, notes = workbook.worksheets
    assert notes.title == "填写说明"
    headers = [cell.value for cell in data[1]]
    assert all(isinstance(h, str) and h for h in headers)
    assert any(cell.value for cell in data[2])  # the example row
    assert notes.max_row > len(headers)
    assert formula_cells(path) == []


def test_the_templates_drop_down_lists_cover_the_coded_columns(tmp_path: Path) -> None:
    lists: dict[str, str] = {}
    for kind in ("orgs", "members", "meetings"):
        write_template(kind, tmp_path / f"{kind}.xlsx")
        sheet = load_workbook(tmp_path / f"{kind}.xlsx").worksheets[0]
        headers = {cell.column_letter: cell.value for cell in sheet[1]}
        for validation in sheet.data_validations.dataValidation:
            letter = str(validation.sqref).split(":")[0].rstrip("0123456789")
            lists[str(headers[letter])] = str(validation.formula1)

    for column in ("组织类型", "会议类型", "职务", "党员类型"):
        assert column in lists
    assert "党支部" in lists["组织类型"]
    assert "支部党员大会" in lists["会议类型"]
    assert "预备党员" in lists["党员类型"]


def test_the_templates_are_read_back_by_the_readers(tmp_path: Path) -> None:
    for kind in ("orgs", "members", "meetings"):
        write_template(kind, tmp_path / f"{kind}.xlsx")

    assert len(read_orgs(tmp_path / "orgs.xlsx").records) == 1
    assert len(read_members(tmp_path / "members.xlsx").records) == 1
    meetings = read_meetings(tmp_path / "meetings.xlsx", today=dt.date(2026, 12, 2))
    assert len(meetings.records) == 1


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path: Path) -> None:
    example = dict(EXAMPLES["orgs"], name='=HYPERLINK("http://x","点我")', code="+1")

    write_template("orgs", tmp_path / "orgs.xlsx", example=example)

    sheet = load_workbook(tmp_path / "orgs.xlsx").worksheets[0]
    assert sheet["B2"].value == '=HYPERLINK("http://x","点我")'
    assert sheet["B2"].data_type == "s"
    assert formula_cells(tmp_path / "orgs.xlsx") == []


# ------------------------------------------------------------------ import options


def test_an_import_names_the_title_rows_it_skipped(db_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orgs.csv", [["2026年组织台账"], *ORGS])

    result = run("--db", db_url, "import", "orgs", str(path))

    assert result.exit_code == 0, result.output
    assert "已跳过表头上方的标题行：“2026年组织台账”" in result.stdout
    assert len(snapshot(db_url)[0]) == 3  # type: ignore[arg-type]


def test_sheet_picks_the_workbooks_sheet(db_url: str, tmp_path: Path) -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "旧表"
    for row in ORGS[:2]:
        first.append(row)
    current = workbook.create_sheet("新表")
    for row in ORGS:
        current.append(row)
    workbook.save(tmp_path / "orgs.xlsx")

    missing = run("--db", db_url, "import", "orgs", str(tmp_path / "orgs.xlsx"), "--sheet", "无")
    result = run("--db", db_url, "import", "orgs", str(tmp_path / "orgs.xlsx"), "--sheet", "新表")

    assert missing.exit_code == 1
    assert "“旧表”、“新表”" in missing.stderr
    assert result.exit_code == 0, result.output
    assert len(snapshot(db_url)[0]) == 3  # type: ignore[arg-type]


def test_a_members_short_group_name_resolves_in_the_members_branch(
    db_url: str, tmp_path: Path
) -> None:
    run("--db", db_url, "import", "orgs", str(write_csv(tmp_path / "o.csv", ORGS)))

    result = run("--db", db_url, "import", "members", str(write_csv(tmp_path / "m.csv", MEMBERS)))

    assert result.exit_code == 0, result.output
    (member,) = snapshot(db_url)[1]  # type: ignore[misc]
    assert member.group == "B1-G1"


@pytest.mark.parametrize(
    ("register", "row", "column"),
    [
        ("orgs", ["B2", "长" * 201, "党支部", "S"], "组织名称"),
        ("orgs", ["B\n2", "二支部", "党支部", "S"], "组织编码"),
        ("orgs", ["B2", "二\x00支部", "党支部", "S"], "组织名称"),
        ("meetings", ["B1", "党课", "2026-03-10", str(2**31)], "应到人数"),
        ("meetings", ["B1", "党课", "2026-03-10", str(10**20)], "应到人数"),
        ("meetings", ["B1", "党课", "１２３４-01-01", ""], "日期"),
        ("meetings", ["B1", "党课", "2027-01-05", ""], "日期"),
        ("meetings", ["B1", "党课", "2026-03-10", "", "多余"], None),
    ],
)
def test_bad_cells_fail_the_import_in_one_line_leaving_the_database_unchanged(
    db_url: str, tmp_path: Path, register: str, row: list[str], column: str | None
) -> None:
    run("--db", db_url, "import", "orgs", str(write_csv(tmp_path / "o.csv", ORGS)))
    header = ORGS[0] if register == "orgs" else ["组织编码", "会议类型", "日期", "应到人数"]
    path = tmp_path / "bad.csv"
    path.write_bytes(
        ("\n".join(",".join(f'"{c}"' for c in r) for r in (header, row)) + "\n").encode("utf-8")
    )
    before = snapshot(db_url)

    today = ("--today", "2026-12-02") if register == "meetings" else ()
    result = run("--db", db_url, "import", register, str(path), *today)

    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "第2行" in line
    if column is not None:
        assert f"“{column}”列" in line
    assert snapshot(db_url) == before
