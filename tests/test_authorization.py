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
LEDGER = frozenset(
    {Role.ADMIN, Role.INSPECTOR}
)  # add, clear, send back; grant and revoke exemptions
RECTIFIERS = frozenset({Role.ADMIN, Role.INSPECTOR, Role.SECRETARY})
REPORTERS = frozenset({Role.ADMIN, Role.INSPECTOR, Role.VIEWER})
ADMIN = frozenset({Role.ADMIN})
NOTHING = 987_654_321  # an id nothing has


def _made_by_admin(client: TestClient, store: Store, path: str, body: dict[str, Any]) -> Any:
    reply = client.post(path, json=body, headers=_admin(store))
    assert reply.status_code == 201, (path, reply.text)
    return reply.json()


def item_in(client: TestClient, org: str, store: Store) -> int:
    """A new inspection item of ``org`` in the ledger."""
    if org == MISSING_ORG:
        return NOTHING
    body = {"org": org, "issue": f"会议记录不规范{next(_made)}", "rule": "themed_party_day"}
    return int(_made_by_admin(client, store, "/api/v1/ledger", body)["id"])


def on_item(
    suffix: str, body: dict[str, Any] | None = None, method: str = "POST", rectified: bool = False
) -> Call:
    def call(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
        item = item_in(client, org, store)
        if rectified and item != NOTHING:  # only a rectified item can be cleared
            done = client.post(
                f"/api/v1/ledger/{item}/rectify", json={"note": "已补开"}, headers=_admin(store)
            )
            assert done.status_code == 200, done.text
        url = f"/api/v1/ledger/{item}{suffix}"
        return client.request(method, url, json=body, headers=headers)

    return call


def _exemption(org: str) -> dict[str, Any]:
    n = next(_made)
    return {"org": org, "rule": "themed_party_day", "period": f"{2014 + n // 12}-{n % 12 + 1:02d}",
            "reason": "经街道党工委批准"}  # fmt: skip


def exempt(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
    return client.post("/api/v1/exemptions", json=_exemption(org), headers=headers)


def revoke(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
    found = NOTHING
    if org != MISSING_ORG:
        found = int(_made_by_admin(client, store, "/api/v1/exemptions", _exemption(org))["id"])
    return client.post(
        f"/api/v1/exemptions/{found}/revoke", json={"reason": "撤销"}, headers=headers
    )


def post(path: str, body: Callable[[str], dict[str, Any]]) -> Call:
    def call(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
        return client.post(path, json=body(org), headers=headers)

    return call


def _chat(org: str) -> dict[str, Any]:
    return {"org": org, "role": "branch", "chat_id": -7_000_000 - next(_made)}


def _user(org: str) -> dict[str, Any]:
    return {"username": f"u{next(_made)}", "role": "viewer", "org": org, "password": PASSWORD}


def disable_chat(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
    found = (
        NOTHING
        if org == MISSING_ORG
        else _made_by_admin(client, store, "/api/v1/chats", _chat(org))["id"]
    )
    return client.post(f"/api/v1/chats/{found}/disable", json={"reason": "测试"}, headers=headers)


def on_user(suffix: str, body: dict[str, Any] | None = None) -> Call:
    def call(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
        name = "nobody"
        if org != MISSING_ORG:
            name = _made_by_admin(client, store, "/api/v1/users", _user(org))["username"]
        return client.post(f"/api/v1/users/{name}{suffix}", json=body, headers=headers)

    return call


def make_token(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
    user = "nobody" if org == MISSING_ORG else "viewer"
    return client.post("/api/v1/tokens", json={"user": user, "name": "t"}, headers=headers)


def revoke_token(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
    found = NOTHING
    if org != MISSING_ORG:
        made = _made_by_admin(client, store, "/api/v1/tokens", {"user": "viewer", "name": "t"})
        found = int(made["id"])
    return client.post(f"/api/v1/tokens/{found}/revoke", headers=headers)


TABLE.update(
    {
        ("GET", "/api/v1/ledger"): Route(READERS, get("/api/v1/ledger", org="{org}")),
        ("POST", "/api/v1/ledger"): Route(
            LEDGER,
            post("/api/v1/ledger", lambda org: {"org": org, "issue": f"记录不全{next(_made)}"}),
        ),
        ("GET", "/api/v1/ledger/{id}"): Route(READERS, on_item("", method="GET")),
        ("GET", "/api/v1/ledger/{id}/history"): Route(READERS, on_item("/history", method="GET")),
        ("POST", "/api/v1/ledger/{id}/rectify"): Route(
            RECTIFIERS, on_item("/rectify", {"note": "已补开"})
        ),
        ("POST", "/api/v1/ledger/{id}/clear"): Route(LEDGER, on_item("/clear", {}, rectified=True)),
        ("POST", "/api/v1/ledger/{id}/return"): Route(
            LEDGER, on_item("/return", {"note": "缺签到表"}, rectified=True)
        ),
        ("GET", "/api/v1/exemptions"): Route(READERS, get("/api/v1/exemptions", org="{org}")),
        ("POST", "/api/v1/exemptions"): Route(LEDGER, exempt),
        ("POST", "/api/v1/exemptions/{id}/revoke"): Route(LEDGER, revoke),
        ("GET", "/api/v1/reports/{month}"): Route(
            REPORTERS, get("/api/v1/reports/2026-10", org="{org}")
        ),
        # Admin only, and not about one org: the admin's "outside" is an org or id that does
        # not exist (a 422 on the body's org, or a 404), or the same list again.
        ("GET", "/api/v1/chats"): Route(ADMIN, get("/api/v1/chats"), admin_missing=200),
        ("POST", "/api/v1/chats"): Route(ADMIN, post("/api/v1/chats", _chat), admin_missing=422),
        ("POST", "/api/v1/chats/{id}/disable"): Route(ADMIN, disable_chat),
        ("GET", "/api/v1/users"): Route(ADMIN, get("/api/v1/users"), admin_missing=200),
        ("POST", "/api/v1/users"): Route(ADMIN, post("/api/v1/users", _user), admin_missing=422),
        ("POST", "/api/v1/users/{username}/disable"): Route(ADMIN, on_user("/disable")),
        ("POST", "/api/v1/users/{username}/password"): Route(
            ADMIN, on_user("/password", {"password": "another password 1"})
        ),
        ("GET", "/api/v1/tokens"): Route(ADMIN, get("/api/v1/tokens"), admin_missing=200),
        ("POST", "/api/v1/tokens"): Route(ADMIN, make_token, admin_missing=422),
        ("POST", "/api/v1/tokens/{id}/revoke"): Route(ADMIN, revoke_token),
    }
)

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
    assert wrong == [], "\n".join(wrong)


def test_a_secretary_gets_404_for_everything_of_another_branch(
    client: TestClient, demo_store: Store
) -> None:
    value, _ = AccountStore(demo_store).create_token("secretary", "x", now=NOW)
    headers = {"Authorization": f"Bearer {value}"}
    for (method, path), route in sorted(TABLE.items()):
        if Role.SECRETARY in route.allowed and not route.public:
            reply = route.call(client, headers, OUTSIDE, demo_store)
            assert reply.status_code == 404, (method, path, reply.status_code)
