"""The web pages: server-rendered Chinese (Jinja2, autoescaped) with htmx, no inline script.

One module per page family; each has its own ``router`` (kept out of the OpenAPI document),
all gathered in :data:`router`. Pages take the caller the API takes (the session cookie,
:func:`monitor.http.auth.caller`) and the same scope: anything outside it is the one 404 page.
Not signed in, a page redirects to ``/login?next=…``. Forms post with the session's CSRF token
(a hidden ``csrf`` field; htmx sends it as ``X-CSRF-Token`` from the body's ``hx-headers``).

- :mod:`.entry` — ``/`` and the login form;
- :mod:`.org` — ``/org/{code}`` and the statuses per branch × rule;
- :mod:`.branch` — ``/branch/{code}``, the secretary's home;
- :mod:`.records` — entering, showing, editing and deleting a meeting record;
- :mod:`.attachments` — the files of records and ledger items, to those who may see them;
- :mod:`.account` — changing one's password;
- :mod:`.calendar` — a feed's subscription link, its QR code, rotating it;
- :mod:`.admin`, :mod:`.admin_imports` — users, API tokens, chats, register imports (admins).
- :mod:`.ledger` — ``/ledger``: the problem ledger's board, its items and their changes;
- :mod:`.summary` — ``/summary``: the monthly summary (月度检查通报) with its downloads.
- :mod:`.dashboard` — the inspector's dashboard and a finding's evidence.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from monitor.http.pages import (
    account,
    admin,
    admin_imports,
    attachments,
    branch,
    calendar,
    dashboard,
    entry,
    ledger,
    org,
    records,
    summary,
)

STATIC = Path(__file__).parent.parent / "static"

router = APIRouter(include_in_schema=False)
for module in (
    entry,
    org,
    dashboard,
    branch,
    records,
    attachments,
    ledger,
    summary,
    account,
    calendar,
    admin,
    admin_imports,
):
    router.include_router(module.router)


def mount_static(app: FastAPI) -> None:
    """The pages' CSS and htmx at ``/static``, from the package."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
