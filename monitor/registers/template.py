"""Blank register workbooks (`orglife template`): the Chinese headers, drop-down lists for the
coded columns, one example row and a sheet of instructions.

Every cell is written as text, never as a formula, whatever it starts with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from monitor.core.kinds import DEFAULT_CATALOG, KindCatalog
from monitor.registers.columns import MEETING_COLUMNS, MEMBER_COLUMNS, ORG_COLUMNS, Column

TEMPLATES = ("orgs", "members", "meetings")

SPECS: dict[str, tuple[Column, ...]] = {
    "orgs": ORG_COLUMNS,
    "members": MEMBER_COLUMNS,
    "meetings": MEETING_COLUMNS,
}
SHEET_NAMES = {"orgs": "组织", "members": "党员", "meetings": "会议记录"}
INSTRUCTIONS_SHEET = "填写说明"

EXAMPLES: dict[str, dict[str, str]] = {
    "orgs": {
        "code": "JD01-01",
        "name": "幸福社区党支部",
        "type": "党支部",
        "parent": "JD01",
        "founded": "2005-03-01",
        "party_day": "-1FR",
        "has_committee": "是",
        "party_time": "14:30-16:30",
    },
    "members": {
        "id": "M0001",
        "name": "张三",
        "org": "JD01-01",
        "group": "第一党小组",
        "role": "支部书记",
        "joined": "1998-07-01",
        "status": "正式党员",
        "leader": "否",
    },
    "meetings": {
        "org": "JD01-01",
        "kind": "主题党日+党课",
        "date": "2026-03-06",
        "expected": "12",
        "attended": "11",
        "lecturer": "张三",
        "topic": "学习贯彻全会精神",
        "attendees": "M0001;M0002;M0003",
        "recorded": "",
        "for_period": "",
    },
}

# What each column holds, as the instruction sheet says it.
HELP_ZH: dict[str, dict[str, str]] = {
    "orgs": {
        "code": "组织的唯一编码，不能重复",
        "name": "组织全称",
        "type": "党委、党总支、党支部或党小组（党工委、党组、机关党委按党委填）",
        "parent": "上级组织的编码；最上级组织不填",
        "founded": "成立日期，格式 YYYY-MM-DD",
        "party_day": "固定主题党日：每月几号（如 15），或第几个星期几"
        "（1FR 第一个星期五，-1FR 最后一个星期五）",
        "has_committee": "是否设支部委员会：是/否",
        "party_time": "主题党日时间，如 14:30-16:30；只写开始时间按两小时计；不填按规则默认",
    },
    "members": {
        "id": "党员的唯一编号，不能重复",
        "name": "姓名",
        "org": "所在党支部的组织编码",
        "group": "所在党小组的编码，或本支部内党小组的名称（如 第一党小组）",
        "role": "书记、副书记、委员（组织委员等）或党员；不填即党员",
        "joined": "入党日期，格式 YYYY-MM-DD",
        "status": "正式党员或预备党员；不填即正式党员",
        "leader": "是否领导干部：是/否",
    },
    "meetings": {
        "org": "召开会议的组织编码",
        "kind": "会议类型；合并召开的用“+”连接，如 主题党日+党课",
        "date": "会议日期，格式 YYYY-MM-DD，不能晚于今天",
        "expected": "应到人数（0 至 100000）",
        "attended": "实到人数，不能多于应到人数",
        "lecturer": "党课授课人",
        "topic": "会议主题",
        "attendees": "参会党员的编号（或本组织内唯一的姓名），用 ; 、 , 或空格分隔",
        "recorded": "录入日期；只在用 --historical 迁移旧台账时采用，不填按会议日期",
        "for_period": "记录所属的更早期间（如 2025 年度组织生活会在次年初召开）：2025、2025-H2、"
        "2025-Q4、2025-12、2025-B6，或 2025年第四季度、2025年下半年；不填即按会议日期计",
    },
}

GENERAL_NOTES = (
    "每个工作表的第一行是表头；表头上方可以有标题行（前 10 行内），导入时会跳过。",
    "带 * 的列必须填写；其余列可以不填。",
    "每行一条记录；表头右侧不要再写内容。",
    "日期写成 YYYY-MM-DD（也可写 YYYY/M/D 或 YYYY年M月D日），须在 1921-01-01 之后。",
    "示例行（第 2 行）请改成实际内容或删除后再导入。",
    "导入：orglife import {kind} 文件名.xlsx；一行有错，整个文件都不导入，"
    "错误信息会指出行、列和值。",
)

YES_NO = ("是", "否")


def drop_downs(kind: str, catalog: KindCatalog) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Column -> (choices, strict): a strict list refuses other values, a loose one warns."""
    if kind == "orgs":
        return {
            "type": (("党委", "党总支", "党支部", "党小组"), True),
            "has_committee": (YES_NO, True),
        }
    if kind == "members":
        return {
            "role": (("书记", "副书记", "组织委员", "宣传委员", "纪检委员", "委员", "党员"), False),
            "status": (("正式党员", "预备党员"), True),
            "leader": (YES_NO, True),
        }
    # Combined sessions (主题党日+党课) are typed in, so the kind list only warns.
    return {"kind": (tuple(k.name for k in catalog), False)}


