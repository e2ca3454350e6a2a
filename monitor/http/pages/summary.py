"""The monthly summary page (月度检查通报): ``/summary/{code}/{YYYY-MM}`` shows an org's
subtree's summary of a month inside the site's layout, as the printable report renders it
(:func:`monitor.reporting.html.render_html_body`), with a month picker and the downloads
(the API's ``/api/v1/reports/{month}`` as xlsx, docx and the printable page; the session
cookie opens them).

``/summary`` leads to the caller's org and the last complete month: the 通报 of a month is made
after it ends, so at the start of December an inspector looks for November's. Roles with
``Action.REPORTS`` (viewer, inspector, admin); a secretary gets the 403 page; an org outside
the scope is the 404 page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from monitor.accounts.model import Action
from monitor.core.errors import OrglifeError, UnknownOrgError
from monitor.core.limits import EARLIEST_DATE
from monitor.core.periods import Period
from monitor.http.deps import StateDep
from monitor.http.html import redirect
from monitor.http.pages.common import not_found, permitted, show
from monitor.reporting.build import build_summary, root_org
from monitor.reporting.common import title
from monitor.reporting.html import render_html_body
from monitor.reporting.summary import parse_month

router = APIRouter(include_in_schema=False)

PICKER_MONTHS = 12
FORMATS = (("xlsx", "Excel 工作簿（.xlsx）"), ("docx", "Word 通报（.docx）"))


def default_month(today: dt.date) -> Period:
    """The last complete month before ``today``."""
    return Period.parse(f"{today:%Y-%m}").previous()


def month_choices(today: dt.date, count: int = PICKER_MONTHS) -> list[Period]:
    """The current month and the ``count - 1`` before it, newest first."""
    month = Period.parse(f"{today:%Y-%m}")
    months = [month]
    for _ in range(count - 1):
        month = month.previous()
        months.append(month)
    return months


def summary_url(code: str, month: Period) -> str:
    return f"/summary/{quote(code, safe='')}/{month.label}"


def report_url(code: str, month: Period, fmt: str) -> str:
    """The API's report of ``code`` for ``month`` as ``fmt`` (the session cookie opens it)."""
    return f"/api/v1/reports/{month.label}?{urlencode({'org': code, 'format': fmt})}"


@dataclass(frozen=True, slots=True)
class Download:
    label: str
    href: str


@router.get("/summary")
async def summary_home(request: Request, app: StateDep) -> Response:
    """On to a month's summary: the picker's choice, else the caller's org and last month."""
    who = await permitted(request, app, Action.REPORTS)
    if isinstance(who, Response):
        return who
    month = request.query_params.get("month", "").strip()
    code = request.query_params.get("org", "").strip() or who.user.org
    if code is None:
        try:
            code = await asyncio.to_thread(root_org, app.store)
        except OrglifeError:
            return not_found(who)
    if month:
        return redirect(f"/summary/{quote(code, safe='')}/{quote(month, safe='')}")
    return redirect(summary_url(code, default_month(app.today())))


@router.get("/summary/{code}/{month}")
async def summary_page(code: str, month: str, request: Request, app: StateDep) -> Response:
    """The month's summary of ``code``'s subtree, with the picker and the downloads."""
    who = await permitted(request, app, Action.REPORTS)
    if isinstance(who, Response):
        return who
    if code not in who.scope:
        return not_found(who)
    today = app.today()
    try:
        period = parse_month(month)
    except OrglifeError:
        return not_found(who)
    if not EARLIEST_DATE <= period.start <= today:
        return not_found(who)

    def build() -> tuple[str, Markup] | None:
        try:
            summary = build_summary(app.store, app.pack, org=code, month=period, as_of=today)
        except UnknownOrgError:
            return None
        # The body was rendered by the autoescaping environment: it is markup already.
        return title(summary), Markup(render_html_body(summary))

    built = await asyncio.to_thread(build)
    if built is None:
        return not_found(who)
    heading, body = built
    return show(
        who,
        "summary.html",
        heading=heading,
        body=body,
        code=code,
        month=period,
        months=[(m.label, m.label_zh) for m in month_choices(today)],
        printable=report_url(code, period, "html"),
        downloads=[Download(label, report_url(code, period, fmt)) for fmt, label in FORMATS],
    )
