"""The web pages (issue 13, first slice): the login form, the redirects around it, an org's
page with the Chinese statuses, the scope (404 outside it), the security headers and logging
out; and the API's own POST /login still answering programs with 204."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from monitor.accounts.model import Role
from monitor.accounts.store import MAX_FAILURES_PER_USER, AccountStore
from monitor.core.rules import RulePack
from monitor.holidays import work_calendar
from monitor.http.api import api_app
from monitor.http.auth import SESSION_COOKIE
from monitor.http.deps import AppState
from monitor.store import Store

# Pages over store calls the store, API and authorization tests run on both backends.
pytestmark = pytest.mark.sqlite_only

NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)
PASSWORD = "correct horse 党建"
HTML = {"Accept": "text/html,application/xhtml+xml"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'"
)


@pytest.fixture
def client(demo_store: Store, national: RulePack) -> Iterator[TestClient]:
    accounts = AccountStore(demo_store)
    accounts.add_user("admin", PASSWORD, Role.ADMIN, None, now=NOW)
    accounts.add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    accounts.add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    accounts.add_user("view", PASSWORD, Role.VIEWER, "JD01-06", now=NOW)
    state = AppState(demo_store, national, work_calendar(warn=lambda *a: None), clock=lambda: NOW)
    with TestClient(api_app(state), client=("10.1.1.2", 5000), follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, username: str) -> str:
    """Sign in through the form; the CSRF token of the session."""
    reply = client.post(
        "/login", data={"username": username, "password": PASSWORD, "next": ""}, headers=HTML
    )
    assert reply.status_code == 303, reply.text
    return reply.headers["x-csrf-token"]


def assert_secured(reply: object) -> None:
    headers = reply.headers  # type: ignore[attr-defined]
    assert headers["content-security-policy"] == CSP
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-content-type-options"] == "nosniff"


def test_the_root_redirects_to_the_login_page_when_not_signed_in(client: TestClient) -> None:
    reply = client.get("/", headers=HTML)
    assert reply.status_code in (303, 307)
    assert reply.headers["location"] == "/login"
    page = client.get("/org/JD01-06-01", headers=HTML)
    assert page.status_code in (303, 307)
    assert page.headers["location"] == "/login?next=/org/JD01-06-01"


def test_the_login_page_is_a_form_with_the_fields(client: TestClient) -> None:
    reply = client.get("/login")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert_secured(reply)
    body = reply.text
    assert re.search(r'<form method="post" action="/login">', body)
    assert 'name="username"' in body
    assert 'name="password"' in body
    assert 'type="password"' in body
    assert '<meta name="viewport"' in body
    assert 'href="/static/orglife.css"' in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # scripts only from /static (CSP)
    assert "style=" not in body


def test_the_stylesheet_is_served_from_the_package_with_a_cjk_font_stack(
    client: TestClient,
) -> None:
    css = client.get("/static/orglife.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    for font in ("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei"):
        assert f'"{font}"' in css.text
    assert "@media (max-width: 640px)" in css.text


def test_the_login_form_signs_in_and_redirects_to_the_home(client: TestClient) -> None:
    reply = client.post(
        "/login", data={"username": "sec", "password": PASSWORD, "next": ""}, headers=HTML
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/branch/JD01-06-01"
    assert SESSION_COOKIE in reply.cookies
    assert "httponly" in reply.headers["set-cookie"].lower()
    assert_secured(reply)
    again = client.get("/", headers=HTML)
    assert again.status_code in (303, 307)
    assert again.headers["location"] == "/branch/JD01-06-01"


def test_a_form_field_next_alone_marks_the_browser_and_a_local_next_is_followed(
    client: TestClient,
) -> None:
    reply = client.post(
        "/login", data={"username": "street", "password": PASSWORD, "next": "/org/JD01-06"}
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/org/JD01-06"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_a_foreign_next_is_ignored(client: TestClient, target: str) -> None:
    reply = client.post("/login", data={"username": "street", "password": PASSWORD, "next": target})
    assert reply.status_code == 303
    assert reply.headers["location"] == "/dashboard/JD01"


def test_the_homes_of_each_role(client: TestClient) -> None:
    for username, home in [
        ("admin", "/dashboard/JD01"),
        ("street", "/dashboard/JD01"),
        ("view", "/dashboard/JD01-06"),
    ]:
        reply = client.post(
            "/login", data={"username": username, "password": PASSWORD}, headers=HTML
        )
        assert reply.status_code == 303
        assert reply.headers["location"] == home


def test_a_wrong_password_shows_the_form_again_with_a_chinese_error(client: TestClient) -> None:
    reply = client.post(
        "/login", data={"username": "sec", "password": "nope", "next": ""}, headers=HTML
    )
    assert reply.status_code == 401
    assert reply.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in reply.text
    assert "用户名或密码" in reply.text
    assert 'value="sec"' in reply.text
    assert SESSION_COOKIE not in reply.cookies
    assert_secured(reply)


def test_too_many_failures_show_the_form_with_429(client: TestClient) -> None:
    for _ in range(MAX_FAILURES_PER_USER):
        client.post("/login", data={"username": "sec", "password": "x"}, headers=HTML)
    reply = client.post("/login", data={"username": "sec", "password": PASSWORD}, headers=HTML)
    assert reply.status_code == 429
    assert reply.headers["content-type"].startswith("text/html")
    assert int(reply.headers["retry-after"]) > 0
    assert 'role="alert"' in reply.text


def test_a_plain_form_post_is_redirected_home(client: TestClient) -> None:
    """No Accept header (curl, requests, httpx): a form's post, answered as the contract says."""
    reply = client.post("/login", data={"username": "sec", "password": PASSWORD})
    assert reply.status_code == 303
    assert reply.headers["location"] == "/branch/JD01-06-01"
    assert SESSION_COOKIE in reply.cookies


