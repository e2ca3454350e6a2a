"""The HTTP API: signing in (cookie and Bearer token), the scope of each role, problem+json
errors, and the findings route matching `orglife check --format json`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from monitor.accounts.model import Role
from monitor.accounts.store import MAX_FAILURES_PER_USER, AccountStore
from monitor.cli import main
from monitor.core.rules import RulePack
from monitor.holidays import work_calendar
from monitor.http.api import api_app
from monitor.http.deps import AppState
from monitor.store import Store

NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)
PASSWORD = "correct horse 党建"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def build_app(store: Store, pack: RulePack, clock: Clock) -> FastAPI:
    """The API as `orglife serve` mounts it, around ``store``."""
    return api_app(AppState(store, pack, work_calendar(warn=lambda *a: None), clock=clock))


JSON = {"Accept": "application/json"}  # a program signing in: 204, not the form's redirect


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(demo_store: Store, national: RulePack, clock: Clock) -> Iterator[TestClient]:
    accounts = AccountStore(demo_store)
    accounts.add_user("admin", PASSWORD, Role.ADMIN, None, now=NOW)
    accounts.add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    accounts.add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    accounts.add_user("other", PASSWORD, Role.SECRETARY, "JD01-01", now=NOW)
    accounts.add_user("view", PASSWORD, Role.VIEWER, "JD01-06", now=NOW)
    with TestClient(build_app(demo_store, national, clock), client=("10.1.1.1", 5000)) as c:
        yield c


def token(store: Store, username: str) -> dict[str, str]:
    value, _ = AccountStore(store).create_token(username, "test", now=NOW)
    return {"Authorization": f"Bearer {value}"}


def test_without_credentials_every_api_route_is_401_problem_json(client: TestClient) -> None:
    reply = client.get("/api/v1/orgs/JD01")
    assert reply.status_code == 401
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["www-authenticate"].startswith("Bearer")
    body = reply.json()
    assert body["status"] == 401
    assert "需要登录" in body["detail"]
    bad = client.get("/api/v1/orgs/JD01", headers={"Authorization": "Bearer olt_forged"})
    assert bad.status_code == 401
    assert "令牌无效" in bad.json()["detail"]


def test_outside_the_scope_is_the_same_404_as_what_does_not_exist(
    client: TestClient, demo_store: Store
) -> None:
    sec = token(demo_store, "sec")
    own = client.get("/api/v1/orgs/JD01-06-01", headers=sec)
    assert own.status_code == 200
    assert own.json()["code"] == "JD01-06-01"
    assert {"code", "name", "type", "parent"} <= set(own.json())
    other = client.get("/api/v1/orgs/JD01-01", headers=sec)
    missing = client.get("/api/v1/orgs/NO-SUCH-ORG", headers=sec)
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert other.headers["content-type"] == "application/problem+json"
    street = token(demo_store, "street")
    assert client.get("/api/v1/orgs/JD01-01", headers=street).status_code == 200
    assert (
        client.get("/api/v1/orgs/JD01-06-01", headers=token(demo_store, "view")).status_code == 200
    )
    assert client.get("/api/v1/orgs/JD01-01", headers=token(demo_store, "view")).status_code == 404


def test_findings_match_the_cli_json_within_the_scope(
    client: TestClient, demo_store: Store, db_url: str
) -> None:
    cli = CliRunner().invoke(
        main,
        [
            "--db",
            db_url,
            "check",
            "--as-of",
            "2026-11-20",
            "--org",
            "JD01-06-01",
            "--format",
            "json",
        ],
    )
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.stdout)
    sec = token(demo_store, "sec")
    mine = client.get("/api/v1/findings", params={"as_of": "2026-11-20"}, headers=sec)
    assert mine.status_code == 200, mine.text
    assert mine.json() == expected
    narrowed = client.get(
        "/api/v1/findings", params={"as_of": "2026-11-20", "org": "JD01-06-01"}, headers=sec
    )
    assert narrowed.json() == expected
    elsewhere = client.get(
        "/api/v1/findings", params={"as_of": "2026-11-20", "org": "JD01-01"}, headers=sec
    )
    assert elsewhere.status_code == 404
    admin = client.get(
        "/api/v1/findings", params={"as_of": "2026-11-20"}, headers=token(demo_store, "admin")
    )
    assert {f["org"] for f in admin.json()} > {f["org"] for f in expected}


def test_bad_input_is_422_problem_json_naming_the_field(
    client: TestClient, demo_store: Store
) -> None:
    sec = token(demo_store, "sec")
    reply = client.get("/api/v1/findings", params={"as_of": "2026-13-40"}, headers=sec)
    assert reply.status_code == 422
    body: dict[str, Any] = reply.json()
    assert reply.headers["content-type"] == "application/problem+json"
    assert body["errors"][0]["field"] == "as_of"
    assert "as_of" in body["detail"]
    assert "日期" in body["detail"]
    later = client.get(
        "/api/v1/findings", params={"as_of": "2026-11-01", "since": "2026-12-01"}, headers=sec
    )
    assert later.status_code == 422
    assert later.json()["errors"] == [{"field": "since", "message": "不能晚于 as_of"}]


def test_a_session_cookie_signs_in_and_changes_need_its_csrf_token(
    client: TestClient, clock: Clock
) -> None:
    wrong = client.post("/login", data={"username": "sec", "password": "nope"}, headers=JSON)
    assert wrong.status_code == 401
    signed = client.post("/login", data={"username": "sec", "password": PASSWORD}, headers=JSON)
    assert signed.status_code == 204, signed.text
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert PASSWORD not in cookie
    assert client.get("/api/v1/orgs/JD01-06-01").status_code == 200  # the cookie jar
    assert client.post("/logout", headers=JSON).status_code == 403  # no CSRF token
    csrf = signed.headers["x-csrf-token"]
    assert client.post("/logout", headers={"X-CSRF-Token": csrf, **JSON}).status_code == 204
    assert client.get("/api/v1/orgs/JD01-06-01").status_code == 401


def test_brute_force_sign_in_is_throttled(client: TestClient, clock: Clock) -> None:
    for _ in range(MAX_FAILURES_PER_USER):
        wrong = client.post("/login", data={"username": "sec", "password": "x"}, headers=JSON)
        assert wrong.status_code == 401
    throttled = client.post("/login", data={"username": "sec", "password": PASSWORD}, headers=JSON)
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "分钟后再试" in throttled.json()["detail"]
    clock.now += dt.timedelta(minutes=16)
    again = client.post("/login", data={"username": "sec", "password": PASSWORD}, headers=JSON)
    assert again.status_code == 204


def test_a_window_longer_than_ten_years_is_refused_not_a_server_error(
    client: TestClient, demo_store: Store, db_url: str
) -> None:
    # Found by schemathesis: a window of two centuries made a query of 2,000 columns (HTTP 500).
    admin = token(demo_store, "admin")
    params = {"as_of": "2193-01-01", "since": "2000-01-01"}
    reply = client.get("/api/v1/findings", params=params, headers=admin)
    assert reply.status_code == 422
    assert "最多10年" in reply.json()["detail"]
    cli = CliRunner().invoke(
        main, ["--db", db_url, "check", "--as-of", "2193-01-01", "--since", "2000-01-01"]
    )
    assert cli.exit_code == 1
    assert "最多10年" in cli.output
