"""Reading the orgs, members and meetings registers from CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from monitor.core.domain import Meeting, Member, MemberStatus, Org, OrgType, Role
from monitor.core.errors import RegisterError
from monitor.core.kinds import DEFAULT_CATALOG
from monitor.registers.readers import (
    MEETING_COLUMNS,
    MEMBER_COLUMNS,
    ORG_COLUMNS,
    PROGRESS_EVERY,
    Column,
    Parsed,
    count_rows,
    read_meetings,
    read_members,
    read_orgs,
    stream_meetings,
)

DATA = Path(__file__).parent / "data" / "readers"
TODAY = dt.date(2026, 4, 1)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

MEETINGS_HEADER = [
    "组织编码",
    "会议类型",
    "日期",
    "应到人数",
    "实到人数",
    "授课人",
    "主题",
    "参会人员",
]
ORGS_HEADER = ["组织编码", "组织名称", "组织类型", "上级组织编码", "主题党日", "设支委会"]
MEMBERS_HEADER = ["党员编号", "姓名", "所在组织编码", "职务", "党员类型", "领导干部"]

Cell = str | int | float | dt.date | None
Cells = Sequence[Cell]
WriteCsv = Callable[..., Path]
WriteXlsx = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write rows (or raw text) to a CSV in tmp_path and return its path."""

    def write(
        rows: Sequence[Cells] | str, *, name: str = "register.csv", encoding: str = "utf-8"
    ) -> Path:
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as file:
            if isinstance(rows, str):
                file.write(rows)
            else:
                csv.writer(file).writerows(rows)
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path: Path) -> WriteXlsx:
    """Write rows to the first sheet of a workbook in tmp_path; ``at`` places rows by number."""

    def write(
        rows: Sequence[Cells] = (),
        *,
        at: dict[int, Cells] | None = None,
        name: str = "register.xlsx",
    ) -> Path:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        for row in rows:
            sheet.append(list(row))
        for number, cells in (at or {}).items():
            for column, value in enumerate(cells, start=1):
                sheet.cell(row=number, column=column, value=value)
        path = tmp_path / name
        workbook.save(path)
        return path

    return write


def meetings(path: Path) -> Parsed[Meeting]:
    return read_meetings(path, today=TODAY)


def meeting_row(
    *,
    org: str = "B01",
    kind: str = "党课",
    date: str = "2026-03-10",
    expected: str = "",
    attended: str = "",
    lecturer: str = "",
    topic: str = "",
    attendees: str = "",
) -> list[str]:
    return [org, kind, date, expected, attended, lecturer, topic, attendees]


def one_meeting(write_csv: WriteCsv, **cells: str) -> Meeting:
    (meeting,) = meetings(write_csv([MEETINGS_HEADER, meeting_row(**cells)])).records
    return meeting


def failure(read: Callable[[], object]) -> RegisterError:
    """The RegisterError ``read`` raises, checked to say in Chinese, on one line, how to fix
    the problem."""
    with pytest.raises(RegisterError) as caught:
        read()
    error = caught.value
    assert str(error).startswith(error.path)
    assert CJK.search(error.reason), error.reason
    assert "\n" not in str(error)
    return error


def meeting_failure(write_csv: WriteCsv, **cells: str) -> RegisterError:
    path = write_csv([MEETINGS_HEADER, meeting_row(**cells)])
    return failure(lambda: meetings(path))


# ------------------------------------------------------------------ sample registers


def test_it_reads_the_sample_orgs_register() -> None:
    parsed = read_orgs(DATA / "orgs.csv")

    assert parsed.path == DATA / "orgs.csv"
    assert parsed.records == [
        Org("C01", "某某大学委员会", OrgType.COMMITTEE, None, dt.date(1952, 10, 1), None, True),
        Org("G01", "机关党总支", OrgType.GENERAL_BRANCH, "C01", dt.date(2001, 7, 1), None, True),
        Org("B01", "机关第一党支部", OrgType.BRANCH, "G01", dt.date(2001, 7, 1), "15", True),
        Org("B02", "机关第二党支部", OrgType.BRANCH, "G01", dt.date(2003, 6, 30), "-1FR", False),
        Org("P01", "第一党小组", OrgType.GROUP, "B01", None, None, None),
    ]
    assert parsed.lines == [2, 3, 4, 5, 6]
    assert "备注" not in parsed.columns.values()
    assert parsed.columns["party_day"] == "主题党日"


def test_it_reads_the_sample_members_register() -> None:
    parsed = read_members(DATA / "members.csv")

    assert parsed.records == [
        Member(
            "M001",
            "张三",
            "B01",
            "P01",
            Role.SECRETARY,
            dt.date(1998, 7, 1),
            MemberStatus.FULL,
            True,
        ),
        Member(
            "M002",
            "李四",
            "B01",
            "P01",
            Role.DEPUTY_SECRETARY,
            dt.date(2005, 6, 30),
            MemberStatus.FULL,
            False,
        ),
        Member(
            "M003",
            "王五",
            "B01",
            None,
            Role.COMMITTEE_MEMBER,
            dt.date(2010, 12, 1),
            MemberStatus.FULL,
            False,
        ),
        Member(
            "M004",
            "赵六",
            "B02",
            None,
            Role.MEMBER,
            dt.date(2025, 5, 4),
            MemberStatus.PROBATIONARY,
            False,
        ),
    ]
    assert parsed.lines == [2, 3, 4, 5]


