"""The monthly summary (月度检查通报): figures, and renderers to JSON, a chat message, HTML, XLSX.

``summary`` computes the figures (pure); ``build`` gathers them with one evaluation and two
set-based reads; each renderer takes a :class:`monitor.reporting.summary.MonthlySummary` and
returns text or bytes, reading nothing else. May import check, ledger, store, registers,
holidays, text and core; not calendar (its sibling) nor anything above.
"""

from __future__ import annotations

from monitor.reporting.docx import render_docx
from monitor.reporting.html import render_html
from monitor.reporting.json import render_json, summary_json
from monitor.reporting.md import render_md
from monitor.reporting.xlsx import render_xlsx

__all__ = ["render_docx", "render_html", "render_json", "render_md", "render_xlsx", "summary_json"]
