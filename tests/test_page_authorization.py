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
from monitor.alerts.plan import ChatRole
from monitor.alerts.store import AlertStore
from monitor.attachments import AttachmentStore, Owner
from monitor.core.rules import RulePack
from monitor.http.state import data_dir_for
from monitor.ledger.store import LedgerStore
from monitor.store import Store, records
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


def post(path: str, form: Callable[[str], dict[str, Any]]) -> Call:
    """A POST of the form ``form(org)`` to ``path`` (about ``org``)."""

    def call(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
        url = path.format(org=org)
        return client.post(url, data=form(org), headers=headers, follow_redirects=False)

    return call


def post_fields(path: str, fields: dict[str, str], files: dict[str, Any] | None = None) -> Call:
    def call(client: TestClient, headers: dict[str, str], org: str, _: Store) -> Response:
        return client.post(
            path.format(org=org), data=fields, files=files, headers=headers, follow_redirects=False
        )

    return call


NOTHING = 987_654_321  # an id nothing has


def on_item(suffix: str, method: str = "POST", rectified: bool = False, **form: str) -> Call:
    """``method`` on a new ledger item of the org (``rectified``: made 整改中 first)."""

    def call(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
        item = NOTHING
        if org != MISSING_ORG:
            ledger = LedgerStore(store)
            item = ledger.add(org, "会议记录不规范", by="test", today=NOW.date(), now=NOW).id
            if rectified:
                ledger.rectify(item, "已补开", by="test", now=NOW)
        url = f"/ledger/{item}{suffix}"
        return client.request(
            method, url, data=form or None, headers=headers, follow_redirects=False
        )

    return call


NO_SUCH_ID = 2**40  # no record or attachment has it: what the admin's "outside" opens


def record_of(store: Store, org: str) -> int:
    """The latest record of ``org`` that is not deleted and has both counts, or a missing id."""
    found = [
        r.meeting
        for r in records.list_records(store, orgs=[org])
        if r.meeting.expected is not None and r.meeting.attended is not None
    ]
    return found[-1].id or NO_SUCH_ID if found else NO_SUCH_ID


def on_record(path: str, *, method: str = "GET", form: bool = False) -> Call:
    """``path`` with ``{id}`` the id of a record of the org; a POST sends an edit or a deletion
    that leaves the record valid (its own values and a reason)."""

    def call(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
        record_id = record_of(store, org)
        url = path.format(id=record_id)
        if method == "GET":
            return client.get(url, headers=headers, follow_redirects=False)
        data: dict[str, Any] = {"reason": "页面权限测试"}
        if form and record_id != NO_SUCH_ID:
            m = records.get_record(store, record_id).meeting
            data |= {
                "kinds": sorted(m.kinds),
                "date": m.date.isoformat(),
                "expected": str(m.expected),
                "attended": str(m.attended),
                "lecturer_other": m.lecturer or "",
                "topic": m.topic or "",
                "attendees": list(m.attendees),
                "for_period": m.for_period or "",
            }
        return client.post(url, data=data, headers=headers, follow_redirects=False)

    return call


def _victim(store: Store) -> str:
    """An account to disable or reset (not one of the table's own)."""
    accounts = AccountStore(store)
    if "victim" not in {u.username for u in accounts.users()}:
        accounts.add_user("victim", PASSWORD, Role.VIEWER, "JD01", now=NOW)
    return "victim"


def on_victim(action: str, fields: dict[str, str]) -> Call:
    def call(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
        path = f"/admin/users/{_victim(store)}/{action}"
        return client.post(path, data=fields, headers=headers, follow_redirects=False)

    return call


def on_attachment(path: str, *, method: str = "GET") -> Call:
    """``path`` with ``{id}`` a new attachment (a PDF) on a record of the org."""

    def call(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
        record_id = record_of(store, org)
        attachment_id = NO_SUCH_ID
        if record_id != NO_SUCH_ID:
            files = AttachmentStore(store, data_dir_for(store) / "attachments")
            attachment_id = files.add(
                Owner.MEETING, record_id, org, "纪要.pdf", b"%PDF-1.4 minutes", by="t", now=NOW
            ).id
        url = path.format(id=attachment_id)
        if method == "GET":
            return client.get(url, headers=headers, follow_redirects=False)
        form = {"reason": "页面权限测试"}
        return client.post(url, data=form, headers=headers, follow_redirects=False)

    return call


def new_record(org: str) -> dict[str, Any]:
    return {
        "org": org,
        "kinds": ["themed_party_day"],
        "date": "2026-11-20",
        "expected": "10",
        "attended": "9",
        "topic": "页面权限测试",
    }


EDITORS = frozenset({Role.ADMIN, Role.INSPECTOR, Role.SECRETARY})


def revoke_token(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
    _, token = AccountStore(store).create_token("viewer", "to revoke", now=NOW)
    return client.post(f"/admin/tokens/{token.id}/revoke", headers=headers, follow_redirects=False)


def disable_chat(client: TestClient, headers: dict[str, str], org: str, store: Store) -> Response:
    chat = AlertStore(store).add_chat(INSIDE, -1001, ChatRole.BRANCH, now=NOW)
    return client.post(
        f"/admin/chats/{chat.id}/disable",
        data={"reason": "测试"},
        headers=headers,
        follow_redirects=False,
    )


NEW_PASSWORD = {"current": PASSWORD, "new": "another password", "again": "another password"}
MEETINGS_CSV = (
    "组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员,录入日期\n"
    f"{INSIDE},支部委员会,2026-11-20,5,5,,支委会,,2026-11-21\n"
).encode()
ADMIN = frozenset({Role.ADMIN})
LEDGER = frozenset({Role.ADMIN, Role.INSPECTOR})
RECTIFIERS = frozenset({Role.ADMIN, Role.INSPECTOR, Role.SECRETARY})
REPORTERS = frozenset({Role.ADMIN, Role.INSPECTOR, Role.VIEWER})

# Not pages, or held by their own tests: /logout (auth tests), the API docs (test_http_app).
NOT_PAGES = {"/logout"}

TABLE: dict[tuple[str, str], Page] = {
    ("GET", "/"): Page(ALL, get("/"), scoped=False),
    ("GET", "/login"): Page(ALL, get("/login"), public=True, scoped=False),
    ("GET", "/org/{code}"): Page(ALL, get("/org/{org}")),
    ("GET", "/branch/{code}"): Page(ALL, get("/branch/{org}")),
    ("GET", "/dashboard/{code}"): Page(ALL, get("/dashboard/{org}")),
    ("GET", "/branch/{code}/records/new"): Page(EDITORS, get("/branch/{org}/records/new")),
    ("POST", "/branch/{code}/records/new"): Page(
        EDITORS, post("/branch/{org}/records/new", new_record)
    ),
    ("GET", "/records/{record_id}"): Page(ALL, on_record("/records/{id}")),
    ("GET", "/records/{record_id}/edit"): Page(EDITORS, on_record("/records/{id}/edit")),
    ("POST", "/records/{record_id}/edit"): Page(
        EDITORS, on_record("/records/{id}/edit", method="POST", form=True)
    ),
    ("GET", "/records/{record_id}/delete"): Page(EDITORS, on_record("/records/{id}/delete")),
    ("POST", "/records/{record_id}/delete"): Page(
        EDITORS, on_record("/records/{id}/delete", method="POST")
    ),
    ("GET", "/attachments/{attachment_id}"): Page(ALL, on_attachment("/attachments/{id}")),
    ("POST", "/attachments/{attachment_id}/delete"): Page(
        EDITORS, on_attachment("/attachments/{id}/delete", method="POST")
    ),
    ("GET", "/account/password"): Page(ALL, get("/account/password"), scoped=False),
    ("POST", "/account/password"): Page(
        ALL, post_fields("/account/password", NEW_PASSWORD), scoped=False
    ),
    ("GET", "/calendar"): Page(ALL, get("/calendar"), scoped=False),
    ("GET", "/calendar/{code}"): Page(ALL, get("/calendar/{org}")),
    ("POST", "/calendar/{code}/rotate"): Page(
        frozenset({Role.ADMIN, Role.SECRETARY}), post_fields("/calendar/{org}/rotate", {})
    ),
    ("GET", "/admin"): Page(ADMIN, get("/admin"), scoped=False),
    ("GET", "/admin/users"): Page(ADMIN, get("/admin/users"), scoped=False),
    ("POST", "/admin/users"): Page(
        ADMIN,
        post_fields(
            "/admin/users",
            {"username": "added", "role": "viewer", "org": INSIDE, "password": PASSWORD},
        ),
        scoped=False,
    ),
    ("POST", "/admin/users/{username}/disable"): Page(
        ADMIN, on_victim("disable", {}), scoped=False
    ),
    ("POST", "/admin/users/{username}/password"): Page(
        ADMIN, on_victim("password", {"password": "another password"}), scoped=False
    ),
    ("GET", "/admin/tokens"): Page(ADMIN, get("/admin/tokens"), scoped=False),
    ("POST", "/admin/tokens"): Page(
        ADMIN, post_fields("/admin/tokens", {"user": "viewer", "name": "sync"}), scoped=False
    ),
    ("POST", "/admin/tokens/{token_id}/revoke"): Page(ADMIN, revoke_token, scoped=False),
    ("GET", "/admin/chats"): Page(ADMIN, get("/admin/chats"), scoped=False),
    ("POST", "/admin/chats/{chat_id}/disable"): Page(ADMIN, disable_chat, scoped=False),
    ("GET", "/admin/imports"): Page(ADMIN, get("/admin/imports"), scoped=False),
    ("POST", "/admin/imports"): Page(
        ADMIN,
        post_fields(
            "/admin/imports",
            {"register": "meetings"},
            {"file": ("meetings.csv", MEETINGS_CSV, "text/csv")},
        ),
        scoped=False,
    ),
    ("GET", "/ledger"): Page(ALL, get("/ledger?org={org}")),
    ("GET", "/ledger/new"): Page(LEDGER, get("/ledger/new"), scoped=False),
    ("POST", "/ledger/new"): Page(
        LEDGER, post("/ledger/new", lambda o: {"org": o, "issue": "缺记录"})
    ),
    ("POST", "/ledger/review"): Page(LEDGER, post("/ledger/review", lambda org: {"org": org})),
    ("GET", "/ledger/{id}"): Page(ALL, on_item("", method="GET")),
    ("POST", "/ledger/{id}/rectify"): Page(RECTIFIERS, on_item("/rectify", note="已补开")),
    ("POST", "/ledger/{id}/clear"): Page(LEDGER, on_item("/clear", rectified=True)),
    ("POST", "/ledger/{id}/return"): Page(LEDGER, on_item("/return", rectified=True, note="缺")),
    ("GET", "/summary"): Page(REPORTERS, get("/summary"), scoped=False),
    ("GET", "/summary/{code}/{month}"): Page(REPORTERS, get("/summary/{org}/2026-10")),
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