def write_template(
    kind: str,
    path: Path,
    catalog: KindCatalog = DEFAULT_CATALOG,
    example: Mapping[str, str] | None = None,
) -> None:
    """Write the blank register workbook of ``kind`` (orgs, members or meetings) to ``path``;
    ``example`` (column -> text) replaces the built-in example row."""
    example = EXAMPLES[kind] if example is None else example
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = SPECS[kind]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET_NAMES[kind]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDE9D9")
    for index, column in enumerate(spec, start=1):
        cell = _text(sheet, 1, index, column.zh[0])
        cell.font = bold
        if column.required:
            cell.fill = fill
        _text(sheet, 2, index, example.get(column.name, ""))
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, 2 * len(column.zh[0]) + 4)
        sheet.column_dimensions[letter].number_format = "@"  # typed codes keep their zeros
    sheet.freeze_panes = "A2"
    for name, (choices, strict) in drop_downs(kind, catalog).items():
        index = next(i for i, c in enumerate(spec, start=1) if c.name == name)
        letter = get_column_letter(index)
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop" if strict else "warning",
            errorTitle=spec[index - 1].zh[0],
            error="请从下拉列表中选择" if strict else "不在下拉列表中；确认无误可继续",
        )
        validation.add(f"{letter}2:{letter}10000")
        sheet.add_data_validation(validation)

    notes = workbook.create_sheet(INSTRUCTIONS_SHEET)
    for index, header in enumerate(("列名", "是否必填", "填写说明", "示例"), start=1):
        _text(notes, 1, index, header).font = bold
    for row, column in enumerate(spec, start=2):
        _text(notes, row, 1, column.zh[0] + (" *" if column.required else ""))
        _text(notes, row, 2, "必填" if column.required else "选填")
        _text(notes, row, 3, HELP_ZH[kind][column.name])
        _text(notes, row, 4, example.get(column.name, ""))
    row = len(spec) + 3
    for note in GENERAL_NOTES:
        _text(notes, row, 1, note.format(kind=kind))
        row += 1
    for letter, width in (("A", 16), ("B", 10), ("C", 80), ("D", 24)):
        notes.column_dimensions[letter].width = width
    workbook.save(path)


def _text(sheet: Any, row: int, column: int, value: str) -> Any:
    """A cell holding ``value`` as text: a leading = + - @ never makes it a formula."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    cell.data_type = "s"
    return cell


def formula_cells(path: Path) -> Sequence[str]:
    """The coordinates of formula cells in a workbook (none in anything orglife writes)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    try:
        return [
            f"{sheet.title}!{cell.coordinate}"
            for sheet in workbook.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.data_type == "f"
        ]
    finally:
        workbook.close()
