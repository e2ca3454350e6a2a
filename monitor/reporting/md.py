"""The monthly summary as one Telegram message: Markdown that reads well as plain text.

The wording is the template ``monitor/text/templates/report/summary.md``; this module computes
what it shows and keeps it to one message. Channels send text without a parse mode, so the
message uses no emphasis markers: numbered section titles, ``- `` list lines and a bare link,
which Telegram makes clickable. It always fits one message (4096 UTF-16 code units): long
name lists are cut short ("等N个").
"""

from __future__ import annotations

from monitor.core.domain import Status
from monitor.reporting.common import month_zh, pct, previous_rate, title
from monitor.reporting.summary import BranchFigures, MonthlySummary
from monitor.text.render import render

TELEGRAM_LIMIT = 4096
WEAKEST_SHOWN = 5
WEAK_NAMES_SHOWN = 10


def message_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def render_md(summary: MonthlySummary, url: str | None = None) -> str:
    """The headline figures, the weakest branches, late entries, the ledger and the trend."""
    for shown, names, name_chars in ((WEAKEST_SHOWN, WEAK_NAMES_SHOWN, 40), (3, 3, 16)):
        text = _message(summary, url, shown, names, name_chars)
        if message_length(text) <= TELEGRAM_LIMIT:
            return text
    # Only an absurdly long org name or URL gets here: cut the text, keep the link.
    tail = f"\n完整通报：{url}" if url else ""
    room = TELEGRAM_LIMIT - message_length(tail) - 1
    head = text[:room]
    while message_length(head) > room:
        head = head[:-1]
    return head + "…" + tail


def _name(branch: BranchFigures, chars: int) -> str:
    name = branch.name
    return name if len(name) <= chars else name[: chars - 1] + "…"


def _message(
    summary: MonthlySummary, url: str | None, shown: int, names: int, name_chars: int
) -> str:
    t = summary.totals
    previous = previous_rate(summary)
    year = summary.month.year
    extra = [f"进行中{t.open}项"] if t.open else []
    extra += [f"免于考核{t.exempt}项"] if t.exempt else []
    return render(
        "report/summary.md",
        title=title(summary),
        as_of=summary.as_of,
        totals=t,
        rate=pct(t.rate),
        previous_rate=pct(previous) if previous is not None else None,
        extra=extra,
        # Sent on the month's first workday, a summary often precedes the grace of the month's
        # periods: say which results are still pending rather than let the rate look complete.
        pending=sum(r.status is Status.OPEN and r.period.end < summary.as_of for r in summary.rows),
        cadres=summary.cadres,
        weakest=[
            {"name": _name(b, name_chars), "rate": pct(b.figures.rate), "missed": b.figures.missed}
            for b in summary.weakest[:shown]
        ],
        weak_total=len(summary.weak),
        weak_names=[_name(b, name_chars) for b in summary.weak[:names]],
        weak_tied=len(summary.weak_tied),
        late_entries=len(summary.late_entries),
        late_days=summary.late_days,
        late_rows=summary.late_rows,
        ledger=summary.ledger,
        clearance_rate=pct(summary.ledger.clearance_rate),
        trend=[(month_zh(p.month, year), pct(p.figures.rate)) for p in summary.trend],
        url=url,
    )
