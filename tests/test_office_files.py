"""Registers as offices keep them: title rows, several sheets, .xls and .ods, synonyms; the
hardening of cells; the row-level date checks, historical entry dates and 所属期间."""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from monitor.core import limits
from monitor.core.domain import OrgType
from monitor.core.errors import RegisterError, RegisterErrorCode
from monitor.registers.readers import meetings_from_rows, read_meetings, read_members, read_orgs

Code = RegisterErrorCode
DATA = Path(__file__).parent / "data" / "readers"
TODAY = dt.date(2026, 12, 2)
CJK = re.compile(r"[\u3400-\u9fff]")
MEETINGS = ["组织编码", "会议类型", "日期", "应到人数", "实到人数", "授课人", "主题", "参会人员"]
ORGS = ["组织编码", "组织名称", "组织类型", "上级组织编码"]
MEMBERS = ["党员编号", "姓名", "所在组织编码", "所在党小组"]


def write_csv(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def write_ods(path: Path, rows: Sequence[Sequence[str]], sheet: str = "Sheet1") -> Path:
    """A minimal OpenDocument spreadsheet, as LibreOffice and WPS save them."""
    body = "".join(
        "<table:table-row>"
        + "".join(
            '<table:table-cell office:value-type="string">'
            f"<text:p>{value}</text:p></table:table-cell>"
            for value in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def failure(read: Callable[[], object]) -> RegisterError:
    """The error ``read`` raises: Chinese, one line, starting with the file."""
    with pytest.raises(RegisterError) as caught:
        read()
    error = caught.value
    assert str(error).startswith(error.path)
    assert CJK.search(error.reason), error.reason
    assert "\n" not in str(error)
    assert "\r" not in str(error)
    return error


def meetings(path: Path, **options: object) -> list[object]:
    return read_meetings(path, today=TODAY, **options).records  # type: ignore[arg-type]


def meeting_row(**cells: str) -> list[str]:
    row = dict.fromkeys(MEETINGS, "")
    row.update({"组织编码": "B01", "会议类型": "党课", "日期": "2026-03-10"})
    row.update(cells)
    return list(row.values())


def one_meeting_failure(tmp_path: Path, header: Sequence[str] = MEETINGS, **cells: str):
    path = write_csv(tmp_path / "会议记录.csv", [header, meeting_row(**cells)])
    return failure(lambda: read_meetings(path, today=TODAY))


# ---------------------------------------------------------------------- title rows


def test_a_title_row_above_the_header_is_skipped_and_named(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "meetings.csv",
        [["2026年会议记录台账", "", ""], [], MEETINGS, meeting_row(), meeting_row(日期="bad")],
    )

    error = failure(lambda: read_meetings(path, today=TODAY))
    assert error.line == 5  # lines count from the top of the file, title included

    write_csv(path, [["2026年会议记录台账"], ["填表单位：幸福街道"], MEETINGS, meeting_row()])
    parsed = read_meetings(path, today=TODAY)
    assert parsed.skipped == ("2026年会议记录台账", "填表单位：幸福街道")
    assert parsed.lines == [4]


def test_the_header_must_be_within_the_first_ten_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [*[["说明"]] * 10, MEETINGS, meeting_row()])

    error = failure(lambda: read_meetings(path, today=TODAY))

    assert error.code is Code.NO_HEADER
    assert "前 10 行" in error.reason
    assert "“组织编码”" in error.reason


def test_a_workbook_title_row_is_skipped_and_lines_are_sheet_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "m.xlsx",
        {"Sheet1": [["2026年会议记录台账"], MEETINGS, meeting_row(), meeting_row(实到人数="x")]},
    )

    error = failure(lambda: read_meetings(path, today=TODAY))

    assert (error.line, error.column, error.code) == (4, "实到人数", Code.BAD_COUNT)


# ------------------------------------------------------------------------- sheets


def test_the_first_sheet_with_the_required_headers_is_read(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "m.xlsx",
        {
            "填写说明": [["请按表头填写"], ["日期写成 YYYY-MM-DD"]],
            "会议记录": [MEETINGS, meeting_row()],
        },
    )

    assert len(meetings(path)) == 1


def test_sheet_names_the_sheet_to_read(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "m.xlsx",
        {"2025": [MEETINGS, meeting_row(日期="2025-03-10")], "2026": [MEETINGS, meeting_row()]},
    )

    (first,) = read_meetings(path, today=TODAY).records
    (named,) = read_meetings(path, today=TODAY, sheet="2026").records

    assert (first.date, named.date) == (dt.date(2025, 3, 10), dt.date(2026, 3, 10))
    error = failure(lambda: read_meetings(path, today=TODAY, sheet="2027"))
    assert error.code is Code.NO_WORKSHEET
    assert "“2027”" in error.reason
    assert "“2025”、“2026”" in error.reason


def test_a_workbook_without_a_header_lists_the_sheets_it_looked_at(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", {"说明": [["说明"]], "数据": [["甲", "乙"]]})

    error = failure(lambda: read_meetings(path, today=TODAY))

    assert error.code is Code.NO_HEADER
    assert "“说明”、“数据”" in error.reason
    assert "--sheet" in error.reason


def test_sheet_is_refused_for_a_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [MEETINGS, meeting_row()])

    error = failure(lambda: read_meetings(path, today=TODAY, sheet="会议记录"))

    assert error.code is Code.NOT_A_SHEET_FILE


# ------------------------------------------------------------------ .xls and .ods


def test_an_xls_workbook_with_an_instruction_sheet_and_a_title_row_is_read() -> None:
    # Written by xlwt: an instruction sheet first, then a title row above the header.
    parsed = read_meetings(DATA / "meetings-office.xls", today=TODAY)

    assert parsed.skipped == ("2026年会议记录台账",)
    assert parsed.lines == [3, 4]
    first, second = parsed.records
    assert (first.org, first.kinds, first.date) == (
        "B01",
        frozenset({"general_meeting"}),  # 支部大会 is the 支部党员大会
        dt.date(2026, 3, 10),
    )
    assert (first.expected, first.attended) == (12, 11)
    assert second.topic == "=不是公式"


def test_an_ods_workbook_is_read_with_org_type_synonyms(tmp_path: Path) -> None:
    path = write_ods(
        tmp_path / "orgs.ods",
        [
            ORGS,
            ["S", "幸福街道党工委", "党工委", ""],
            ["P", "某局党组", "党组", ""],
            ["J", "某局机关党委", "机关党委", ""],
            ["G", "第一总支", "总支", "S"],
        ],
    )

    types = [org.type for org in read_orgs(path).records]

    assert types == [OrgType.COMMITTEE] * 3 + [OrgType.GENERAL_BRANCH]


def test_a_workbook_with_damaged_sheet_xml_is_one_clean_error(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", {"Sheet1": [MEETINGS, meeting_row()]})
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut in the middle of an element
            target.writestr(item, data)

    error = failure(lambda: read_meetings(damaged, today=TODAY))

    assert error.code is Code.NOT_A_WORKBOOK
    assert "重新保存" in error.reason


# ----------------------------------------------------------------------- hardening


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        ("组织编码", limits.ORG_CODE),
        ("组织名称", limits.ORG_NAME),
        ("上级组织编码", limits.ORG_CODE),
    ],
)
def test_org_text_longer_than_its_column_is_refused(
    tmp_path: Path, column: str, limit: int
) -> None:
    row = dict(zip(ORGS, ["B01", "支部", "党支部", "S"], strict=True))
    row[column] = "长" * (limit + 1)
    path = write_csv(tmp_path / "orgs.csv", [ORGS, list(row.values())])

    error = failure(lambda: read_orgs(path))

    assert (error.code, error.column) == (Code.TOO_LONG, column)
    assert f"最多 {limit} 个字" in error.reason


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        ("主题", limits.TOPIC),
        ("授课人", limits.LECTURER),
        ("组织编码", limits.ORG_CODE),
        ("参会人员", limits.MEMBER_ID),
    ],
)
def test_meeting_text_longer_than_its_column_is_refused(
    tmp_path: Path, column: str, limit: int
) -> None:
    error = one_meeting_failure(tmp_path, **{column: "x" * (limit + 1)})

    assert (error.code, error.column) == (Code.TOO_LONG, column)
    assert f"最多 {limit} 个字" in error.reason


