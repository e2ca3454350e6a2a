"""The monthly summary as a Word document laid out like an official 通报 (python-docx).

Offices circulate .docx: a centred title, the date line, sections numbered 一、二、三… and
tables of the figures, in 仿宋/黑体 as such documents are set (Word falls back to the reader's
fonts where those are missing). The figures are those of the JSON summary; wording of the
section headings and sentences matches the md message so the two read alike.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from monitor.reporting.common import day_zh, late_rule, month_zh, pct, previous_rate, title
from monitor.reporting.summary import MonthlySummary

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"
BRANCHES_SHOWN = 20  # the lowest-rated branches listed; the workbook has them all
LATE_SHOWN = 30
RED_SHOWN = 20  # red-warning ledger items named; the workbook has them all


def _org_name(summary: MonthlySummary, code: str) -> str:
    org = summary.orgs.get(code)
    return org.name if org is not None else code


def render_docx(summary: MonthlySummary) -> bytes:
    """The document's bytes."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(14)  # 四号
    # East Asian text takes its font from w:eastAsia, not from the Latin name.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    def paragraph(text: str, *, font: str = BODY_FONT, size: float = 14, bold: bool = False,
                  centred: bool = False) -> None:  # fmt: skip
        para = document.add_paragraph()
        if centred:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = para.add_run(text)
        run.bold = bold
        run.font.size = Pt(size)
        run.font.name = font
        run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)

    def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        grid = document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        for cell, name in zip(grid.rows[0].cells, header, strict=True):
            cell.text = name
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for values in rows:
            cells = grid.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                cell.text = "" if value is None else str(value)

    t = summary.totals
    paragraph(title(summary), font=TITLE_FONT, size=22, bold=True, centred=True)  # 二号
    paragraph(f"（统计截至{day_zh(summary.as_of)}，含本月到期的各项组织生活要求）", centred=True)

    paragraph("一、总体情况", font=HEADING_FONT, size=16)
    previous = previous_rate(summary)
    if t.required:
        compare = f"，上月为{pct(previous)}" if previous is not None else ""
        paragraph(
            f"本月应开展{t.required}项，已落实{t.held}项，未按期开展{t.missed}项，"
            f"落实率{pct(t.rate)}{compare}。进行中{t.open}项、免于考核{t.exempt}项，不计入应开展。"
        )
    else:
        paragraph("本月到期事项尚无可考核的结果。")
    c = summary.cadres
    if c.required or c.open:
        paragraph(
            f"党员领导干部双重组织生活：应参加{c.required}人次，未参加{c.missed}人次"
            + (f"，进行中{c.open}人次" if c.open else "")
            + "。"
        )
    table(
        ("应开展", "已落实", "未按期开展", "落实率", "进行中", "免于考核"),
        [(t.required, t.held, t.missed, pct(t.rate), t.open, t.exempt)],
    )

    paragraph("二、落实率较低的支部", font=HEADING_FONT, size=16)
    weakest = summary.weakest[:BRANCHES_SHOWN]
    if weakest:
        table(
            ("序号", "支部", "上级组织", "应开展", "已落实", "未按期开展", "落实率"),
            [
                (
                    i,
                    b.name,
                    b.parent_name or "",
                    b.figures.required,
                    b.figures.held,
                    b.figures.missed,
                    pct(b.figures.rate),
                )
                for i, b in enumerate(weakest, 1)
            ],
        )
    else:
        paragraph("各支部本月到期事项均已落实。")

    paragraph("三、软弱涣散排查对象", font=HEADING_FONT, size=16)
    if summary.weak:
        names = "、".join(b.name for b in summary.weak)
        paragraph(f"按落实率排名后10%，共{len(summary.weak)}个：{names}。")
        if summary.weak_tied:
            paragraph(f"另有{len(summary.weak_tied)}个支部与末位对象情况相同，可一并研判。")
    else:
        paragraph("无。")

    paragraph("四、后补记录", font=HEADING_FONT, size=16)
    late = summary.late_entries
    if late:
        paragraph(
            f"{late_rule(summary)}共{len(late)}条，{summary.late_rows}项事项全靠后补记录才算落实。"
        )
        table(
            ("记录编号", "组织", "会议日期", "录入日期", "迟录天数"),
            [
                (e.record, e.org_name, e.day.isoformat(), e.recorded.isoformat(), e.days_late)
                for e in late[:LATE_SHOWN]
            ],
        )
    else:
        paragraph("无。")

    ledger = summary.ledger
    paragraph("五、问题台账", font=HEADING_FONT, size=16)
    paragraph(
        f"本月新增{ledger.opened}条，销号{ledger.cleared}条；在账{ledger.outstanding}条，"
        f"其中逾期未整改{ledger.overdue}条；累计销号率{pct(ledger.clearance_rate)}。"
    )
    if ledger.red or ledger.yellow:
        paragraph(f"三色预警：在账问题中红色预警{ledger.red}条，黄色预警{ledger.yellow}条。")
        red = [
            i
            for i in summary.ledger_items
            if i.id in summary.warnings and summary.warnings[i.id].red
        ]
        if red:
            names = "；".join(
                f"{_org_name(summary, i.org)}：{i.issue}（问题台账第{i.id}号）"
                for i in red[:RED_SHOWN]
            )
            more = f"等{len(red)}条" if len(red) > RED_SHOWN else ""
            paragraph(f"红色预警问题：{names}{more}。")

    paragraph(f"六、近{len(summary.trend)}个月落实率", font=HEADING_FONT, size=16)
    year = summary.month.year
    table(
        ("月份", "应开展", "已落实", "未按期开展", "落实率"),
        [
            (
                month_zh(p.month, year),
                p.figures.required,
                p.figures.held,
                p.figures.missed,
                pct(p.figures.rate),
            )
            for p in summary.trend
        ],
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
