"""The monthly summary as an XLSX workbook: sheets 汇总, 明细, 问题台账 and 后补记录.

Written with openpyxl's write-only mode (a province's month has a hundred thousand findings).
Every sheet has Chinese headers, a frozen header row, column widths and an auto filter over its
table. 汇总 starts with the headline figures (rows 3-4) and the trend (rows 5-7), then the
branch ranking table, whose header (row 8) is frozen with everything above it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from monitor.core.domain import Status
from monitor.core.explain import STATUS_ZH
from monitor.ledger.export import LEDGER_COLUMNS, ledger_row
from monitor.ledger.model import LedgerStatus
from monitor.reporting.common import SCOPE_NOTE, day_zh, title
from monitor.reporting.summary import MonthlySummary, SummaryRow
from monitor.text.workbook import is_formula_like, literal, literal_row

SHEETS = ("汇总", "明细", "问题台账", "后补记录")

HEAD_ROW = 8  # the header of 汇总's branch table
MAX_DETAIL_ROWS = 1_048_576 - 1  # Excel's rows per sheet, less the header
KEY_FIGURES = (
    "应开展",
    "已落实",
    "未按期开展",
    "落实率",
    "进行中",
    "免于考核",
    "后补记录",
    "软弱涣散排查对象",
    "台账本月新增",
    "台账本月销号",
    "台账逾期未整改",
    "台账累计销号率",
)
BRANCH_COLUMNS = (
    ("排名", 8),
    ("组织编码", 16),
    ("支部名称", 32),
    ("上级组织", 26),
    ("应开展", 10),
    ("已落实", 10),
    ("未按期开展", 12),
    ("进行中", 10),
    ("免于考核", 10),
    ("落实率", 10),
    ("后补记录", 10),
    ("软弱涣散排查对象", 18),
)
DETAIL_COLUMNS = (
    ("组织编码", 16),
    ("组织名称", 32),
    ("所属支部", 16),
    ("党员编号", 12),
    ("党员姓名", 10),
    ("规则编号", 24),
    ("事项", 16),
    ("周期", 10),
    ("周期名称", 16),
    ("状态", 12),
    ("后补录入", 10),
    ("说明", 60),
)
LATE_COLUMNS = (
    ("记录编号", 10),
    ("组织编码", 16),
    ("组织名称", 32),
    ("所属支部", 16),
    ("会议日期", 12),
    ("录入日期", 12),
    ("迟录天数", 10),
    ("计入事项", 60),
)

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEAD_FILL = PatternFill("solid", fgColor="F0F0F0")
_WEAK_FILL = PatternFill("solid", fgColor="FDECEA")
_WRAP = Alignment(wrap_text=True, vertical="top")
_OVERDUE = Font(color="C00000")
_WARNING = {"red": Font(color="C00000", bold=True), "yellow": Font(color="B26A00", bold=True)}


class _Sheet:
    """One write-only sheet: styled cells appended row by row."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws

    def cell(
        self,
        value: Any,
        *,
        font: Font | None = None,
        fill: PatternFill | None = None,
        fmt: str | None = None,
        wrap: bool = False,
    ) -> Any:
        """A styled cell, or the plain value when it needs no style (much cheaper to write)."""
        if font is None and fill is None and fmt is None and not wrap:
            return literal(self.ws, value)
        cell = WriteOnlyCell(self.ws, value=value)
        if is_formula_like(value):
            cell.data_type = "s"  # text stays text: never a live formula
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if fmt is not None:
            cell.number_format = fmt
        if wrap:
            cell.alignment = _WRAP
        return cell

    def header(self, names: Iterable[str]) -> None:
        self.ws.append([self.cell(n, font=_BOLD, fill=_HEAD_FILL) for n in names])

    def row(self, values: Sequence[Any], *, fill: PatternFill | None = None) -> None:
        self.ws.append([self.cell(v, fill=fill) for v in values])


def _setup(ws: Any, columns: Sequence[tuple[str, int]], head_row: int, rows: int) -> None:
    """Widths, the rows frozen down to ``head_row`` and the filter, before any row is written.

    ``ws`` is a write-only sheet, which borrows these attributes from ``Worksheet`` at run time
    (the type stubs do not know them).
    """
    for i, (_, width) in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = f"A{head_row + 1}"
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A{head_row}:{last}{head_row + max(rows, 1)}"


def render_xlsx(summary: MonthlySummary, *, max_rows: int = MAX_DETAIL_ROWS) -> bytes:
    """The workbook's bytes.

    A sheet holds at most ``max_rows`` rows below its header (Excel's limit): when the month
    has more findings (a whole province in December), 明细 lists those not held and those held
    only through late entries, and 汇总 says so; the JSON form always has every finding.
    """
    rows: Sequence[SummaryRow] = summary.rows
    note = ""
    if len(rows) > max_rows:
        rows = [r for r in rows if r.status is not Status.HELD or r.late_entry][:max_rows]
        note = (
            f"本月共{len(summary.rows)}项，超出Excel单表行数上限，明细表仅列未落实"
            f"（未按期开展、进行中、免于考核）和依靠后补记录落实的{len(rows)}项。"
        )
    wb = Workbook(write_only=True)
    _summary_sheet(_Sheet(wb.create_sheet(SHEETS[0])), summary, note)
    _detail_sheet(_Sheet(wb.create_sheet(SHEETS[1])), rows)
    _ledger_sheet(_Sheet(wb.create_sheet(SHEETS[2])), summary)
    _late_sheet(_Sheet(wb.create_sheet(SHEETS[3])), summary)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _rate(value: float | None) -> float | str:
    return "—" if value is None else value


