"""The web pages: server-rendered Chinese (Jinja2, autoescaped) with htmx, no inline script.

One module per page family; each has its own ``router`` (kept out of the OpenAPI document),
all gathered in :data:`router`. Pages take the caller the API takes (the session cookie,
:func:`monitor.http.auth.caller`) and the same scope: anything outside it is the one 404 page.
Not signed in, a page redirects to ``/login?next=…``. Forms post with the session's CSRF token
(a hidden ``csrf`` field; htmx sends it as ``X-CSRF-Token`` from the body's ``hx-headers``).

- :mod:`.entry` — ``/`` and the login form;
- :mod:`.org` — ``/org/{code}`` and the statuses per branch × rule;
- :mod:`.dashboard` — the inspector's dashboard and a finding's evidence.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from monitor.http.pages import dashboard, entry, org

STATIC = Path(__file__).parent.parent / "static"

router = APIRouter(include_in_schema=False)
for module in (entry, org, dashboard):
    router.include_router(module.router)


def mount_static(app: FastAPI) -> None:
    """The pages' CSS and htmx at ``/static``, from the package."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
