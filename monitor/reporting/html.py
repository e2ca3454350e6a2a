"""The monthly summary as one standalone, printable HTML page in Chinese.

No external assets: the styles are inline, the charts are inline SVG whose labels are SVG
``<text>`` (so Chinese renders with the reader's own fonts), and ``@media print`` lays it out
for A4. Every finding is in the JSON and XLSX forms; the page lists the misses, not the held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from monitor.ledger.export import subject_label
from monitor.ledger.model import SOURCE_LABELS, STATUS_LABELS
from monitor.reporting.common import (
    SCOPE_NOTE,
    day_zh,
    late_rule,
    month_zh,
    pct,
    previous_rate,
    title,
    weak_rule,
)
from monitor.reporting.summary import BranchFigures, MonthlySummary

CHART_BRANCHES = 20

_STYLE = """
:root { --ok: #2e7d32; --bad: #c62828; --bar: #1f5f99; --grid: #d0d0d0; }
* { box-sizing: border-box; }
body { font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
       "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif;
       color: #222; line-height: 1.6; max-width: 1100px; margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 1.6em; text-align: center; margin: 0 0 .2em; }
h2 { font-size: 1.2em; border-left: 4px solid var(--bad); padding-left: .5em; margin-top: 1.6em; }
.meta, .note { color: #555; font-size: .9em; }
.meta { text-align: center; }
.cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: .5em 1em; min-width: 9em; }
.card span { color: #555; font-size: .9em; }
.card b { display: block; font-size: 1.5em; }
.card.bad b { color: var(--bad); }
table { border-collapse: collapse; width: 100%; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #bbb; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.n, th.n { text-align: right; white-space: nowrap; }
tr.weak td { background: #fdecea; }
figure { margin: .8em 0; }
figcaption { color: #555; font-size: .9em; }
svg { max-width: 100%; height: auto; }
svg text { font-family: inherit; }
footer { margin-top: 2em; color: #777; font-size: .8em; text-align: center; }
@page { size: A4; margin: 15mm 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  figure, .cards { break-inside: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  tr.weak td, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    numeric: set[int],
    row_classes: Sequence[str] = (),
) -> list[str]:
    """A table; columns in ``numeric`` are right-aligned, ``row_classes`` style the rows."""

    def cell(tag: str, i: int, value: object) -> str:
        align = ' class="n"' if i in numeric else ""
        return f"<{tag}{align}>{_e(value)}</{tag}>"

    out = ["<table>", "<thead><tr>" + "".join(cell("th", i, h) for i, h in enumerate(headers))]
    out.append("</tr></thead><tbody>")
    for n, row in enumerate(rows):
        css = row_classes[n] if n < len(row_classes) else ""
        attr = f' class="{css}"' if css else ""
        out.append(f"<tr{attr}>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return out


def _org_name(summary: MonthlySummary, code: str) -> str:
    org = summary.orgs.get(code)
    return org.name if org is not None else code


def _member_name(summary: MonthlySummary, member_id: str) -> str:
    member = summary.leaders.get(member_id)
    return member.name if member is not None else member_id


def _trend_svg(summary: MonthlySummary) -> list[str]:
    """Vertical bars: the compliance rate of each month of the trend."""
    points = summary.trend
    left, right, top, bottom = 48, 12, 24, 44
    plot_h = 180
    slot = 96
    width = left + right + slot * len(points)
    height = top + plot_h + bottom
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="trend-title">',
        f'<title id="trend-title">近{len(points)}个月落实率</title>',
    ]
    for share in (0, 50, 100):
        y = top + plot_h - plot_h * share / 100
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            'stroke="#d0d0d0" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="#555">{share}%</text>'
        )
    year = summary.month.year
    for i, point in enumerate(points):
        rate = point.figures.rate
        x = left + slot * i + slot * 0.2
        bar_w = slot * 0.6
        centre = x + bar_w / 2
        if rate is not None:
            bar_h = plot_h * rate
            y = top + plot_h - bar_h
            colour = "#c62828" if point.month == summary.month else "#1f5f99"
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" '
                f'fill="{colour}"/>'
            )
            label_y = y - 6
        else:
            label_y = top + plot_h - 6
        out.append(
            f'<text x="{centre:.1f}" y="{label_y:.1f}" font-size="12" text-anchor="middle" '
            f'fill="#222">{_e(pct(rate))}</text>'
        )
        out.append(
            f'<text x="{centre:.1f}" y="{top + plot_h + 18}" font-size="12" '
            f'text-anchor="middle" fill="#222">{_e(month_zh(point.month, year))}</text>'
        )
        out.append(
            f'<text x="{centre:.1f}" y="{top + plot_h + 34}" font-size="11" '
            f'text-anchor="middle" fill="#777">应开展{point.figures.required}</text>'
        )
    out.append("</svg>")
    return out


def _branch_chart(summary: MonthlySummary) -> tuple[str, list[BranchFigures]]:
    ranked = list(summary.ranked)
    if len(ranked) <= CHART_BRANCHES:
        return "各支部落实率", ranked
    return f"落实率最低的{CHART_BRANCHES}个支部", ranked[-CHART_BRANCHES:]


def _branches_svg(caption: str, branches: Sequence[BranchFigures]) -> list[str]:
    """Horizontal bars: each branch's rate; the weak-and-lax candidates in red."""
    label_w, bar_max, row_h, top = 240, 360, 24, 8
    width = label_w + bar_max + 70
    height = top * 2 + row_h * len(branches)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="branches-title">',
        f'<title id="branches-title">{_e(caption)}</title>',
    ]
    for i, branch in enumerate(branches):
        y = top + row_h * i
        rate = branch.figures.rate or 0.0
        name = branch.name if len(branch.name) <= 16 else branch.name[:15] + "…"
        colour = "#c62828" if branch.weak else "#1f5f99"
        bar = max(1.0, bar_max * rate)
        out.append(
            f'<text x="{label_w - 8}" y="{y + 16}" font-size="12" text-anchor="end" '
            f'fill="#222">{_e(name)}</text>'
        )
        out.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="{row_h - 8}" '
            f'fill="{colour}"/>'
        )
        out.append(
            f'<text x="{label_w + bar + 6:.1f}" y="{y + 16}" font-size="12" '
            f'fill="#222">{_e(pct(branch.figures.rate))}</text>'
        )
    out.append("</svg>")
    return out


def _weak_table(branches: Sequence[BranchFigures]) -> list[str]:
    return _table(
        ["支部", "上级组织", "应开展", "未按期开展", "落实率", "后补记录"],
        (
            [
                f"{b.name}（{b.code}）",
                b.parent_name or "",
                b.figures.required,
                b.figures.missed,
                pct(b.figures.rate),
                b.late_entries,
            ]
            for b in branches
        ),
        {2, 3, 4, 5},
    )


def render_html(summary: MonthlySummary, url: str | None = None) -> str:
    """The full report as a standalone page (``url``: where it is published, shown as a link)."""
    t = summary.totals
    head = title(summary)
    previous = previous_rate(summary)
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(head)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(head)}</h1>",
        f'<p class="meta">统计截至{_e(day_zh(summary.as_of))}　规则：{_e(summary.pack_title)}</p>',
        "</header>",
        "<section>",
        "<h2>一、总体情况</h2>",
        '<div class="cards">',
    ]
    cards = [
        ("应开展", f"{t.required}项", False),
        ("已落实", f"{t.held}项", False),
        ("未按期开展", f"{t.missed}项", t.missed > 0),
        ("落实率", pct(t.rate), False),
        ("上月落实率", pct(previous), False),
        ("后补记录", f"{len(summary.late_entries)}条", bool(summary.late_entries)),
        ("软弱涣散排查对象", f"{len(summary.weak)}个", bool(summary.weak)),
    ]
    for label, value, bad in cards:
        out.append(
            f'<div class="card{" bad" if bad else ""}"><span>{_e(label)}</span>'
            f"<b>{_e(value)}</b></div>"
        )
    out.append("</div>")
    c = summary.cadres
    out.append(
        f"<p>进行中{t.open}项、免于考核{t.exempt}项，不计入应开展。"
        + (
            f"党员领导干部双重组织生活应参加{c.required}人次，未参加{c.missed}人次"
            f"（落实率{_e(pct(c.rate))}）。"
            if c.required or c.open
            else ""
        )
        + "</p>"
    )
    out.append(f'<p class="note">{_e(SCOPE_NOTE)}</p>')
    out.append("</section>")

    out += ["<section>", f"<h2>二、近{len(summary.trend)}个月落实情况</h2>", "<figure>"]
    out += _trend_svg(summary)
    out.append(
        "<figcaption>每月到期事项的落实率（按本次统计日的登记情况计算，含后补记录）"
        "</figcaption></figure>"
    )
    out += _table(
        ["月份", "应开展", "已落实", "未按期开展", "进行中", "免于考核", "落实率"],
        (
            [
                p.month.label_zh,
                p.figures.required,
                p.figures.held,
                p.figures.missed,
                p.figures.open,
                p.figures.exempt,
                pct(p.figures.rate),
            ]
            for p in summary.trend
        ),
        {1, 2, 3, 4, 5, 6},
    )
    out.append("</section>")

    out += ["<section>", "<h2>三、各支部落实率排名</h2>"]
    caption, charted = _branch_chart(summary)
    if charted:
        out.append("<figure>")
        out += _branches_svg(caption, charted)
        out.append(f"<figcaption>{_e(caption)}（红色为软弱涣散排查对象）</figcaption></figure>")
    out += _table(
        [
            "排名",
            "支部",
            "上级组织",
            "应开展",
            "已落实",
            "未按期开展",
            "进行中",
            "免于考核",
            "落实率",
            "后补记录",
            "排查对象",
        ],
        (
            [
                "—" if b.rank is None else b.rank,
                f"{b.name}（{b.code}）",
                b.parent_name or "",
                b.figures.required,
                b.figures.held,
                b.figures.missed,
                b.figures.open,
                b.figures.exempt,
                pct(b.figures.rate),
                b.late_entries,
                "是" if b.weak else "",
            ]
            for b in summary.branches
        ),
        {0, 3, 4, 5, 6, 7, 8, 9},
        ["weak" if b.weak else "" for b in summary.branches],
    )
    out.append("</section>")

    out += [
        "<section>",
        "<h2>四、软弱涣散排查对象</h2>",
        f'<p class="note">{_e(weak_rule(summary))}</p>',
    ]
    if summary.weak:
        out += _weak_table(summary.weak)
    else:
        out.append("<p>本月无。</p>")
    if summary.weak_tied:
        out.append("<p>与末位对象情况相同、未列入的支部：</p>")
        out += _weak_table(summary.weak_tied)
    out.append("</section>")

    missed = summary.missed
    out += ["<section>", f"<h2>五、未按期开展明细（{len(missed)}项）</h2>"]
    if missed:
        out += _table(
            ["组织", "对象", "事项", "周期", "说明"],
            (
                [
                    f"{r.org_name}（{r.org}）",
                    f"{r.member_name or ''}（{r.member}）" if r.member else "本组织",
                    r.rule_name,
                    r.period.label_zh,
                    r.reason,
                ]
                for r in missed
            ),
            set(),
        )
    else:
        out.append("<p>本月无。</p>")
    out.append("</section>")

    late = summary.late_entries
    out += [
        "<section>",
        f"<h2>六、后补记录（{len(late)}条）</h2>",
        f'<p class="note">{_e(late_rule(summary))}。</p>',
    ]
    if late:
        out += _table(
            ["组织", "会议日期", "录入日期", "迟录天数", "计入事项"],
            (
                [
                    f"{e.org_name}（{e.org}）",
                    e.day.isoformat(),
                    e.recorded.isoformat(),
                    e.days_late,
                    "；".join(
                        f"{x.rule_name} {x.period.label_zh}"
                        + (f"（{_member_name(summary, x.member)}）" if x.member else "")
                        for x in e.counted_for
                    ),
                ]
                for e in late
            ),
            {3},
        )
    else:
        out.append("<p>本月无。</p>")
    out.append("</section>")

    ledger = summary.ledger
    out += [
        "<section>",
        "<h2>七、问题台账</h2>",
        f"<p>本月新增{ledger.opened}条，销号{ledger.cleared}条；在账{ledger.outstanding}条，"
        f"其中逾期未整改{ledger.overdue}条；累计{ledger.total}条，已销号{ledger.cleared_total}条，"
        f"累计销号率{_e(pct(ledger.clearance_rate))}。</p>",
    ]
    if summary.ledger_items:
        out += _table(
            [
                "编号",
                "责任组织",
                "对象",
                "事项",
                "来源",
                "发现日期",
                "整改期限",
                "状态",
                "销号日期",
            ],
            (
                [
                    i.id,
                    f"{_org_name(summary, i.org)}（{i.org}）",
                    subject_label(i, summary.leaders),
                    i.issue,
                    SOURCE_LABELS[i.source],
                    i.opened.isoformat(),
                    i.deadline.isoformat(),
                    STATUS_LABELS[i.status],
                    i.cleared.isoformat() if i.cleared else "",
                ]
                for i in summary.ledger_items
            ),
            {0},
        )
    out.append("</section>")
    link = f'　完整通报：<a href="{_e(url)}">{_e(url)}</a>' if url else ""
    out += [
        f"<footer>由 orglife 生成；统计截至{_e(day_zh(summary.as_of))}{link}</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"