def _summary_sheet(sheet: _Sheet, summary: MonthlySummary, note: str) -> None:
    _setup(sheet.ws, BRANCH_COLUMNS, HEAD_ROW, len(summary.branches))
    t = summary.totals
    ledger = summary.ledger
    sheet.ws.append([sheet.cell(title(summary), font=_TITLE)])
    sheet.ws.append(
        [
            sheet.cell(
                f"统计截至{day_zh(summary.as_of)}；规则：{summary.pack_title}。{SCOPE_NOTE}{note}"
                + _warnings_note(summary)
            )
        ]
    )
    sheet.header(KEY_FIGURES)
    values: list[Any] = [
        t.required,
        t.held,
        t.missed,
        _rate(t.rate),
        t.open,
        t.exempt,
        len(summary.late_entries),
        len(summary.weak),
        ledger.opened,
        ledger.cleared,
        ledger.overdue,
        _rate(ledger.clearance_rate),
    ]
    sheet.ws.append(
        [sheet.cell(v, fmt="0.0%" if i in (3, 11) else None) for i, v in enumerate(values)]
    )
    sheet.header([f"近{len(summary.trend)}个月", *(p.month.label_zh for p in summary.trend)])
    sheet.ws.append(
        [sheet.cell("应开展", font=_BOLD), *(p.figures.required for p in summary.trend)]
    )
    sheet.ws.append(
        [
            sheet.cell("落实率", font=_BOLD),
            *(sheet.cell(_rate(p.figures.rate), fmt="0.0%") for p in summary.trend),
        ]
    )
    sheet.header(name for name, _ in BRANCH_COLUMNS)
    for b in summary.branches:
        f = b.figures
        fill = _WEAK_FILL if b.weak else None
        cells = [
            b.rank if b.rank is not None else "—",
            b.code,
            b.name,
            b.parent_name,
            f.required,
            f.held,
            f.missed,
            f.open,
            f.exempt,
            _rate(f.rate),
            b.late_entries,
            "是" if b.weak else None,
        ]
        sheet.ws.append(
            [sheet.cell(v, fill=fill, fmt="0.0%" if i == 9 else None) for i, v in enumerate(cells)]
        )


def _warnings_note(summary: MonthlySummary) -> str:
    """The ledger's warning colours (三色预警) in words; the columns of 汇总 stay as they were
    (its tables are read by position), and 问题台账 shows each item's colour."""
    ledger = summary.ledger
    if not (ledger.red or ledger.yellow):
        return ""
    return f"问题台账三色预警：在账问题中红色预警{ledger.red}条，黄色预警{ledger.yellow}条。"


def _detail_sheet(sheet: _Sheet, rows: Sequence[SummaryRow]) -> None:
    _setup(sheet.ws, DETAIL_COLUMNS, 1, len(rows))
    sheet.header(name for name, _ in DETAIL_COLUMNS)
    ws = sheet.ws
    append = ws.append  # plain values: a hundred thousand rows, no styles
    for r in rows:
        append(
            literal_row(
                ws,
                [
                    r.org,
                    r.org_name,
                    r.branch,
                    r.member,
                    r.member_name,
                    r.rule,
                    r.rule_name,
                    r.period.label,
                    r.period.label_zh,
                    STATUS_ZH[r.status],
                    "是" if r.late_entry else "否",
                    r.reason,
                ],
            )
        )


def _ledger_sheet(sheet: _Sheet, summary: MonthlySummary) -> None:
    """The same columns and cells as `orglife ledger export` (:mod:`monitor.ledger.export`),
    streamed like the other sheets; overdue items and red warnings in red."""
    items = summary.ledger_items
    _setup(sheet.ws, LEDGER_COLUMNS, 1, len(items))
    sheet.header(name for name, _ in LEDGER_COLUMNS)
    status = [name for name, _ in LEDGER_COLUMNS].index("状态")
    colour = [name for name, _ in LEDGER_COLUMNS].index("预警")
    wrapped = {i for i, (name, _) in enumerate(LEDGER_COLUMNS) if name in ("事项", "整改情况")}
    for item in items:
        warning = summary.warnings.get(item.id)
        fonts = {
            status: _OVERDUE if item.status is LedgerStatus.OVERDUE else None,
            colour: _WARNING[warning.colour.value] if warning is not None else None,
        }
        sheet.ws.append(
            [
                sheet.cell(v, font=fonts.get(i), wrap=i in wrapped)
                for i, v in enumerate(ledger_row(item, summary.orgs, summary.leaders, warning))
            ]
        )


def _late_sheet(sheet: _Sheet, summary: MonthlySummary) -> None:
    entries = summary.late_entries
    _setup(sheet.ws, LATE_COLUMNS, 1, len(entries))
    sheet.header(name for name, _ in LATE_COLUMNS)
    leaders = summary.leaders
    for e in entries:
        counted = "；".join(
            f"{c.rule_name} {c.period.label_zh}"
            + (
                f"（{leaders[c.member].name if c.member in leaders else c.member}）"
                if c.member
                else ""
            )
            for c in e.counted_for
        )
        sheet.row(
            [
                e.record,
                e.org,
                e.org_name,
                e.branch,
                e.day,
                e.recorded,
                e.days_late,
                counted,
            ]
        )
