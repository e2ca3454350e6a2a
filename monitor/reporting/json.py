"""The monthly summary as JSON: the contract keys first, then everything the other formats show.

Contract (``orglife report --format json``): an object with ``month``, ``org``, ``rows`` (one per
finding whose period ends in the month, with ``org``, ``member``, ``rule``, ``period`` and
``status`` as ``orglife check --format json`` prints them, and ``late_entry``) and ``totals``
(``required``, ``held``, ``missed``, ``rate``). Rates are fractions rounded to 4 places, null
when nothing is required.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from monitor.core.explain import STATUS_ZH
from monitor.ledger.model import SOURCE_LABELS, STATUS_LABELS, LedgerItem
from monitor.ledger.warning import ItemWarning
from monitor.reporting.common import SCOPE_NOTE, late_rule, title, weak_rule
from monitor.reporting.summary import (
    BranchFigures,
    Figures,
    LateEntry,
    LedgerFigures,
    MonthlySummary,
    SummaryRow,
)


def _rate(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


def figures_json(figures: Figures) -> dict[str, Any]:
    return {
        "required": figures.required,
        "held": figures.held,
        "missed": figures.missed,
        "rate": _rate(figures.rate),
        "open": figures.open,
        "exempt": figures.exempt,
    }


def row_json(row: SummaryRow) -> dict[str, Any]:
    return {
        "org": row.org,
        "member": row.member,
        "rule": row.rule,
        "period": row.period.label,
        "status": row.status.value,
        "late_entry": row.late_entry,
        "org_name": row.org_name,
        "member_name": row.member_name,
        "branch": row.branch,
        "rule_name": row.rule_name,
        "period_zh": row.period.label_zh,
        "period_end": row.period.end.isoformat(),
        "status_zh": STATUS_ZH[row.status],
        "reason": row.reason,
        "records": list(row.records),
    }


def branch_json(branch: BranchFigures) -> dict[str, Any]:
    return {
        "rank": branch.rank,
        "org": branch.code,
        "name": branch.name,
        "parent": branch.parent,
        "parent_name": branch.parent_name,
        **figures_json(branch.figures),
        "late_entries": branch.late_entries,
        "weak": branch.weak,
    }


def late_json(entry: LateEntry) -> dict[str, Any]:
    return {
        "record": entry.record,
        "org": entry.org,
        "org_name": entry.org_name,
        "branch": entry.branch,
        "date": entry.day.isoformat(),
        "recorded": entry.recorded.isoformat(),
        "days_late": entry.days_late,
        "counted_for": [
            {
                "org": c.org,
                "member": c.member,
                "rule": c.rule,
                "rule_name": c.rule_name,
                "period": c.period.label,
            }
            for c in entry.counted_for
        ],
    }


def ledger_json(
    figures: LedgerFigures,
    items: tuple[LedgerItem, ...],
    colours: Mapping[int, ItemWarning] | None = None,
) -> dict[str, Any]:
    """The ledger's figures and items; ``red``/``yellow`` and each item's ``warning`` (``"red"``,
    ``"yellow"`` or null when not outstanding at as_of) come after the original keys."""
    colours = colours or {}
    return {
        "opened": figures.opened,
        "cleared": figures.cleared,
        "outstanding": figures.outstanding,
        "overdue": figures.overdue,
        "total": figures.total,
        "cleared_total": figures.cleared_total,
        "clearance_rate": _rate(figures.clearance_rate),
        "items": [
            {
                "id": i.id,
                "org": i.org,
                "member": i.member,
                "rule": i.rule,
                "period": i.period,
                "source": i.source.value,
                "source_zh": SOURCE_LABELS[i.source],
                "issue": i.issue,
                "opened": i.opened.isoformat(),
                "deadline": i.deadline.isoformat(),
                "status": i.status.value,
                "status_zh": STATUS_LABELS[i.status],
                "rectification": i.rectification,
                "cleared": None if i.cleared is None else i.cleared.isoformat(),
                "reopened": i.reopened,
                **warning_json(colours.get(i.id)),
            }
            for i in items
        ],
        "red": figures.red,
        "yellow": figures.yellow,
    }


def warning_json(warning: ItemWarning | None) -> dict[str, Any]:
    """An item's warning colour (三色预警): ``warning`` and ``warning_zh`` (红色/黄色), null when
    the item has none (cleared, or escalation switched off)."""
    if warning is None:
        return {"warning": None, "warning_zh": None}
    return {"warning": warning.colour.value, "warning_zh": warning.label}


def summary_json(summary: MonthlySummary) -> dict[str, Any]:
    """The whole summary as plain JSON values."""
    return {
        "month": summary.month.label,
        "org": summary.org,
        "totals": figures_json(summary.totals),
        "rows": [row_json(r) for r in summary.rows],
        "title": title(summary),
        "org_name": summary.org_name,
        "month_zh": summary.month.label_zh,
        "as_of": summary.as_of.isoformat(),
        "since": summary.since.isoformat(),
        "rules": summary.pack_title,
        "scope": SCOPE_NOTE,
        "cadres": figures_json(summary.cadres),
        "branches": [branch_json(b) for b in summary.branches],
        "weak": [branch_json(b) for b in summary.weak],
        "weak_tied": [branch_json(b) for b in summary.weak_tied],
        "weak_rule": weak_rule(summary),
        "weak_cut": summary.weak_cut,
        "late_days": summary.late_days,
        "late_rule": late_rule(summary),
        "late_entries": [late_json(e) for e in summary.late_entries],
        "ledger": ledger_json(summary.ledger, summary.ledger_items, summary.warnings),
        "trend": [{"month": p.month.label, **figures_json(p.figures)} for p in summary.trend],
    }


def render_json(summary: MonthlySummary) -> str:
    return json.dumps(summary_json(summary), ensure_ascii=False, indent=2)