def test_it_reads_the_sample_meetings_register() -> None:
    parsed = meetings(DATA / "meetings.csv")

    assert parsed.records == [
        Meeting(
            "B01",
            frozenset({"themed_party_day", "party_lesson"}),
            dt.date(2026, 3, 10),
            12,
            11,
            "张三",
            "学习贯彻全会精神",
            ("M001", "M002", "M003"),
            TODAY,
        ),
        Meeting(
            "B01",
            frozenset({"committee_meeting"}),
            dt.date(2026, 3, 2),
            3,
            3,
            None,
            "研究发展党员工作",
            ("M001", "M002", "M003"),
            TODAY,
        ),
        Meeting("B02", frozenset({"general_meeting"}), dt.date(2026, 3, 15), 8, 8, recorded=TODAY),
    ]
    assert parsed.lines == [2, 3, 5]  # line 4 is blank
    assert all(meeting.id is None for meeting in parsed.records)
    assert len(parsed) == 3


# ------------------------------------------------------------------------- encodings


def test_it_reads_utf8_csv_with_english_headers_in_any_case_and_spacing(
    write_csv: WriteCsv,
) -> None:
    header = [" Code ", "NAME", "Type", "Parent", "Party Day", "has-committee", "\u3000founded"]
    path = write_csv([header, ["B01", "First Branch", "branch", "C01", "2mo", "yes", "2001-07-01"]])

    parsed = read_orgs(path)

    assert parsed.records == [
        Org("B01", "First Branch", OrgType.BRANCH, "C01", dt.date(2001, 7, 1), "2MO", True)
    ]
    assert parsed.columns["code"] == " Code "  # as written, for error messages
    assert parsed.columns["founded"] == "\u3000founded"


