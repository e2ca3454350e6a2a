"""``GET /api/v1/reports/{YYYY-MM}``: the monthly check summary (月度检查通报) of an org's
subtree, as `orglife report` makes it: JSON (the same as ``--format json``), a printable HTML
page, an Excel workbook or a Word 通报.

Roles with ``Action.REPORTS`` (viewer, inspector, admin); a secretary gets 403. Without ``org``
the report is of the caller's own org (an admin's: the register's single top-level org, as the
CLI does); an org outside the scope is the uniform 404.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from monitor.accounts.model import Action
from monitor.core.errors import OrglifeError
from monitor.core.limits import EARLIEST_DATE, latest_date
from monitor.http.api.models import Code, ReportOut
from monitor.http.api.scoping import COMMON, org_in_scope, refused
from monitor.http.auth import Caller, require
from monitor.http.deps import StateDep
from monitor.reporting import render_docx, render_html, render_xlsx, summary_json
from monitor.reporting.build import build_summary, root_org
from monitor.reporting.summary import parse_month

router = APIRouter(prefix="/reports", tags=["月度通报"], responses=COMMON)

Reporter = Annotated[Caller, Depends(require(Action.REPORTS))]
Format = Literal["json", "html", "xlsx", "docx"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_BINARY = {"type": "string", "format": "binary"}
_FILES: dict[str, tuple[str, str]] = {
    "xlsx": (XLSX, "attachment"),
    "docx": (DOCX, "attachment"),
    "html": ("text/html; charset=utf-8", "inline"),
}


@router.get(
    "/{month}",
    response_model=ReportOut,
    responses={
        200: {
            "description": "The summary: JSON, or the page / workbook / document by ``format``.",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                XLSX: {"schema": _BINARY},
                DOCX: {"schema": _BINARY},
            },
        }
    },
)
async def get_report(
    month: Annotated[str, Path(max_length=16, description="The month reported: YYYY-MM.")],
    who: Reporter,
    app: StateDep,
    org: Annotated[
        Code | None,
        Query(description="This org and its subtree (default: your org; admin: the root)."),
    ] = None,
    as_of: Annotated[
        dt.date | None, Query(description="Judge as at the end of this day (default: today).")
    ] = None,
    fmt: Annotated[Format, Query(alias="format", description="What to return.")] = "json",
) -> Any:
    """The summary of every finding whose period ends in ``month``, with the ranking, the
    weak-and-lax candidates, the late entries, the ledger's figures and the trend."""
    try:
        period = parse_month(month)
    except OrglifeError as exc:
        raise refused(exc, "month") from None
    latest = latest_date(app.today())
    if not EARLIEST_DATE <= period.start <= latest:
        raise refused(f"月份 {month} 超出范围：应在 1921-01 到 {latest:%Y-%m} 之间", "month")
    day = as_of or app.today()
    if not EARLIEST_DATE <= day <= latest:
        raise refused(
            f"统计截至日 {day.isoformat()} 超出范围：应在 {EARLIEST_DATE} 到 {latest} 之间", "as_of"
        )
    if org is not None:
        code = (await org_in_scope(who, app.store, org)).code
    elif who.scope.everything:
        try:
            code = await asyncio.to_thread(root_org, app.store)
        except OrglifeError as exc:
            raise refused(exc, "org") from None
    else:
        code = (await org_in_scope(who, app.store, who.user.org or "")).code

    def build() -> Any:
        summary = build_summary(app.store, app.pack, org=code, month=period, as_of=day)
        if fmt == "json":
            return summary_json(summary)
        if fmt == "xlsx":
            return render_xlsx(summary)
        if fmt == "docx":
            return render_docx(summary)
        query = {"org": code, "as_of": day.isoformat()}
        files = {f: f"{period.label}?{urlencode({**query, 'format': f})}" for f in ("docx", "xlsx")}
        return render_html(summary, files=files).encode()

    try:
        built = await asyncio.to_thread(build)
    except OrglifeError as exc:  # e.g. as_of before the month
        raise refused(exc, "as_of" if day < period.start else None) from None
    if fmt == "json":
        return built
    media, disposition = _FILES[fmt]
    filename = quote(f"{code}-{period.label}-月度检查通报.{fmt}")
    return Response(
        built,
        media_type=media,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{filename}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
