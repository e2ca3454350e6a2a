"""``/org/{code}``: an org's page, wherever it is — on to the branch's page (``/branch/{code}``,
:mod:`.branch`) or the dashboard (``/dashboard/{code}``, :mod:`.dashboard`) by the org's type.

An org outside the caller's scope is the same 404 page as one that does not exist.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from monitor.core.errors import UnknownOrgError
from monitor.http.deps import StateDep
from monitor.http.html import redirect
from monitor.http.pages.common import not_found, org_url, signed_in, to_login

router = APIRouter(include_in_schema=False)


@router.get("/org/{code}")
async def org_page(code: str, request: Request, app: StateDep) -> Response:
    """An org: on to its branch's page or its dashboard (404 outside the caller's scope)."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    if code not in who.scope:
        return not_found(who)
    try:
        org = await asyncio.to_thread(app.store.org, code)
    except UnknownOrgError:
        return not_found(who)
    return redirect(org_url(org))
