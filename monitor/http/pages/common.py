"""What the page routes share: who is signed in, the way to the login form, the 404 and 403
pages, and each org's page URL (a branch's page for a 党支部, the dashboard above it)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from starlette.responses import Response

from monitor.accounts.model import Action, Role
from monitor.core.domain import OrgType
from monitor.http.auth import Caller, caller
from monitor.http.deps import AppState
from monitor.http.html import org_url as org_url  # re-exported: pages import it from here
from monitor.http.html import page, redirect
from monitor.http.problems import ApiError

ORG_TYPE_ZH = {
    OrgType.COMMITTEE: "党委",
    OrgType.GENERAL_BRANCH: "党总支",
    OrgType.BRANCH: "党支部",
    OrgType.GROUP: "党小组",
}


async def signed_in(request: Request, app: AppState) -> Caller | None:
    """The caller, or None when the request has no working credentials.

    On a POST this also checks the form's (or htmx's header) CSRF token: a forged one is a 403.
    """
    try:
        return await caller(request, app)
    except ApiError as exc:
        if exc.status == 401:
            return None
        raise


async def permitted(request: Request, app: AppState, action: Action) -> Caller | Response:
    """The caller, when signed in and allowed ``action``; else the page to answer instead (the
    way to the login form, or the 403 page)."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    if not who.may(action):
        return forbidden(who)
    return who


def to_login(request: Request) -> Response:
    """A redirect to the login form that comes back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/login?next={quote(target, safe='/')}")


def csrf_of(who: Caller) -> str | None:
    return who.session.csrf if who.session is not None else None


def nav_for(who: Caller) -> list[tuple[str, str]]:
    """The header's links (label, path) for what the caller may open."""
    links = [("首页", "/"), ("问题台账", "/ledger")]
    if who.may(Action.REPORTS):
        links.append(("月度小结", "/summary"))
    if who.user.role is Role.SECRETARY or who.may(Action.ADMIN):
        links.append(("日历订阅", "/calendar"))
    if who.may(Action.ADMIN):
        links.append(("系统管理", "/admin"))
    links.append(("修改密码", "/account/password"))
    return links


def show(who: Caller, name: str, /, *, status: int = 200, **data: Any) -> Response:
    """The template ``pages/<name>`` for a signed-in caller (the header, the CSRF token)."""
    return page(name, status=status, who=who, csrf=csrf_of(who), nav=nav_for(who), **data)


def not_found(who: Caller | None) -> Response:
    """The one 404 page: for what does not exist and for what is outside the caller's scope."""
    if who is None:
        return page("not_found.html", status=404)
    return show(who, "not_found.html", status=404)


def forbidden(who: Caller) -> Response:
    """The 403 page: the caller's role may not do this (anywhere)."""
    return show(who, "forbidden.html", status=403)


def client_address(request: Request) -> str:
    """The caller's address, as sign-in throttling counts it."""
    return request.client.host if request.client else "unknown"
