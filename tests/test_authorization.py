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
    # What the admin (whose scope is everything) gets for an org that does not exist: 404,
    # except where a missing org is an error in the input (an upload's row), reported as such.
    admin_missing: int = 404


def get(path: str, **params: str) -> Call:
    def call(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
        query = {k: v.format(org=org) for k, v in params.items()}
        return client.get(path.format(org=org), params=query, headers=headers)

    return call


def findings(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
    return client.get(
        "/api/v1/findings", params={"as_of": "2026-11-20", "org": org}, headers=headers
    )


WRITERS = frozenset({Role.ADMIN, Role.INSPECTOR, Role.SECRETARY})  # meeting records
_made = iter(range(1, 1_000_000))


def _admin(store: Store) -> dict[str, str]:
    value, _ = AccountStore(store).create_token("admin", "authz-setup", now=NOW)
    return {"Authorization": f"Bearer {value}"}


def record_in(client: TestClient, org: str, store: Store) -> int:
    """A new meeting record of ``org`` (made by the admin); a missing org has none: an id no
    record has."""
    if org == MISSING_ORG:
        return 987_654_321
    body = {
        "org": org,
        "kinds": ["主题党日"],
        "date": "2026-11-18",
        "expected": 10,
        "attended": 9,
        "topic": f"权限测试{next(_made)}",
    }
    reply = client.post("/api/v1/meetings", json=body, headers=_admin(store))
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def on_record(method: str, suffix: str = "", body: dict[str, Any] | None = None) -> Call:
    def call(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
        url = f"/api/v1/meetings/{record_in(client, org, store)}{suffix}"
        return client.request(method, url, json=body, headers=headers)

    return call


def record(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
    body = {"org": org, "kinds": ["党课"], "date": "2026-11-19", "expected": 10, "attended": 8,
            "topic": f"权限测试{next(_made)}"}  # fmt: skip
    return client.post("/api/v1/meetings", json=body, headers=headers)


def upload(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
    text = (
        f"org,kind,date,expected,attended,topic\n{org},主题党日,2026-11-20,10,9,上传{next(_made)}\n"
    )
    return client.post(
        "/api/v1/imports/meetings",
        params={"dry_run": "true"},
        files={"file": ("会议记录.csv", text.encode(), "text/csv")},
        headers=headers,
    )


TABLE: dict[tuple[str, str], Route] = {
    ("GET", "/api/v1/orgs/{code}"): Route(READERS, get("/api/v1/orgs/{org}")),
    ("GET", "/api/v1/orgs/{code}/subtree"): Route(READERS, get("/api/v1/orgs/{org}/subtree")),
    ("GET", "/api/v1/orgs/{code}/members"): Route(READERS, get("/api/v1/orgs/{org}/members")),
    ("GET", "/api/v1/orgs/{code}/calendar"): Route(READERS, get("/api/v1/orgs/{org}/calendar")),
    ("GET", "/api/v1/findings"): Route(READERS, findings),
    ("GET", "/api/v1/meetings"): Route(READERS, get("/api/v1/meetings", org="{org}")),
    ("POST", "/api/v1/meetings"): Route(WRITERS, record),
    ("GET", "/api/v1/meetings/{record_id}"): Route(READERS, on_record("GET")),
    ("PATCH", "/api/v1/meetings/{record_id}"): Route(
        WRITERS, on_record("PATCH", body={"attended": 10, "reason": "权限测试"})
    ),
    ("DELETE", "/api/v1/meetings/{record_id}"): Route(
        WRITERS, on_record("DELETE", body={"reason": "权限测试"})
    ),
    ("GET", "/api/v1/meetings/{record_id}/history"): Route(READERS, on_record("GET", "/history")),
    # A dry run: an unknown org is a row error in the report (200, ok false), for the admin.
    ("POST", "/api/v1/imports/{register}"): Route(WRITERS, upload, admin_missing=200),
}
# Routes whose rules are not per org, tested on their own: sign-in (tests/test_api.py), and
# the feeds, signed report links and health check that need no account (tests/test_web.py,
# tests/test_http_app.py).
OWN_TESTS = {
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/feeds/{name}"),
    ("HEAD", "/feeds/{name}"),
    ("GET", "/reports/{org}/{name}"),
    ("HEAD", "/reports/{org}/{name}"),
    ("GET", "/healthz"),
    ("HEAD", "/healthz"),
}


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
                expected = route.admin_missing if role is Role.ADMIN else 404
                if beyond.status_code != expected:
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