def test_it_reads_utf8_csv_with_a_bom(write_csv: WriteCsv) -> None:
    path = write_csv(
        [ORGS_HEADER, ["B01", "第一党支部", "党支部", "", "", ""]], encoding="utf-8-sig"
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    parsed = read_orgs(path)

    assert parsed.records == [Org("B01", "第一党支部", OrgType.BRANCH)]
    assert parsed.columns["code"] == "组织编码"


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_it_reads_gb18030_csv(write_csv: WriteCsv, encoding: str) -> None:
    path = write_csv(
        [MEETINGS_HEADER, meeting_row(kind="主题党日+党课", topic="学习党章")], encoding=encoding
    )

    (meeting,) = meetings(path).records

    assert meeting.kinds == {"themed_party_day", "party_lesson"}
    assert meeting.topic == "学习党章"


def test_it_rereads_a_csv_whose_first_gb18030_byte_is_deep_in_the_file(
    write_csv: WriteCsv,
) -> None:
    # English headers and ASCII rows decode as UTF-8 for many buffers before the first GBK text.
    rows: list[Cells] = [["org", "kind", "date", "topic"]]
    rows += [["B01", "party_lesson", "2026-03-10", "x" * 50] for _ in range(3000)]
    rows.append(["B01", "党课", "2026-03-11", "学习党章"])
    path = write_csv(rows, encoding="gb18030")

    parsed = meetings(path)

    assert len(parsed.records) == 3001
    assert parsed.records[-1].topic == "学习党章"
    assert parsed.lines[-1] == 3002


def test_it_reports_the_byte_offset_when_a_csv_is_neither_utf8_nor_gb18030(
    tmp_path: Path,
) -> None:
    path = tmp_path / "orgs.csv"
    path.write_bytes(b"code,name,type\nB01,\xff\xff,branch\n")

    error = failure(lambda: read_orgs(path))

    assert "第 19 字节" in error.reason  # 15 bytes of header, then "B01,"
    assert "UTF-8" in error.reason
    assert "GB18030" in error.reason


# ------------------------------------------------------------------------------ XLSX


def test_it_reads_xlsx_with_date_and_number_cells(write_xlsx: WriteXlsx) -> None:
    path = write_xlsx(
        [
            [*MEETINGS_HEADER, "录入日期"],
            ["B01", "主题党日", dt.datetime(2026, 3, 10), 12, 11, None, None, None, None],
            ["B02", "党课", dt.date(2026, 3, 12), 12.0, 10.0, "张三", None, 1001, "2026/3/13"],
            ["B03", "支委会", dt.datetime(2026, 3, 14, 9, 30), "5人", 5, None, None, None, None],
        ]
    )

    parsed = meetings(path)

    assert [m.date for m in parsed.records] == [
        dt.date(2026, 3, 10),
        dt.date(2026, 3, 12),
        dt.date(2026, 3, 14),
    ]
    assert [(m.expected, m.attended) for m in parsed.records] == [(12, 11), (12, 10), (5, 5)]
    assert parsed.records[1].attendees == ("1001",)
    assert [m.recorded for m in parsed.records] == [TODAY, TODAY, TODAY]
    historical = read_meetings(path, today=TODAY, historical=True)
    assert [m.recorded for m in historical.records] == [
        dt.date(2026, 3, 10),
        dt.date(2026, 3, 13),
        dt.date(2026, 3, 14),
    ]
    assert parsed.lines == [2, 3, 4]


def test_it_reads_xlsx_members_with_number_ids_and_boolean_cells(write_xlsx: WriteXlsx) -> None:
    path = write_xlsx(
        [
            ["党员编号", "姓名", "所在组织编码", "入党日期", "领导干部"],
            [1001, "张三", "B01", dt.datetime(1998, 7, 1), True],
            [1002.0, "李四", "B01", None, False],
            [1003, "王五", "B01", None, 1],
        ]
    )

    parsed = read_members(path)

    assert [m.id for m in parsed.records] == ["1001", "1002", "1003"]
    assert parsed.records[0].joined == dt.date(1998, 7, 1)
    assert [m.leader for m in parsed.records] == [True, False, True]


def test_it_reads_only_the_first_sheet_of_a_workbook(tmp_path: Path) -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.append(ORGS_HEADER)
    first.append(["B01", "第一党支部", "党支部"])
    second = workbook.create_sheet("说明")
    second.append(["这里是填表说明"])
    workbook.active = 1  # the active sheet is not what counts
    path = tmp_path / "orgs.xlsx"
    workbook.save(path)

    assert read_orgs(path).records == [Org("B01", "第一党支部", OrgType.BRANCH)]


def test_xlsx_lines_are_sheet_row_numbers_counting_empty_rows(write_xlsx: WriteXlsx) -> None:
    path = write_xlsx(
        at={
            1: MEETINGS_HEADER,
            2: meeting_row(),
            5: meeting_row(date="2026-02-30"),
        }
    )

    error = failure(lambda: meetings(path))

    assert (error.line, error.column, error.value) == (5, "日期", "2026-02-30")


def test_it_rejects_a_number_cell_in_an_xlsx_date_column(write_xlsx: WriteXlsx) -> None:
    path = write_xlsx([MEETINGS_HEADER, ["B01", "党课", 46091]])

    error = failure(lambda: meetings(path))

    assert (error.line, error.column, error.value) == (2, "日期", "46091")
    assert "YYYY-MM-DD" in error.reason


def test_it_rejects_a_workbook_that_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "orgs.xlsx"
    path.write_text("code,name,type\n", encoding="utf-8")

    error = failure(lambda: read_orgs(path))

    assert "Excel 工作簿" in error.reason


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-10",
        "2026-3-10",
        "2026/3/10",
        "2026/03/10",
        "2026.3.10",
        "2026年3月10日",
        "2026 年 3 月 10 日",
        "2026-03-10 00:00:00",
        " 2026/3/10 ",
    ],
)
def test_it_reads_every_date_format(write_csv: WriteCsv, text: str) -> None:
    assert one_meeting(write_csv, date=text).date == dt.date(2026, 3, 10)


@pytest.mark.parametrize("text", ["2026-02-30", "2026/2/30", "2026.13.1", "2026年2月29日"])
def test_it_rejects_a_date_that_does_not_exist(write_csv: WriteCsv, text: str) -> None:
    error = meeting_failure(write_csv, date=text)

    assert (error.line, error.column, error.value) == (2, "日期", text)
    assert "不存在" in error.reason


def test_it_rejects_an_excel_serial_number_as_a_date_in_csv(write_csv: WriteCsv) -> None:
    error = meeting_failure(write_csv, date="46091")

    assert (error.line, error.column, error.value) == (2, "日期", "46091")
    assert "日期序号" in error.reason


@pytest.mark.parametrize("text", ["3月10日", "10/3/2026", "2026-03", "next Tuesday", "2026-3/10"])
def test_it_rejects_text_that_is_not_a_date(write_csv: WriteCsv, text: str) -> None:
    error = meeting_failure(write_csv, date=text)

    assert (error.line, error.column, error.value) == (2, "日期", text)
    assert "YYYY-MM-DD" in error.reason


def test_it_requires_a_meeting_date(write_csv: WriteCsv) -> None:
    error = meeting_failure(write_csv, date="")

    assert (error.line, error.column) == (2, "日期")
    assert "未填写" in error.reason