def test_text_as_long_as_its_column_is_accepted(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [MEETINGS, meeting_row(主题="题" * limits.TOPIC)])

    assert len(meetings(path)) == 1


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_control_characters_are_refused(character: str) -> None:
    # Rows in memory (a chat command, an API): openpyxl will not write these into a workbook.
    row = dict(zip(MEETINGS, meeting_row(主题=f"学习{character}党章"), strict=True))

    error = failure(lambda: meetings_from_rows([row], source="api", today=TODAY))

    assert (error.code, error.column) == (Code.BAD_CHARACTER, "主题")


def test_a_nul_byte_in_a_csv_is_one_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(
        ",".join(MEETINGS).encode() + b"\nB01,\xe5\x85\x9a\xe8\xaf\xbe,2026-03-10,,,,a\x00b,\n"
    )

    error = failure(lambda: read_meetings(path, today=TODAY))

    assert error.line == 2


@pytest.mark.parametrize("code", ["B0\n1", "B01\r", "B\t01"])
def test_an_org_code_with_a_line_break_or_tab_is_refused(tmp_path: Path, code: str) -> None:
    path = write_csv(tmp_path / "orgs.csv", [ORGS, [code, "支部", "党支部", ""]])

    error = failure(lambda: read_orgs(path))

    assert (error.code, error.column) == (Code.BAD_CHARACTER, "组织编码")
    meeting = one_meeting_failure(tmp_path, 组织编码=code)
    assert (meeting.code, meeting.column) == (Code.BAD_CHARACTER, "组织编码")


