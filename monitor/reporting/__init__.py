"""Renderers of the monthly summary (月度检查通报): JSON, a Telegram message, HTML and XLSX.

Each takes a :class:`monitor.reporting.summary.MonthlySummary` (see
:func:`monitor.reporting.build.build_summary`) and returns text or bytes; none reads anything else.
"""

from __future__ import annotations

from monitor.reporting.html import render_html
from monitor.reporting.json import render_json, summary_json
from monitor.reporting.md import render_md
from monitor.reporting.xlsx import render_xlsx

__all__ = ["render_html", "render_json", "render_md", "render_xlsx", "summary_json"]
