"""The monthly summary as an XLSX workbook: sheets 汇总, 明细, 问题台账 and 后补记录.

Written row by row with :mod:`monitor.reporting.sheets` (a province's month has a hundred
thousand findings: ~1 µs a cell, where openpyxl's write-only mode took ~20). Every sheet has
Chinese headers, a frozen header row, column widths and an auto filter over its table. 汇总
starts with the headline figures (rows 3-4) and the trend (rows 5-7), then the branch ranking
table, whose header (row 8) is frozen with everything above it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from monitor.core.domain import Status
from monitor.core.explain import STATUS_ZH
from monitor.ledger.export import LEDGER_COLUMNS, ledger_row
from monitor.ledger.model import LedgerStatus
from monitor.reporting.common import SCOPE_NOTE, day_zh, title
from monitor.reporting.sheets import Sheet, Style, Workbook, column_letter
from monitor.reporting.summary import MonthlySummary, SummaryRow

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

_HEAD = Style(bold=True, fill="F0F0F0")
_TITLE = Style(bold=True, size=14)
_BOLD = Style(bold=True)
_RATE = Style(number_format="0.0%")
_WEAK = Style(fill="FDECEA")
_WEAK_RATE = Style(fill="FDECEA", number_format="0.0%")
_WRAP = Style(wrap=True)
_OVERDUE = Style(color="C00000")
_WARNING = {"red": Style(bold=True, color="C00000"), "yellow": Style(bold=True, color="B26A00")}


def _sheet(
    book: Workbook, name: str, columns: Sequence[tuple[str, int]], head_row: int, rows: int
) -> Sheet:
    """A sheet with its widths, the rows frozen down to ``head_row`` and the filter."""
    last = column_letter(len(columns))
    return book.sheet(
        name,
        [width for _, width in columns],
        freeze_below=head_row,
        filter_ref=f"A{head_row}:{last}{head_row + max(rows, 1)}",
    )


def _header(sheet: Sheet, names: Iterable[str]) -> None:
    cells = list(names)
    sheet.append(cells, [_HEAD] * len(cells))


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
    book = Workbook()
    _summary_sheet(book, summary, note)
    _detail_sheet(book, rows)
    _ledger_sheet(book, summary)
    _late_sheet(book, summary)
    return book.close()


def _rate(value: float | None) -> float | str:
    return "—" if value is None else value


def _summary_sheet(book: Workbook, summary: MonthlySummary, note: str) -> None:
    sheet = _sheet(book, SHEETS[0], BRANCH_COLUMNS, HEAD_ROW, len(summary.branches))
    t = summary.totals
    ledger = summary.ledger
    sheet.append([title(summary)], [_TITLE])
    sheet.append(
        [
            f"统计截至{day_zh(summary.as_of)}；规则：{summary.pack_title}。{SCOPE_NOTE}{note}"
            + _warnings_note(summary)
        ]
    )
    _header(sheet, KEY_FIGURES)
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
    sheet.append(values, [_RATE if i in (3, 11) else None for i in range(len(values))])
    _header(sheet, [f"近{len(summary.trend)}个月", *(p.month.label_zh for p in summary.trend)])
    sheet.append(
        ["应开展", *(p.figures.required for p in summary.trend)],
        [_BOLD, *(None for _ in summary.trend)],
    )
    sheet.append(
        ["落实率", *(_rate(p.figures.rate) for p in summary.trend)],
        [_BOLD, *(_RATE for _ in summary.trend)],
    )
    _header(sheet, (name for name, _ in BRANCH_COLUMNS))
    plain: list[Style | None] = [None] * len(BRANCH_COLUMNS)
    plain[9] = _RATE
    weak = [_WEAK] * len(BRANCH_COLUMNS)
    weak[9] = _WEAK_RATE
    for b in summary.branches:
        f = b.figures
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
        sheet.append(cells, weak if b.weak else plain)


def _warnings_note(summary: MonthlySummary) -> str:
    """The ledger's warning colours (三色预警) in words; the columns of 汇总 stay as they were
    (its tables are read by position), and 问题台账 shows each item's colour."""
    ledger = summary.ledger
    if not (ledger.red or ledger.yellow):
        return ""
    return f"问题台账三色预警：在账问题中红色预警{ledger.red}条，黄色预警{ledger.yellow}条。"


def _detail_sheet(book: Workbook, rows: Sequence[SummaryRow]) -> None:
    sheet = _sheet(book, SHEETS[1], DETAIL_COLUMNS, 1, len(rows))
    _header(sheet, (name for name, _ in DETAIL_COLUMNS))
    append = sheet.append  # plain values: a hundred thousand rows, no styles
    for r in rows:
        append(
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
            ]
        )


def _ledger_sheet(book: Workbook, summary: MonthlySummary) -> None:
    """The same columns and cells as `orglife ledger export` (:mod:`monitor.ledger.export`),
    streamed like the other sheets; overdue items and red warnings in red."""
    items = summary.ledger_items
    sheet = _sheet(book, SHEETS[2], LEDGER_COLUMNS, 1, len(items))
    _header(sheet, (name for name, _ in LEDGER_COLUMNS))
    names = [name for name, _ in LEDGER_COLUMNS]
    status, colour = names.index("状态"), names.index("预警")
    wrapped = {i for i, name in enumerate(names) if name in ("事项", "整改情况")}
    for item in items:
        warning = summary.warnings.get(item.id)
        styles: list[Style | None] = [_WRAP if i in wrapped else None for i in range(len(names))]
        if item.status is LedgerStatus.OVERDUE:
            styles[status] = _OVERDUE
        if warning is not None:
            styles[colour] = _WARNING[warning.colour.value]
        sheet.append(ledger_row(item, summary.orgs, summary.leaders, warning), styles)


def _late_sheet(book: Workbook, summary: MonthlySummary) -> None:
    entries = summary.late_entries
    sheet = _sheet(book, SHEETS[3], LATE_COLUMNS, 1, len(entries))
    _header(sheet, (name for name, _ in LATE_COLUMNS))
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
        sheet.append(
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