def test_a_topic_may_hold_line_breaks_and_tabs(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [MEETINGS, meeting_row(主题="第一行\n第二行\t完")])

    (meeting,) = meetings(path)

    assert meeting.topic == "第一行\n第二行\t完"  # type: ignore[attr-defined]


@pytest.mark.parametrize("count", [str(2**31), str(10**20), "100001", "1" * 5000])
def test_head_counts_above_the_bound_are_refused(tmp_path: Path, count: str) -> None:
    error = one_meeting_failure(tmp_path, 应到人数=count)

    assert (error.code, error.column) == (Code.COUNT_TOO_LARGE, "应到人数")
    assert str(limits.COUNT_MAX) in error.reason
    assert len(str(error)) < 400


def test_the_largest_head_count_is_accepted(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [MEETINGS, meeting_row(应到人数="100000")])

    (meeting,) = meetings(path)

    assert meeting.expected == 100_000  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "date", ["1000-01-01", "1920-12-31", "１２３４-01-01", "9999-01-01", "2028-01-01"]
)
def test_dates_outside_the_bounds_are_refused(tmp_path: Path, date: str) -> None:
    path = write_csv(
        tmp_path / "orgs.csv", [[*ORGS, "成立日期"], ["B01", "支部", "党支部", "", date]]
    )

    error = failure(lambda: read_orgs(path, today=TODAY))

    assert (error.code, error.column) == (Code.DATE_OUT_OF_RANGE, "成立日期")
    assert "1921-01-01" in error.reason


def test_full_width_digits_are_read_as_ascii_in_every_numeric_and_date_cell(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [MEETINGS, meeting_row(日期="２０２６－０３－１０", 应到人数="１２", 实到人数="１１人")],
    )

    (meeting,) = meetings(path)

    assert (meeting.date, meeting.expected, meeting.attended) == (  # type: ignore[attr-defined]
        dt.date(2026, 3, 10),
        12,
        11,
    )


@pytest.mark.parametrize("date", ["٢٠٢٦-03-10", "2026-०३-10"])
def test_digits_of_other_scripts_are_not_dates(tmp_path: Path, date: str) -> None:
    error = one_meeting_failure(tmp_path, 日期=date)

    assert error.code is Code.BAD_DATE


# -------------------------------------------------------------- dates against today


def test_a_meeting_after_today_is_an_error_naming_the_date_and_today(tmp_path: Path) -> None:
    error = one_meeting_failure(tmp_path, 日期="2027-01-05")

    assert (error.code, error.line, error.column) == (Code.FUTURE_MEETING, 2, "日期")
    assert str(error).endswith(
        "会议记录.csv 第2行 “日期”列：“2027-01-05”晚于今天（2026-12-02），会议日期不能在将来；"
        "请改正日期"
    )


