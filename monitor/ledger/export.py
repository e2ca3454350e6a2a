"""The problem ledger as an Excel workbook: sheet 问题台账 (the items) and 整改记录 (the trail).

:func:`write_ledger_sheet` fills any worksheet, so the monthly report's workbook carries the
same 问题台账 sheet as `orglife ledger export`. Its last column, 预警, is the item's warning
colour (三色预警: 红色/黄色, blank when it has none; :mod:`monitor.ledger.warning`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from monitor.core.domain import Member, Org
from monitor.core.periods import Period
from monitor.ledger.model import (
    ACTION_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    LedgerEvent,
    LedgerItem,
    LedgerStatus,
)
from monitor.ledger.warning import ItemWarning
from monitor.text.workbook import keep_text

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEDGER_SHEET = "问题台账"
EVENTS_SHEET = "整改记录"

# (header, column width in characters); dates and numbers are real cells, not text.
LEDGER_COLUMNS: tuple[tuple[str, int], ...] = (
    ("编号", 8),
    ("组织编码", 16),
    ("责任组织", 24),
    ("对象", 18),
    ("事项", 40),
    ("周期", 16),
    ("来源", 10),
    ("发现日期", 12),
    ("整改期限", 12),
    ("状态", 12),
    ("整改情况", 40),
    ("销号日期", 12),
    ("重新打开次数", 12),
    ("预警", 8),  # 三色预警 (added last: the columns before it keep their letters)
)
EVENT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("问题编号", 10),
    ("时间", 18),
    ("操作人", 14),
    ("操作", 10),
    ("原状态", 12),
    ("新状态", 12),
    ("说明", 50),
)
_DATE = "yyyy-mm-dd"
_TIME = "yyyy-mm-dd hh:mm"
_WRAPPED = ("事项", "整改情况", "说明")


def subject_label(item: LedgerItem, members: Mapping[str, Member] | None = None) -> str:
    """Whom an item concerns: a member as 姓名（编号）, else the org itself (本组织)."""
    if item.member is None:
        return "本组织"
    member = (members or {}).get(item.member)
    return f"{member.name}（{member.id}）" if member is not None else item.member


def ledger_row(
    item: LedgerItem,
    orgs: Mapping[str, Org],
    members: Mapping[str, Member] | None = None,
    warning: ItemWarning | None = None,
) -> list[Any]:
    """The cells of one item, in :data:`LEDGER_COLUMNS` order (``warning``: its colour)."""
    org = orgs.get(item.org)
    return [
        item.id,
        item.org,
        org.name if org is not None else item.org,
        subject_label(item, members),
        item.issue,
        Period.parse(item.period).label_zh if item.period else None,
        SOURCE_LABELS[item.source],
        item.opened,
        item.deadline,
        STATUS_LABELS[item.status],
        item.rectification,
        item.cleared,
        item.reopened,
        warning.label if warning is not None else None,
    ]


def write_ledger_sheet(
    ws: Worksheet,
    items: Sequence[LedgerItem],
    orgs: Mapping[str, Org],
    members: Mapping[str, Member] | None = None,
    colours: Mapping[int, ItemWarning] | None = None,
) -> None:
    """Fill ``ws`` with the items: a bold, frozen header row, an auto filter, sized columns.

    ``orgs`` names the owner orgs by code; ``members`` (optional) names the cadres; ``colours``
    (optional) gives the items' warning colours. Overdue items and red warnings are in red.
    """
    from openpyxl.styles import Font

    _header(ws, LEDGER_COLUMNS)
    overdue = Font(color="C00000")
    fonts = {"红色": Font(color="C00000", bold=True), "黄色": Font(color="B26A00", bold=True)}
    headers = [h for h, _ in LEDGER_COLUMNS]
    status_column = headers.index("状态") + 1
    warning_column = headers.index("预警") + 1
    colours = colours or {}
    for item in items:
        warning = colours.get(item.id)
        ws.append(ledger_row(item, orgs, members, warning))
        if item.status is LedgerStatus.OVERDUE:
            ws.cell(row=ws.max_row, column=status_column).font = overdue
        if warning is not None:
            ws.cell(row=ws.max_row, column=warning_column).font = fonts[warning.label]
    _finish(ws, LEDGER_COLUMNS, dates=("发现日期", "整改期限", "销号日期"))
    keep_text(cell for row in ws.iter_rows(min_row=2) for cell in row)


def write_events_sheet(ws: Worksheet, events: Sequence[LedgerEvent]) -> None:
    """Fill ``ws`` with the audit trail, times in Beijing time."""
    _header(ws, EVENT_COLUMNS)
    for event in events:
        ws.append(
            [
                event.item,
                event.at.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0),
                event.actor,
                ACTION_LABELS.get(event.action, event.action),
                STATUS_LABELS[event.from_status] if event.from_status is not None else None,
                STATUS_LABELS[event.to_status],
                event.note,
            ]
        )
    _finish(ws, EVENT_COLUMNS, times=("时间",))
    keep_text(cell for row in ws.iter_rows(min_row=2) for cell in row)


def export_ledger(
    path: Path,
    items: Sequence[LedgerItem],
    events: Sequence[LedgerEvent],
    orgs: Mapping[str, Org],
    members: Mapping[str, Member] | None = None,
    colours: Mapping[int, ItemWarning] | None = None,
) -> None:
    """Write the workbook: 问题台账 first, then 整改记录."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = LEDGER_SHEET
    write_ledger_sheet(sheet, items, orgs, members, colours)
    write_events_sheet(book.create_sheet(EVENTS_SHEET), events)
    book.save(path)


def _header(ws: Worksheet, columns: Sequence[tuple[str, int]]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws.append([header for header, _ in columns])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    centre = Alignment(horizontal="center", vertical="center")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = centre


def _finish(
    ws: Worksheet,
    columns: Sequence[tuple[str, int]],
    *,
    dates: Sequence[str] = (),
    times: Sequence[str] = (),
) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    wrap = Alignment(wrap_text=True, vertical="top")
    for index, (header, width) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = width
        if header in dates or header in times or header in _WRAPPED:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                if header in dates:
                    cell.number_format = _DATE
                elif header in times:
                    cell.number_format = _TIME
                else:
                    cell.alignment = wrap
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"