def test_the_recorded_date_is_today_unless_the_import_is_historical(write_csv: WriteCsv) -> None:
    path = write_csv(
        [
            ["org", "kind", "date", "recorded"],
            ["B01", "党课", "2026-03-10", "2026年3月12日"],
            ["B01", "党课", "2026-03-10", ""],
            ["B01", "党课", "2026-03-10", "  "],
        ]
    )

    assert [m.recorded for m in meetings(path).records] == [TODAY, TODAY, TODAY]
    historical = read_meetings(path, today=TODAY, historical=True).records
    # Migrating old registers: the file's 录入日期, or the meeting date where it is blank.
    assert [m.recorded for m in historical] == [dt.date(2026, 3, 12), *[dt.date(2026, 3, 10)] * 2]


# ---------------------------------------------------------------------------- counts


@pytest.mark.parametrize("text", ["12", "12.0", "12人", "12 人", " 12 ", "１２"])
def test_it_reads_head_counts(write_csv: WriteCsv, text: str) -> None:
    meeting = one_meeting(write_csv, expected=text, attended="10")

    assert (meeting.expected, meeting.attended) == (12, 10)


def test_blank_head_counts_are_none(write_csv: WriteCsv) -> None:
    meeting = one_meeting(write_csv, expected="", attended=" ")

    assert (meeting.expected, meeting.attended) == (None, None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("-1", "负数"), ("-3人", "负数"), ("twelve", "整数"), ("12.5", "整数")],
)
def test_it_rejects_bad_head_counts(write_csv: WriteCsv, text: str, reason: str) -> None:
    error = meeting_failure(write_csv, expected=text)

    assert (error.line, error.column, error.value) == (2, "应到人数", text)
    assert reason in error.reason


def test_it_rejects_more_attended_than_expected(write_csv: WriteCsv) -> None:
    error = meeting_failure(write_csv, expected="10", attended="12")

    assert (error.line, error.column) == (2, "实到人数")
    assert error.value == "实到 12，应到 10"


# ----------------------------------------------------------------------------- kinds


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("党课", {"party_lesson"}),
        ("主题党日+党课", {"themed_party_day", "party_lesson"}),
        ("党课＋主题党日", {"themed_party_day", "party_lesson"}),
        ("支委会;党课", {"committee_meeting", "party_lesson"}),
        ("支部党员大会、党课", {"general_meeting", "party_lesson"}),
        ("themed_party_day + party_lesson", {"themed_party_day", "party_lesson"}),
        ("党课+党课", {"party_lesson"}),
    ],
)
def test_it_reads_combined_kinds(write_csv: WriteCsv, text: str, kinds: set[str]) -> None:
    assert one_meeting(write_csv, kind=text).kinds == kinds


def test_it_rejects_an_unknown_kind_naming_the_bad_part(write_csv: WriteCsv) -> None:
    error = meeting_failure(write_csv, kind="主题党日+党可")

    assert (error.line, error.column, error.value) == (2, "会议类型", "党可")
    for kind in DEFAULT_CATALOG:
        assert kind.name in error.reason


def test_it_rejects_a_blank_kind(write_csv: WriteCsv) -> None:
    error = meeting_failure(write_csv, kind=" ")

    assert (error.line, error.column) == (2, "会议类型")
    assert "未填写" in error.reason


def test_it_resolves_kinds_with_the_catalog_given(write_csv: WriteCsv) -> None:
    catalog = DEFAULT_CATALOG.with_extra([("theory_study", "理论学习", ("理论学习会",))])
    path = write_csv([MEETINGS_HEADER, meeting_row(kind="理论学习会+党课")])

    (meeting,) = read_meetings(path, today=TODAY, catalog=catalog).records

    assert meeting.kinds == {"theory_study", "party_lesson"}


# ------------------------------------------------------------------ other meeting cells


@pytest.mark.parametrize(
    "text",
    ["M1;M2;M3", "M1；M2；M3", "M1、M2、M3", "M1,M2,M3", "M1，M2，M3", "M1 M2\tM3", "M1; M2;"],
)
def test_it_splits_attendees_on_every_separator(write_csv: WriteCsv, text: str) -> None:
    expected = ("M1", "M2", "M3") if "M3" in text else ("M1", "M2")

    assert one_meeting(write_csv, attendees=text).attendees == expected


def test_it_keeps_each_attendee_once(write_csv: WriteCsv) -> None:
    assert one_meeting(write_csv, attendees="M2、M1、M2").attendees == ("M2", "M1")


def test_blank_optional_meeting_text_is_none(write_csv: WriteCsv) -> None:
    meeting = one_meeting(write_csv, lecturer=" ", topic="")

    assert (meeting.lecturer, meeting.topic, meeting.attendees) == (None, None, ())


def test_it_requires_the_org_of_a_meeting(write_csv: WriteCsv) -> None:
    error = meeting_failure(write_csv, org="")

    assert (error.line, error.column, error.value) == (2, "组织编码", "")


def test_it_reports_progress_every_ten_thousand_rows(write_csv: WriteCsv) -> None:
    rows = 2 * PROGRESS_EVERY + 500
    path = write_csv([MEETINGS_HEADER] + [meeting_row()] * rows)
    seen: list[int] = []

    parsed = read_meetings(path, today=TODAY, progress=seen.append)

    assert len(parsed.records) == rows
    assert seen == [PROGRESS_EVERY, 2 * PROGRESS_EVERY, rows]