def test_a_recorded_date_before_the_meeting_is_an_error(tmp_path: Path) -> None:
    header = [*MEETINGS, "录入日期"]
    path = write_csv(tmp_path / "m.csv", [header, [*meeting_row(), "2026-03-09"]])

    for historical in (False, True):
        error = failure(lambda h=historical: read_meetings(path, today=TODAY, historical=h))
        assert (error.code, error.column) == (Code.RECORDED_BEFORE_MEETING, "录入日期")
        assert "2026-03-10" in error.reason


def test_a_recorded_date_after_today_is_an_error(tmp_path: Path) -> None:
    header = [*MEETINGS, "录入日期"]
    path = write_csv(tmp_path / "m.csv", [header, [*meeting_row(), "2026-12-03"]])

    error = failure(lambda: read_meetings(path, today=TODAY, historical=True))

    assert error.code is Code.RECORDED_IN_FUTURE


def test_only_a_historical_read_takes_the_recorded_date(tmp_path: Path) -> None:
    header = [*MEETINGS, "录入日期"]
    rows = [[*meeting_row(), "2026-03-20"], [*meeting_row(日期="2026-04-01"), ""]]
    path = write_csv(tmp_path / "m.csv", [header, *rows])

    today = [m.recorded for m in read_meetings(path, today=TODAY).records]
    historical = [m.recorded for m in read_meetings(path, today=TODAY, historical=True).records]

    assert today == [TODAY, TODAY]
    assert historical == [dt.date(2026, 3, 20), dt.date(2026, 4, 1)]


# ------------------------------------------------------------------------ 所属期间


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("2025", "2025"),
        ("2025-H2", "2025-H2"),
        ("2025-q4", "2025-Q4"),
        ("2025-12", "2025-12"),
        ("2025-B6", "2025-B6"),
        ("2025年", "2025"),
        ("2025年度", "2025"),
        ("2025年第四季度", "2025-Q4"),
        ("2025年第4季度", "2025-Q4"),
        ("2025年下半年", "2025-H2"),
        ("2025年上半年", "2025-H1"),
        ("2025年12月", "2025-12"),
        ("２０２５", "2025"),
        ("", None),
    ],
)
def test_the_period_a_record_counts_for_is_read_as_its_label(
    tmp_path: Path, text: str, label: str | None
) -> None:
    header = [*MEETINGS, "所属期间"]
    path = write_csv(tmp_path / "m.csv", [header, [*meeting_row(日期="2026-01-20"), text]])

    (meeting,) = meetings(path)

    assert meeting.for_period == label  # type: ignore[attr-defined]


def test_an_english_for_period_header_is_accepted(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [["org", "kind", "date", "for_period"], ["B01", "组织生活会", "2026-01-20", "2025"]],
    )

    (meeting,) = meetings(path)

    assert meeting.for_period == "2025"  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["2025-13", "2025-Q5", "2025-H3", "下半年", "2025年第五季度", "x"])
def test_a_for_period_that_is_not_a_period_is_refused(tmp_path: Path, text: str) -> None:
    error = one_meeting_failure(tmp_path, [*MEETINGS, "所属期间"], 所属期间=text)

    assert (error.code, error.column) == (Code.BAD_PERIOD, "所属期间")


def test_a_for_period_that_starts_after_the_meeting_is_refused_naming_both(
    tmp_path: Path,
) -> None:
    error = one_meeting_failure(
        tmp_path, [*MEETINGS, "所属期间"], 日期="2026-03-10", 所属期间="2026-Q2"
    )

    assert (error.code, error.column) == (Code.PERIOD_AFTER_MEETING, "所属期间")
    assert "2026-04-01" in error.reason
    assert "2026-03-10" in error.reason


def test_a_for_period_that_holds_the_meeting_is_accepted(tmp_path: Path) -> None:
    header = [*MEETINGS, "所属期间"]
    path = write_csv(tmp_path / "m.csv", [header, [*meeting_row(日期="2026-03-10"), "2026-Q1"]])

    (meeting,) = meetings(path)

    assert meeting.for_period == "2026-Q1"  # type: ignore[attr-defined]


# ---------------------------------------------------------------- members and groups


def test_a_members_short_group_name_is_kept_for_the_store_to_resolve(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "members.csv", [MEMBERS, ["M1", "张三", "B01", "第一党小组"]])

    (member,) = read_members(path).records

    assert member.group == "第一党小组"
