"""The monthly summary as one standalone, printable HTML page in Chinese: the figures.

The page itself is ``monitor/text/templates/report/summary.html``; this module computes what it
shows (table rows, chart coordinates and labels) and leaves escaping to the template engine.

No external assets: the styles are inline, the charts are inline SVG whose labels are SVG
``<text>`` (so Chinese renders with the reader's own fonts), and ``@media print`` lays it out
for A4. Every finding is in the JSON and XLSX forms; the page lists the misses, not the held.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.ledger.export import subject_label
from monitor.ledger.model import SOURCE_LABELS, STATUS_LABELS
from monitor.reporting.common import (
    SCOPE_NOTE,
    late_rule,
    month_zh,
    pct,
    previous_rate,
    title,
    weak_rule,
)
from monitor.reporting.summary import BranchFigures, MonthlySummary
from monitor.text.render import render

CHART_BRANCHES = 20
RED, BLUE = "#c62828", "#1f5f99"


@dataclass(frozen=True, slots=True)
class Card:
    label: str
    value: str
    bad: bool = False


@dataclass(frozen=True, slots=True)
class GridLine:
    share: int  # percent
    y: float


@dataclass(frozen=True, slots=True)
class MonthBar:
    """One month of the trend chart; ``height`` is None when nothing was required."""

    x: float
    y: float
    width: float
    height: float | None
    colour: str
    centre: float
    label_y: float
    rate: str
    month: str
    required: int


@dataclass(frozen=True, slots=True)
class TrendChart:
    width: int
    height: int
    left: int
    right: int
    axis_y: int  # the baseline the month labels hang from
    grid: list[GridLine]
    bars: list[MonthBar]


@dataclass(frozen=True, slots=True)
class BranchBar:
    y: int
    width: float
    colour: str
    name: str
    rate: str


@dataclass(frozen=True, slots=True)
class BranchChart:
    caption: str
    width: int
    height: int
    label_x: int
    bar_x: int
    bar_height: int
    bars: list[BranchBar]


def _org_name(summary: MonthlySummary, code: str) -> str:
    org = summary.orgs.get(code)
    return org.name if org is not None else code


def _member_name(summary: MonthlySummary, member_id: str) -> str:
    member = summary.leaders.get(member_id)
    return member.name if member is not None else member_id


def trend_chart(summary: MonthlySummary) -> TrendChart:
    """Vertical bars: the compliance rate of each month of the trend."""
    points = summary.trend
    left, right, top, bottom = 48, 12, 24, 44
    plot_h = 180
    slot = 96
    width = left + right + slot * len(points)
    grid = [GridLine(share, top + plot_h - plot_h * share / 100) for share in (0, 50, 100)]
    bars = []
    for i, point in enumerate(points):
        rate = point.figures.rate
        x = left + slot * i + slot * 0.2
        bar_w = slot * 0.6
        bar_h = plot_h * rate if rate is not None else None
        y = top + plot_h - (bar_h or 0.0)
        bars.append(
            MonthBar(
                x=x,
                y=y,
                width=bar_w,
                height=bar_h,
                colour=RED if point.month == summary.month else BLUE,
                centre=x + bar_w / 2,
                label_y=y - 6,
                rate=pct(rate),
                month=month_zh(point.month, summary.month.year),
                required=point.figures.required,
            )
        )
    return TrendChart(width, top + plot_h + bottom, left, right, top + plot_h, grid, bars)


def _charted(summary: MonthlySummary) -> tuple[str, list[BranchFigures]]:
    ranked = list(summary.ranked)
    if len(ranked) <= CHART_BRANCHES:
        return "各支部落实率", ranked
    return f"落实率最低的{CHART_BRANCHES}个支部", ranked[-CHART_BRANCHES:]


def branch_chart(summary: MonthlySummary) -> BranchChart:
    """Horizontal bars: each branch's rate (the lowest ones when there are many)."""
    caption, branches = _charted(summary)
    label_w, bar_max, row_h, top = 240, 360, 24, 8
    bars = [
        BranchBar(
            y=top + row_h * i,
            width=max(1.0, bar_max * (b.figures.rate or 0.0)),
            colour=RED if b.weak else BLUE,
            name=b.name if len(b.name) <= 16 else b.name[:15] + "…",
            rate=pct(b.figures.rate),
        )
        for i, b in enumerate(branches)
    ]
    return BranchChart(
        caption=caption,
        width=label_w + bar_max + 70,
        height=top * 2 + row_h * len(branches),
        label_x=label_w - 8,
        bar_x=label_w,
        bar_height=row_h - 8,
        bars=bars,
    )