# ------------------------------------------------------------------------- org values


@pytest.mark.parametrize(
    ("text", "org_type"),
    [
        ("党委", OrgType.COMMITTEE),
        ("党总支", OrgType.GENERAL_BRANCH),
        ("党支部", OrgType.BRANCH),
        ("党小组", OrgType.GROUP),
        ("committee", OrgType.COMMITTEE),
        ("General Branch", OrgType.GENERAL_BRANCH),
        ("general_branch", OrgType.GENERAL_BRANCH),
        ("BRANCH", OrgType.BRANCH),
        ("group", OrgType.GROUP),
    ],
)
def test_it_reads_org_types(write_csv: WriteCsv, text: str, org_type: OrgType) -> None:
    (org,) = read_orgs(write_csv([["code", "name", "type"], ["X1", "X", text]])).records

    assert org.type is org_type


@pytest.mark.parametrize("text", ["党员之家", "branch office", ""])
def test_it_rejects_an_unknown_org_type(write_csv: WriteCsv, text: str) -> None:
    path = write_csv([ORGS_HEADER, ["B01", "第一党支部", text]])

    error = failure(lambda: read_orgs(path))

    assert (error.line, error.column, error.value) == (2, "组织类型", text)


@pytest.mark.parametrize(
    ("text", "party_day"),
    [
        ("15", "15"),
        ("05", "5"),
        ("1", "1"),
        ("31", "31"),
        ("15日", "15"),
        ("1FR", "1FR"),
        ("1fr", "1FR"),
        ("+2mo", "2MO"),
        ("-1FR", "-1FR"),
        ("5SU", "5SU"),
        ("", None),
    ],
)
def test_it_reads_party_days(write_csv: WriteCsv, text: str, party_day: str | None) -> None:
    (org,) = read_orgs(write_csv([ORGS_HEADER, ["B01", "支部", "党支部", "", text]])).records

    assert org.party_day == party_day


@pytest.mark.parametrize("text", ["0", "32", "6FR", "0MO", "FR", "1FRI", "last Friday"])
def test_it_rejects_a_bad_party_day(write_csv: WriteCsv, text: str) -> None:
    path = write_csv([ORGS_HEADER, ["B01", "支部", "党支部", "", text]])

    error = failure(lambda: read_orgs(path))

    assert (error.line, error.column, error.value) == (2, "主题党日", text)
    assert "1FR" in error.reason


PARTY_TIME_HEADER = ["组织编码", "组织名称", "组织类型", "主题党日时间"]
T = dt.time


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("14:30-16:30", (T(14, 30), T(16, 30))),
        ("14:30—16:30", (T(14, 30), T(16, 30))),
        ("14:30–16:30", (T(14, 30), T(16, 30))),
        ("14:30——16:30", (T(14, 30), T(16, 30))),
        ("14:30～16:30", (T(14, 30), T(16, 30))),
        ("14:30~16:30", (T(14, 30), T(16, 30))),
        ("14:30至16:30", (T(14, 30), T(16, 30))),
        ("14:30到16:30", (T(14, 30), T(16, 30))),
        ("14：30－16：30", (T(14, 30), T(16, 30))),
        (" 14:30 - 16:30 ", (T(14, 30), T(16, 30))),
        ("9:00-11:30", (T(9, 0), T(11, 30))),
        ("14:30:00-16:30:00", (T(14, 30), T(16, 30))),
        ("1430-1630", (T(14, 30), T(16, 30))),
        ("14:30", (T(14, 30), T(16, 30))),
        ("8:00", (T(8, 0), T(10, 0))),
        ("21:59", (T(21, 59), T(23, 59))),
        ("", None),
    ],
)
def test_it_reads_party_times(
    write_csv: WriteCsv, text: str, span: tuple[dt.time, dt.time] | None
) -> None:
    path = write_csv([PARTY_TIME_HEADER, ["B01", "支部", "党支部", text]])

    (org,) = read_orgs(path).records

    assert org.party_time == span


@pytest.mark.parametrize("header", ["party_time", "Party Time", "主题党日时间", "活动时间"])
def test_the_party_time_column_has_english_and_chinese_headers(
    write_csv: WriteCsv, header: str
) -> None:
    path = write_csv(
        [["组织编码", "组织名称", "组织类型", header], ["B01", "支部", "党支部", "8:30"]]
    )

    parsed = read_orgs(path)

    assert parsed.records[0].party_time == (T(8, 30), T(10, 30))
    assert parsed.columns["party_time"] == header


def test_a_register_without_a_party_time_column_gives_none(write_csv: WriteCsv) -> None:
    (org,) = read_orgs(write_csv([ORGS_HEADER, ["B01", "支部", "党支部", "", "15"]])).records

    assert org.party_time is None


