"""Every route of the OpenAPI document, called as each role, inside and outside its scope.

The table below says, for each route, which roles may use it. The test calls the route as each
role on an org inside the role's scope and on one outside it, and checks the answer exactly:

* allowed, in scope → the route's success (2xx);
* allowed, out of scope → 404 (the same as what does not exist);
* a role without the permission → 403 wherever it asks;
* nobody signed in → 401.

A route in the OpenAPI document without an entry here fails the test: a new route must say who
may call it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
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
READERS = ALL
MISSING_ORG = "NO-SUCH-ORG"  # the admin's "outside": nothing is outside its scope

Call = Callable[[TestClient, dict[str, str], str, Store], Response]


@dataclass(frozen=True)
class Route:
    """Who may call ``method path``, and how to call it for an org."""

    allowed: frozenset[Role]
    call: Call
    public: bool = False  # no credentials needed (sign-in, feeds, signed links)


def get(path: str, **params: str) -> Call:
    def call(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
        return client.get(path.format(org=org), params=params, headers=headers)

    return call


def findings(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
    return client.get(
        "/api/v1/findings", params={"as_of": "2026-11-20", "org": org}, headers=headers
    )


TABLE: dict[tuple[str, str], Route] = {
    ("GET", "/api/v1/orgs/{code}"): Route(READERS, get("/api/v1/orgs/{org}")),
    ("GET", "/api/v1/orgs/{code}/subtree"): Route(READERS, get("/api/v1/orgs/{org}/subtree")),
    ("GET", "/api/v1/findings"): Route(READERS, findings),
}
# Routes whose rules are not per org: tested on their own (tests/test_api.py).
OWN_TESTS = {("POST", "/login"), ("POST", "/logout")}


@pytest.fixture
def client(demo_store: Store, national: RulePack) -> Iterator[TestClient]:
    accounts = AccountStore(demo_store)
    for role, (name, org) in USERS.items():
        accounts.add_user(name, PASSWORD, role, org, now=NOW)
    with TestClient(build_app(demo_store, national, Clock()), client=("10.2.2.2", 5000)) as c:
        yield c


def _routes(client: TestClient) -> set[tuple[str, str]]:
    document: dict[str, Any] = client.get("/api/openapi.json").json()
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }


def test_every_route_in_the_openapi_document_has_an_entry(client: TestClient) -> None:
    routes = _routes(client)
    assert routes - OWN_TESTS == set(TABLE), "a route without an entry, or an entry without one"


def test_every_route_as_every_role_inside_and_outside_its_scope(
    client: TestClient, demo_store: Store
) -> None:
    tokens = {
        role: {
            "Authorization": "Bearer "
            + AccountStore(demo_store).create_token(name, "authz", now=NOW)[0]
        }
        for role, (name, _) in USERS.items()
    }
    wrong: list[str] = []
    for (method, path), route in sorted(TABLE.items()):
        if not route.public:
            status = route.call(client, {}, INSIDE, demo_store).status_code
            if status != 401:
                wrong.append(f"{method} {path} without credentials: {status}, not 401")
        for role, headers in tokens.items():
            outside = MISSING_ORG if role is Role.ADMIN else OUTSIDE
            inside = route.call(client, headers, INSIDE, demo_store)
            beyond = route.call(client, headers, outside, demo_store)
            if role in route.allowed:
                if not 200 <= inside.status_code < 300:
                    wrong.append(f"{method} {path} as {role}: {inside.status_code} inside")
                if beyond.status_code != 404:
                    wrong.append(f"{method} {path} as {role}: {beyond.status_code} outside")
            else:
                for where, reply in (("inside", inside), ("outside", beyond)):
                    if reply.status_code != 403:
                        wrong.append(f"{method} {path} as {role}: {reply.status_code} {where}")
    assert wrong == []


def test_a_secretary_gets_404_for_everything_of_another_branch(
    client: TestClient, demo_store: Store
) -> None:
    value, _ = AccountStore(demo_store).create_token("secretary", "x", now=NOW)
    headers = {"Authorization": f"Bearer {value}"}
    for (method, path), route in sorted(TABLE.items()):
        if Role.SECRETARY in route.allowed and not route.public:
            reply = route.call(client, headers, OUTSIDE, demo_store)
            assert reply.status_code == 404, (method, path, reply.status_code)