def test_a_program_asking_for_json_gets_204_from_post_login(client: TestClient) -> None:
    json = {"Accept": "application/json"}
    reply = client.post("/login", data={"username": "sec", "password": PASSWORD}, headers=json)
    assert reply.status_code == 204
    assert SESSION_COOKIE in reply.cookies
    wrong = client.post("/login", data={"username": "sec", "password": "nope"}, headers=json)
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"


def test_the_secretarys_home_names_the_branch_and_shows_chinese_statuses(
    client: TestClient, demo_store: Store
) -> None:
    sign_in(client, "sec")
    assert client.get("/org/JD01-06-01", headers=HTML).headers["location"] == "/branch/JD01-06-01"
    reply = client.get("/branch/JD01-06-01", headers=HTML)
    assert reply.status_code == 200
    assert_secured(reply)
    body = reply.text
    name = demo_store.org("JD01-06-01").name
    assert f"<h1>{name}</h1>" in body
    assert "未按期开展" in body  # the weak branch missed its 主题党日 in February
    assert "已落实" in body
    for label in ("已落实", "未按期开展", "进行中", "免于考核"):
        assert label in body  # the counts name every status
    assert 'name="csrf"' in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # no inline script
    assert "2027年3月31日" in body  # a deadline in the next year says so (民主评议 carries over)


def test_an_inspectors_home_lists_every_branch_with_links_to_drill_down(
    client: TestClient, demo_store: Store
) -> None:
    sign_in(client, "street")
    assert client.get("/org/JD01", headers=HTML).headers["location"] == "/dashboard/JD01"
    reply = client.get("/dashboard/JD01", headers=HTML)
    assert reply.status_code == 200
    body = reply.text
    assert demo_store.org("JD01").name in body
    branches = [o for o in demo_store.orgs() if o.type.value == "branch"]
    assert len(branches) > 3
    for branch in branches:
        assert branch.name in body
    assert 'href="/dashboard/JD01-06"' in body
    assert 'href="/branch/JD01-06-01"' in body
    drill = client.get("/dashboard/JD01-06", headers=HTML)
    assert drill.status_code == 200
    assert demo_store.org("JD01-06").name in drill.text
    assert demo_store.org("JD01-01").name not in drill.text


def test_another_branchs_page_is_the_same_404_as_a_missing_one(client: TestClient) -> None:
    sign_in(client, "sec")
    other = client.get("/org/JD01-01", headers=HTML)
    above = client.get("/org/JD01", headers=HTML)
    missing = client.get("/org/NO-SUCH-ORG", headers=HTML)
    assert other.status_code == above.status_code == missing.status_code == 404
    assert other.text == missing.text
    assert other.headers["content-type"].startswith("text/html")
    assert_secured(other)
    sign_in(client, "admin")
    assert client.get("/org/NO-SUCH-ORG", headers=HTML).status_code == 404


def test_logout_needs_the_csrf_field_and_returns_to_the_login_page(client: TestClient) -> None:
    csrf = sign_in(client, "sec")
    refused = client.post("/logout", data={}, headers=HTML)
    assert refused.status_code == 403
    home = client.get("/branch/JD01-06-01", headers=HTML)
    assert f'name="csrf" value="{csrf}"' in home.text
    out = client.post("/logout", data={"csrf": csrf}, headers=HTML)
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert client.get("/org/JD01-06-01", headers=HTML).status_code == 303


def test_the_pages_stay_out_of_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/" not in paths
    assert not any(p.startswith(("/org/", "/static")) for p in paths)
    assert "get" not in paths["/login"]
