"""The streaming XLSX writer: what openpyxl and python-calamine read back is what was written."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from monitor.reporting.sheets import Style, Workbook, column_letter

TEXTS = [
    '=HYPERLINK("http://evil.example","点此")',
    "+1",
    "-1",
    "@SUM(A1)",
    "  前后有空格  ",
    "第一行\n第二行",
    "回车\r\n换行",
    "<b>&amp;</b> \"'",
    "制表\t符",
    "控制\x01字符",
    "𠀋",
]


def written() -> bytes:
    book = Workbook()
    sheet = book.sheet("甲's", [10, 20], freeze_below=1, filter_ref="A1:D12")
    sheet.append(["文本", "数", "日期", "其他"], [Style(bold=True, fill="F0F0F0")] * 4)
    for i, text in enumerate(TEXTS):
        sheet.append([text, i + 0.5, dt.date(2026, 3, i + 1), None])
    sheet = book.sheet("乙", [])
    sheet.append(
        [True, 0.125, dt.datetime(2026, 3, 1, 14, 30), None],
        [None, Style(number_format="0.0%"), None, Style(fill="FDECEA")],
    )
    return book.close()


def test_text_numbers_and_dates_read_back_as_written_and_no_cell_is_a_formula():
    book = load_workbook(io.BytesIO(written()))
    assert book.sheetnames == ["甲's", "乙"]
    first = book["甲's"]
    rows = [[c.value for c in row] for row in first.iter_rows(min_row=2)]
    # A control character XML cannot hold is written as OOXML's _xHHHH_ escape.
    assert [r[0] for r in rows] == [t.replace("\x01", "_x0001_") for t in TEXTS]
    assert [r[1] for r in rows] == [i + 0.5 for i in range(len(TEXTS))]
    assert [r[2] for r in rows] == [dt.datetime(2026, 3, i + 1) for i in range(len(TEXTS))]
    assert first["C2"].number_format == "yyyy-mm-dd"
    assert {c.data_type for row in first.iter_rows() for c in row if c.value is not None} == {
        "s",
        "n",
        "d",
    }
    second = book["乙"]
    assert [c.value for c in second[1]][:3] == [True, 0.125, dt.datetime(2026, 3, 1, 14, 30)]
    assert second["B1"].number_format == "0.0%"
    assert second["D1"].fill.fgColor.rgb == "FFFDECEA"


def test_sheet_layout_and_styles_read_back():
    first = load_workbook(io.BytesIO(written()))["甲's"]
    assert first.freeze_panes == "A2"
    assert first.auto_filter.ref == "A1:D12"
    assert first.column_dimensions["A"].width == 10
    assert first.column_dimensions["B"].width == 20
    assert first["A1"].font.bold
    assert first["A1"].fill.fgColor.rgb == "FFF0F0F0"
    assert not first["A2"].font.bold


def test_calamine_reads_the_same_text_control_characters_included():
    book = CalamineWorkbook.from_filelike(io.BytesIO(written()))
    rows = book.get_sheet_by_name("甲's").to_python()
    assert [r[0] for r in rows[1:]] == TEXTS


def test_the_same_rows_give_the_same_bytes():
    assert written() == written()


def test_column_letters():
    assert [column_letter(i) for i in (1, 12, 26, 27, 52, 702)] == [
        "A",
        "L",
        "Z",
        "AA",
        "AZ",
        "ZZ",
    ]
