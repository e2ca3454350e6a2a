"""What every server-rendered page shares: rendering a template under ``templates/pages/``
with the security headers, where a user lands after signing in, and which ``next`` targets
are safe to redirect to.

Pages carry no inline script or style, so the Content-Security-Policy allows only the
app's own files (``/static``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from monitor.accounts.model import User
from monitor.core.domain import Org, OrgType
from monitor.core.errors import UnknownOrgError
from monitor.store import Store
from monitor.text.render import render

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

# A local path: one leading slash, no scheme or host, no backslash or control characters.
_SAFE_NEXT = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~/?=&%]*$")


def secured(response: Response) -> Response:
    """``response`` with the pages' security headers."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def page(name: str, /, *, status: int = 200, **data: Any) -> Response:
    """The template ``pages/<name>`` rendered with ``data``, as an HTML page."""
    data.setdefault("who", None)
    data.setdefault("csrf", None)
    body = render(f"pages/{name}", **data)
    return secured(HTMLResponse(body, status_code=status))


def redirect(location: str) -> Response:
    """A 303 to ``location`` (a GET after a form post), with the security headers."""
    return secured(RedirectResponse(location, status_code=303))


def safe_next(value: object) -> str | None:
    """``value`` when it is a local path this app may redirect to; else None."""
    if isinstance(value, str) and _SAFE_NEXT.match(value) and not value.startswith("/login"):
        return value
    return None


def wants_json(request: Request) -> bool:
    """Whether the client asks for JSON rather than a page (``Accept: application/json`` or
    problem+json, without ``text/html``); ``*/*`` and no Accept at all are a form's post."""
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def org_url(org: Org) -> str:
    """An org's page: a branch's own page (a 党小组's is its branch's), or the dashboard of an
    org above branches."""
    if org.type is OrgType.GROUP and org.parent is not None:
        return f"/branch/{quote(org.parent, safe='')}"
    if org.type in (OrgType.BRANCH, OrgType.GROUP):
        return f"/branch/{quote(org.code, safe='')}"
    return f"/dashboard/{quote(org.code, safe='')}"


def home_of(user: User, store: Store) -> str:
    """Where ``user`` lands: their org's page (a branch's page or a dashboard); an admin's is the
    register's root org, or the admin page while the register is empty."""
    if user.org is not None:
        try:
            return org_url(store.org(user.org))
        except UnknownOrgError:  # the org left the register: /org/… answers the 404 page
            return f"/org/{quote(user.org, safe='')}"
    roots = sorted((o for o in store.orgs() if o.parent is None), key=lambda o: o.code)
    return org_url(roots[0]) if roots else "/admin"