def _weak_rows(branches: Sequence[BranchFigures]) -> list[list[object]]:
    return [
        [
            f"{b.name}（{b.code}）",
            b.parent_name or "",
            b.figures.required,
            b.figures.missed,
            pct(b.figures.rate),
            b.late_entries,
        ]
        for b in branches
    ]


def render_html(
    summary: MonthlySummary, url: str | None = None, *, files: Mapping[str, str] | None = None
) -> str:
    """The full report as a standalone page (``url``: where it is published, shown as a link;
    ``files``: links to the same report as ``docx`` and ``xlsx`` downloads)."""
    return render("report/summary.html", **html_context(summary, url, files=files)) + "\n"


def render_html_body(summary: MonthlySummary) -> str:
    """The report's content without the page around it (no styles, no download links), for
    a page of the site to lay out with its own stylesheet."""
    return render("report/_body.html", **html_context(summary))


def html_context(
    summary: MonthlySummary, url: str | None = None, *, files: Mapping[str, str] | None = None
) -> dict[str, object]:
    """What the report's templates show, computed here so they only lay it out."""
    t = summary.totals
    cards = [
        Card("应开展", f"{t.required}项"),
        Card("已落实", f"{t.held}项"),
        Card("未按期开展", f"{t.missed}项", t.missed > 0),
        Card("落实率", pct(t.rate)),
        Card("上月落实率", pct(previous_rate(summary))),
        Card("后补记录", f"{len(summary.late_entries)}条", bool(summary.late_entries)),
        Card("软弱涣散排查对象", f"{len(summary.weak)}个", bool(summary.weak)),
    ]
    trend_rows = [
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
    ]
    branch_rows = [
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
    ]
    missed_rows = [
        [
            f"{r.org_name}（{r.org}）",
            f"{r.member_name or ''}（{r.member}）" if r.member else "本组织",
            r.rule_name,
            r.period.label_zh,
            r.reason,
        ]
        for r in summary.missed
    ]
    late_rows = [
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
        for e in summary.late_entries
    ]
    ledger_rows = [
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
            summary.warnings[i.id].label if i.id in summary.warnings else "",
        ]
        for i in summary.ledger_items
    ]
    return {
        "title": title(summary),
        "as_of": summary.as_of,
        "pack_title": summary.pack_title,
        "cards": cards,
        "totals": t,
        "cadres": summary.cadres,
        "cadres_rate": pct(summary.cadres.rate),
        "scope_note": SCOPE_NOTE,
        "trend": trend_chart(summary),
        "trend_rows": trend_rows,
        "branch_chart": branch_chart(summary),
        "branch_rows": branch_rows,
        "branch_classes": ["weak" if b.weak else "" for b in summary.branches],
        "weak_rule": weak_rule(summary),
        "weak_rows": _weak_rows(summary.weak),
        "weak_tied_rows": _weak_rows(summary.weak_tied),
        "missed_rows": missed_rows,
        "late_rule": late_rule(summary),
        "late_rows": late_rows,
        "ledger": summary.ledger,
        "ledger_rate": pct(summary.ledger.clearance_rate),
        "ledger_rows": ledger_rows,
        "ledger_classes": [
            summary.warnings[i.id].colour.value if i.id in summary.warnings else ""
            for i in summary.ledger_items
        ],
        "url": url,
        "files": dict(files or {}),
    }