def test_it_reads_an_xlsx_time_cell_as_a_two_hour_start(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(PARTY_TIME_HEADER)
    sheet.append(["B01", "支部", "党支部", dt.time(14, 30)])  # a time-formatted cell
    sheet.append(["B02", "支部", "党支部", "14:30-17:00"])
    path = tmp_path / "orgs.xlsx"
    workbook.save(path)

    assert [o.party_time for o in read_orgs(path).records] == [
        (T(14, 30), T(16, 30)),
        (T(14, 30), T(17, 0)),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("下午", "不是时间段"),
        ("14.30-16.30", "不是时间段"),
        ("14:30-", "不是时间段"),
        ("1430", "不是时间段"),
        ("930-1130", "不是时间段"),
        ("14:30-16:30-18:00", "不是时间段"),
        ("16:30-14:30", "不晚于开始时间"),
        ("14:30-14:30", "不晚于开始时间"),
        ("25:00-26:00", "不是有效时间"),
        ("14:00-14:60", "不是有效时间"),
        ("22:30", "跨过午夜"),
    ],
)
def test_it_rejects_a_bad_party_time(write_csv: WriteCsv, text: str, reason: str) -> None:
    path = write_csv(
        [
            PARTY_TIME_HEADER,
            ["B01", "支部", "党支部", "9:00-11:00"],
            ["B02", "支部", "党支部", text],
        ]
    )

    error = failure(lambda: read_orgs(path))

    assert (error.line, error.column, error.value) == (3, "主题党日时间", text)
    assert reason in error.reason
    assert "14:30-16:30" in error.reason  # an example of a valid value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("是", True),
        ("否", False),
        ("true", True),
        ("FALSE", False),
        ("Yes", True),
        ("no", False),
        ("1", True),
        ("0", False),
        ("Y", True),
        ("n", False),
        ("√", True),
        ("", None),
    ],
)
def test_it_reads_yes_no_cells(write_csv: WriteCsv, text: str, value: bool | None) -> None:
    (org,) = read_orgs(write_csv([ORGS_HEADER, ["B01", "支部", "党支部", "", "", text]])).records

    assert org.has_committee is value


def test_it_rejects_a_cell_that_is_not_yes_or_no(write_csv: WriteCsv) -> None:
    path = write_csv([ORGS_HEADER, ["B01", "支部", "党支部", "", "", "也许"]])

    error = failure(lambda: read_orgs(path))

    assert (error.line, error.column, error.value) == (2, "设支委会", "也许")


def test_it_rejects_an_org_that_is_its_own_parent(write_csv: WriteCsv) -> None:
    path = write_csv([ORGS_HEADER, ["B01", "支部", "党支部", "B01"]])

    error = failure(lambda: read_orgs(path))

    assert (error.line, error.column, error.value) == (2, "上级组织编码", "B01")


def test_it_requires_an_org_name(write_csv: WriteCsv) -> None:
    path = write_csv([ORGS_HEADER, ["B01", "", "党支部"]])

    error = failure(lambda: read_orgs(path))

    assert (error.line, error.column) == (2, "组织名称")
    assert "未填写" in error.reason


# ---------------------------------------------------------------------- member values


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("书记", Role.SECRETARY),
        ("支部书记", Role.SECRETARY),
        ("副书记", Role.DEPUTY_SECRETARY),
        ("支部副书记", Role.DEPUTY_SECRETARY),
        ("委员", Role.COMMITTEE_MEMBER),
        ("组织委员", Role.COMMITTEE_MEMBER),
        ("宣传委员", Role.COMMITTEE_MEMBER),
        ("纪检委员", Role.COMMITTEE_MEMBER),
        ("党员", Role.MEMBER),
        ("普通党员", Role.MEMBER),
        ("", Role.MEMBER),
        ("secretary", Role.SECRETARY),
        ("Deputy Secretary", Role.DEPUTY_SECRETARY),
        ("committee_member", Role.COMMITTEE_MEMBER),
        ("MEMBER", Role.MEMBER),
    ],
)
def test_it_reads_roles(write_csv: WriteCsv, text: str, role: Role) -> None:
    (member,) = read_members(write_csv([MEMBERS_HEADER, ["M1", "张三", "B01", text]])).records

    assert member.role is role


def test_it_rejects_an_unknown_role(write_csv: WriteCsv) -> None:
    path = write_csv([MEMBERS_HEADER, ["M1", "张三", "B01", "团员"]])

    error = failure(lambda: read_members(path))

    assert (error.line, error.column, error.value) == (2, "职务", "团员")


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("正式党员", MemberStatus.FULL),
        ("正式", MemberStatus.FULL),
        ("预备党员", MemberStatus.PROBATIONARY),
        ("预备", MemberStatus.PROBATIONARY),
        ("full", MemberStatus.FULL),
        ("Probationary", MemberStatus.PROBATIONARY),
        ("", MemberStatus.FULL),
    ],
)
def test_it_reads_member_statuses(write_csv: WriteCsv, text: str, status: MemberStatus) -> None:
    (member,) = read_members(write_csv([MEMBERS_HEADER, ["M1", "张三", "B01", "", text]])).records

    assert member.status is status


