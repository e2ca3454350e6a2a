"""``/calendar``: where a branch's calendar app subscribes to its feed, and rotating that link.

The link is the API's (``GET /api/v1/orgs/{code}/calendar``, :func:`calendar_link`): the feed
URL on the service's public address, its ``webcal://`` form and a QR code of the latter (segno,
an inline SVG: no script, no ``style`` attribute). Anyone who may read an org may see its link,
as on the API; rotating it (the old URL stops working at once) is for the branch's secretary
and admins. The token is a secret capability: it is shown on this page only (``no-store``),
and the log names the org, never the link.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from urllib.parse import quote

import segno
import structlog
from fastapi import APIRouter, Request
from markupsafe import Markup
from sqlalchemy import select
from starlette.responses import Response

from monitor.accounts.model import Role
from monitor.calendar.service import public_url, subject
from monitor.calendar.store import FeedStore
from monitor.core.domain import OrgType
from monitor.core.errors import OrglifeError
from monitor.http.api.calendars import CalendarOut, calendar_link
from monitor.http.auth import Caller
from monitor.http.deps import AppState, StateDep
from monitor.http.html import redirect
from monitor.http.pages.common import ORG_TYPE_ZH, forbidden, not_found, show, signed_in, to_login
from monitor.store import ORG_TABLE, Store

log = structlog.get_logger("orglife.web")

router = APIRouter(include_in_schema=False)

KIND_ZH = {
    "branch": "支部日历（含党小组）",
    "group": "党小组日历",
    "oversight": "督导日历（下级组织的截止日期）",
}
MAX_PICKS = 60  # orgs listed on the pick page; beyond that, type the code


@dataclass(frozen=True, slots=True)
class CalendarView:
    """One org's subscription: the links, the QR code, and whether the caller may rotate."""

    code: str
    title: str
    kind_zh: str
    url: str
    webcal: str
    qr: Markup  # an inline <svg> made here from the webcal URL alone
    may_rotate: bool
    rotated: bool


@dataclass(frozen=True, slots=True)
class Pick:
    code: str
    name: str
    type_zh: str


def qr_svg(text: str) -> Markup:
    """A QR code of ``text`` as an inline SVG element (no XML declaration, no style)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        scale=5,
        border=3,
        svgclass="qr",
        lineclass=None,
        title="订阅日历的二维码",
    )
    # Markup: segno's own SVG of a URL this app made; no user text in it.
    return Markup(out.getvalue().decode("utf-8"))


ROTATORS = frozenset({Role.ADMIN, Role.SECRETARY})  # inspectors and viewers only look


def may_rotate(who: Caller, code: str) -> bool:
    """Whether ``who`` may replace ``code``'s link: an admin, or the branch's secretary."""
    return who.user.role in ROTATORS and not who.user.disabled and code in who.scope


def calendar_view(found: CalendarOut, who: Caller, rotated: bool) -> CalendarView:
    return CalendarView(
        code=found.code,
        title=found.title,
        kind_zh=KIND_ZH.get(found.kind, found.kind),
        url=found.url,
        webcal=found.webcal,
        qr=qr_svg(found.webcal),
        may_rotate=may_rotate(who, found.code),
        rotated=rotated,
    )


def picks(store: Store, who: Caller) -> list[Pick]:
    """The caller's own org and the orgs right below it (an admin: the top orgs), in scope."""
    table = ORG_TABLE
    if who.user.org is None:
        query = select(table.c.code, table.c.name, table.c.type).where(table.c.parent.is_(None))
    else:
        query = select(table.c.code, table.c.name, table.c.type).where(
            (table.c.code == who.user.org) | (table.c.parent == who.user.org)
        )
    query = query.where(table.c.type != OrgType.GROUP.value).order_by(table.c.code)
    with store.engine.connect() as conn:
        rows = conn.execute(query.limit(MAX_PICKS)).all()
    return [
        Pick(str(r.code), str(r.name), ORG_TYPE_ZH[OrgType(r.type)])
        for r in rows
        if str(r.code) in who.scope
    ]


def _base(app: AppState) -> str | None:
    try:
        return app.public_url or public_url()
    except OrglifeError:
        return None


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/calendar")
async def calendar_home(request: Request, app: StateDep) -> Response:
    """A secretary's branch calendar; others pick an org (or type its code)."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    wanted = request.query_params.get("code", "").strip()
    if wanted:
        return redirect(f"/calendar/{quote(wanted, safe='')}")
    if who.user.role is Role.SECRETARY and who.user.org is not None:
        return redirect(f"/calendar/{quote(who.user.org, safe='')}")
    found = await asyncio.to_thread(picks, app.store, who)
    return show(who, "calendar_pick.html", picks=found)


async def _calendar(code: str, request: Request, app: AppState, *, rotate: bool) -> Response:
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    if rotate and who.user.role not in ROTATORS:
        return forbidden(who)
    if code not in who.scope:
        return not_found(who)
    base = _base(app)
    if base is None:
        return show(who, "calendar.html", status=503, view=None)
    now = app.clock()

    def link() -> CalendarOut | None:
        if rotate:
            if not app.store.orgs([code]):
                return None
            FeedStore(app.store).rotate(subject(app.store, code).code, now=now)
        return calendar_link(app.store, code, base, now)

    found = await asyncio.to_thread(link)
    if found is None:
        return not_found(who)
    if rotate:
        log.info("calendar_link_rotated", org=code, by=who.actor)
        return redirect(f"/calendar/{quote(code, safe='')}?rotated=1")
    log.info("calendar_link_shown", org=code, by=who.actor)
    rotated = request.query_params.get("rotated") == "1"
    return _no_store(show(who, "calendar.html", view=calendar_view(found, who, rotated)))


@router.get("/calendar/{code}")
async def calendar_page(code: str, request: Request, app: StateDep) -> Response:
    """An org's subscription link, webcal link and QR code (404 outside the scope)."""
    return await _calendar(code, request, app, rotate=False)


@router.post("/calendar/{code}/rotate")
async def rotate_calendar(code: str, request: Request, app: StateDep) -> Response:
    """Replace the org's link: the old URL stops working at once."""
    return await _calendar(code, request, app, rotate=True)
