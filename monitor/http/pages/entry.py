"""``/`` (the user's home, or the login form) and ``GET /login`` (``POST /login`` is in
:mod:`monitor.http.auth`)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from monitor.http.deps import StateDep
from monitor.http.html import home_of, page, redirect, safe_next
from monitor.http.pages.common import signed_in

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index(request: Request, app: StateDep) -> Response:
    """The user's home, or the login form."""
    who = await signed_in(request, app)
    if who is None:
        return redirect("/login")
    return redirect(await asyncio.to_thread(home_of, who.user, app.store))


@router.get("/login")
async def login_form(request: Request, app: StateDep) -> Response:
    """The login form (``POST /login`` with ``username``, ``password`` and ``next``)."""
    return page(
        "login.html", error=None, username="", next=safe_next(request.query_params.get("next"))
    )
