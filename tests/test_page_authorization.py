"""Every web page, opened as each role, inside and outside its scope (the pages' counterpart of
tests/test_authorization.py, which holds the API's routes).

For each page route the table says which roles may open it and how to open it for an org. The
test checks the answer exactly:

* allowed, in scope → the page (2xx, or a 303 onwards where the route is a step, e.g. /org);
* allowed, out of scope → the 404 page (the same as for what does not exist);
* a role without the permission → 403 wherever it asks;
* nobody signed in → a 303 to ``/login?next=…``.

A page route without an entry fails the test: a new page must say who may open it. Requests
carry a Bearer token (a program's credentials work on pages as on the API, and need no CSRF
token); the session cookie and its CSRF token are covered by the browser tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.core.rules import RulePack
from monitor.store import Store
from tests.test_api import NOW, PASSWORD, Clock, build_app

INSIDE, OUTSIDE = "JD01-06-01", "JD01-01"  # every non-admin role below covers the first only
USERS = {
    Role.ADMIN: ("admin", None),
    Role.INSPECTOR: ("inspector", "JD01-06"),
    Role.SECRETARY: ("secretary", "JD01-06-01"),
    Role.VIEWER: ("viewer", "JD01-06"),
}
ALL = frozenset(Role)
MISSING_ORG = "NO-SUCH-ORG"  # the admin's "outside": nothing is outside its scope

Call = Callable[[TestClient, dict[str, str], str, Store], Response]


@dataclass(frozen=True)
class Page:
    """Who may open ``method path``, and how to open it for an org."""

    allowed: frozenset[Role]
    call: Call
    public: bool = False  # no sign-in needed (the login form)
    scoped: bool = True  # about an org: outside the scope is a 404 (else there is no outside)


def get(path: str) -> Call:
    def call(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
        return client.get(path.format(org=org), headers=headers, follow_redirects=False)

    return call


# Not pages, or held by their own tests: /logout (auth tests), the API docs (test_http_app).
NOT_PAGES = {"/logout"}

TABLE: dict[tuple[str, str], Page] = {
    ("GET", "/"): Page(ALL, get("/"), scoped=False),
    ("GET", "/login"): Page(ALL, get("/login"), public=True, scoped=False),
    ("GET", "/org/{code}"): Page(ALL, get("/org/{org}")),
    ("GET", "/branch/{code}"): Page(ALL, get("/branch/{org}")),
    ("GET", "/dashboard/{code}"): Page(ALL, get("/dashboard/{org}")),
    ("GET", "/dashboard/{code}/evidence"): Page(
        ALL, get("/dashboard/{org}/evidence?org={org}&rule=themed_party_day&period=2026-10")
    ),
}


@pytest.fixture
def client(demo_store: Store, national: RulePack) -> Iterator[TestClient]:
    accounts = AccountStore(demo_store)
    for role, (name, org) in USERS.items():
        accounts.add_user(name, PASSWORD, role, org, now=NOW)
    with TestClient(build_app(demo_store, national, Clock()), client=("10.3.3.3", 5000)) as c:
        yield c


def _routes(routes: list[Any]) -> Iterator[Any]:
    """Every endpoint of ``routes``: FastAPI 0.16x keeps included routers as nodes of their own
    (with ``effective_route_contexts``), older ones flatten them into ``APIRoute``s."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()
        elif isinstance(route, APIRoute):
            yield route


def _page_routes(client: TestClient) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in _routes(client.app.routes):  # type: ignore[attr-defined]
        if route.include_in_schema or route.path.startswith("/api/") or route.path in NOT_PAGES:
            continue
        found.update((method, route.path) for method in route.methods if method != "HEAD")
    return found


def test_every_page_route_has_an_entry(client: TestClient) -> None:
    assert _page_routes(client) == set(TABLE), "a page without an entry, or an entry without one"


def test_every_page_as_every_role_inside_and_outside_its_scope(
    client: TestClient, demo_store: Store
) -> None:
    tokens = {
        role: {
            "Authorization": "Bearer "
            + AccountStore(demo_store).create_token(name, "pages", now=NOW)[0]
        }
        for role, (name, _) in USERS.items()
    }
    wrong: list[str] = []
    for (method, path), entry in sorted(TABLE.items()):
        if not entry.public:
            reply = entry.call(client, {}, INSIDE, demo_store)
            if reply.status_code != 303 or not reply.headers["location"].startswith("/login"):
                wrong.append(f"{method} {path} signed out: {reply.status_code}, not 303 to /login")
        for role, headers in tokens.items():
            outside = MISSING_ORG if role is Role.ADMIN else OUTSIDE
            inside = entry.call(client, headers, INSIDE, demo_store)
            if role in entry.allowed:
                if not (200 <= inside.status_code < 300 or inside.status_code == 303):
                    wrong.append(f"{method} {path} as {role}: {inside.status_code} inside")
                if entry.scoped:
                    beyond = entry.call(client, headers, outside, demo_store)
                    if beyond.status_code != 404:
                        wrong.append(f"{method} {path} as {role}: {beyond.status_code} outside")
            elif inside.status_code != 403:
                wrong.append(f"{method} {path} as {role}: {inside.status_code}, not 403")
    assert wrong == [], "\n".join(wrong)