def test_it_rejects_an_unknown_member_status(write_csv: WriteCsv) -> None:
    path = write_csv([MEMBERS_HEADER, ["M1", "张三", "B01", "", "积极分子"]])

    error = failure(lambda: read_members(path))

    assert (error.line, error.column, error.value) == (2, "党员类型", "积极分子")


def test_a_blank_leader_cell_is_false(write_csv: WriteCsv) -> None:
    path = write_csv([MEMBERS_HEADER, ["M1", "张三", "B01", "", "", ""], ["M2", "李四", "B01"]])

    assert [m.leader for m in read_members(path).records] == [False, False]


def test_it_requires_the_branch_of_a_member(write_csv: WriteCsv) -> None:
    path = write_csv([MEMBERS_HEADER, ["M1", "张三", " "]])

    error = failure(lambda: read_members(path))

    assert (error.line, error.column, error.value) == (2, "所在组织编码", " ")


# ------------------------------------------------------------------ rows and headers


def test_it_rejects_a_duplicate_org_code_naming_both_lines(write_csv: WriteCsv) -> None:
    path = write_csv(
        [
            ORGS_HEADER,
            ["B01", "第一党支部", "党支部"],
            ["B02", "第二党支部", "党支部"],
            ["B01", "第三党支部", "党支部"],
        ]
    )

    error = failure(lambda: read_orgs(path))

    assert (error.line, error.column, error.value) == (4, "组织编码", "B01")
    assert "第2行" in error.reason
    assert "第4行" in str(error)


def test_it_rejects_a_duplicate_member_id_naming_both_lines(write_csv: WriteCsv) -> None:
    path = write_csv(
        [["id", "name", "org"], ["M1", "张三", "B01"], [], ["M1", "李四", "B02"]],
    )

    error = failure(lambda: read_members(path))

    assert (error.line, error.column, error.value) == (4, "id", "M1")
    assert "第2行" in error.reason
    assert "第4行" in str(error)


def test_it_skips_blank_rows_but_counts_their_lines(write_csv: WriteCsv) -> None:
    path = write_csv(
        [
            MEETINGS_HEADER,
            meeting_row(),
            [],
            ["", "", "", ""],
            [" ", "\u3000", "", "", "", "", "", "", ""],
            meeting_row(date="2026-03-11"),
            meeting_row(date="bad"),
        ]
    )

    error = failure(lambda: meetings(path))

    assert error.line == 7


def test_a_quoted_multiline_cell_counts_as_one_row(write_csv: WriteCsv) -> None:
    path = write_csv(
        [MEETINGS_HEADER, meeting_row(topic="第一行\n第二行\n第三行"), meeting_row(date="bad")]
    )
    assert path.read_text(encoding="utf-8").count("\n") == 5

    error = failure(lambda: meetings(path))

    assert error.line == 3


def test_short_rows_and_blank_cells_beyond_the_header_are_fitted_to_it(
    write_csv: WriteCsv,
) -> None:
    path = write_csv([MEETINGS_HEADER, ["B01", "党课", "2026-03-10"], [*meeting_row(), "", " "]])

    assert [m.org for m in meetings(path).records] == ["B01", "B01"]


def test_text_beyond_the_header_is_an_error_naming_the_cells(write_csv: WriteCsv) -> None:
    path = write_csv([MEETINGS_HEADER, meeting_row(), [*meeting_row(), "", "extra"]])

    error = failure(lambda: meetings(path))

    assert (error.line, error.value) == (3, "extra")
    assert "J列“extra”" in error.reason


def test_it_ignores_unknown_columns(write_csv: WriteCsv) -> None:
    path = write_csv(
        [["备注", "code", "name", "type", "notes"], ["x", "B01", "支部", "党支部", "y"]]
    )

    parsed = read_orgs(path)

    assert parsed.records == [Org("B01", "支部", OrgType.BRANCH)]
    assert parsed.columns == {"code": "code", "name": "name", "type": "type"}


@pytest.mark.parametrize(
    ("read", "columns", "english", "chinese"),
    [
        (read_orgs, ORG_COLUMNS, "type", "组织类型"),
        (read_members, MEMBER_COLUMNS, "org", "所在组织编码"),
        (meetings, MEETING_COLUMNS, "kind", "会议类型"),
    ],
)
def test_it_names_a_missing_required_column_in_both_languages(
    write_csv: WriteCsv,
    read: Callable[[Path], object],
    columns: tuple[Column, ...],
    english: str,
    chinese: str,
) -> None:
    header = [c.name for c in columns if c.required and c.name != english]
    path = write_csv([header])

    with pytest.raises(RegisterError) as caught:
        read(path)

    assert (caught.value.line, caught.value.column) == (1, chinese)
    assert english in caught.value.reason
    assert f"“{chinese}”" in caught.value.reason
    assert str(path) in str(caught.value)


def test_it_rejects_a_column_given_twice(write_csv: WriteCsv) -> None:
    path = write_csv([["code", "name", "type", "组织编码"], ["B01", "支部", "党支部", "B01"]])

    with pytest.raises(RegisterError) as caught:
        read_orgs(path)

    assert (caught.value.line, caught.value.column) == (1, "组织编码")
    assert "“code”" in caught.value.reason
    assert "“组织编码”" in caught.value.reason


@pytest.mark.parametrize("name", ["orgs.doc", "orgs.txt", "orgs.json", "orgs"])
def test_it_rejects_other_file_types(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("code,name,type\n", encoding="utf-8")

    error = failure(lambda: read_orgs(path))

    assert ".csv" in error.reason
    assert ".xlsx" in error.reason


def test_the_suffix_is_matched_in_any_case(write_csv: WriteCsv) -> None:
    path = write_csv([ORGS_HEADER, ["B01", "支部", "党支部"]], name="ORGS.CSV")

    assert len(read_orgs(path).records) == 1


def test_it_reports_a_missing_file(tmp_path: Path) -> None:
    error = failure(lambda: read_orgs(tmp_path / "nowhere.csv"))

    assert "文件不存在" in error.reason


@pytest.mark.parametrize("text", ["", "\n\n", " , ,\n"])
def test_it_rejects_a_file_without_a_header(write_csv: WriteCsv, text: str) -> None:
    error = failure(lambda: read_orgs(write_csv(text)))

    assert error.line == 1
    assert "表头" in error.reason


def test_a_header_alone_reads_as_no_records(write_csv: WriteCsv) -> None:
    parsed = meetings(write_csv([MEETINGS_HEADER]))

    assert (parsed.records, parsed.lines) == ([], [])


def test_it_reports_a_malformed_csv_row_with_its_line(write_csv: WriteCsv) -> None:
    path = write_csv([MEETINGS_HEADER, meeting_row(), meeting_row(topic="x" * 200_000)])

    error = failure(lambda: meetings(path))

    assert error.line == 3
    assert "CSV 格式有误" in error.reason


# ------------------------------------------------------------------------ count_rows


def test_count_rows_estimates_csv_data_rows(write_csv: WriteCsv) -> None:
    assert count_rows(write_csv("h\n1\n2\n3\n")) == 3
    assert count_rows(write_csv("h\n1\n2\n3")) == 3  # no newline at the end
    assert count_rows(write_csv("")) == 0


def test_count_rows_estimates_xlsx_data_rows(write_xlsx: WriteXlsx) -> None:
    assert count_rows(write_xlsx([MEETINGS_HEADER, meeting_row(), meeting_row()])) == 2


def test_count_rows_is_none_when_it_cannot_tell(tmp_path: Path) -> None:
    (tmp_path / "orgs.json").write_text("{}", encoding="utf-8")

    assert count_rows(tmp_path / "orgs.json") is None
    assert count_rows(tmp_path / "missing.csv") is None


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_a_stream_reads_what_read_meetings_reads(write_csv: WriteCsv, encoding: str) -> None:
    rows = [MEETINGS_HEADER] + [
        ["B01", "主题党日+党课", f"2026-03-{day:02d}", "12", "11", "张三", "学习", "M1;M2"]
        for day in range(1, 29)
    ]
    path = write_csv(rows, encoding=encoding)
    with stream_meetings(path, today=TODAY) as stream:
        streamed = list(stream.rows)
        assert stream.columns == meetings(path).columns
    parsed = meetings(path)
    assert streamed == list(zip(parsed.lines, parsed.records, strict=True))


def test_a_stream_reads_xlsx_and_stops_at_a_bad_row(write_xlsx: WriteXlsx) -> None:
    path = write_xlsx(
        [
            MEETINGS_HEADER,
            ["B01", "主题党日", dt.datetime(2026, 3, 10), 12, 11],
            ["B02", "茶话会", dt.datetime(2026, 3, 11), 12, 11],
        ]
    )
    with stream_meetings(path, today=TODAY) as stream:
        first = next(stream.rows)
        assert first[0] == 2
        with pytest.raises(RegisterError) as caught:
            next(stream.rows)
    assert (caught.value.line, caught.value.value) == (3, "茶话会")


def test_a_stream_settles_the_encoding_before_the_first_row(write_csv: WriteCsv) -> None:
    # The only non-ASCII bytes come late: the stream must still read the file as GB18030.
    rows = [MEETINGS_HEADER] + [["B01", "party_lesson", "2026-03-01"]] * 5000
    rows.append(["B01", "党课", "2026-03-02", "", "", "", "学习"])
    path = write_csv(rows, encoding="gb18030")
    with stream_meetings(path, today=TODAY) as stream:
        last = list(stream.rows)[-1][1]
    assert last.topic == "学习"
