"""The HTTP API's ledger, exemptions, reports, chats, users and tokens: each route inside the
caller's scope (404 outside it, the same as for what does not exist), 403 for a role without
the action, 422 problem+json naming the field, the CLI's JSON, and the acting user in the
audit trail."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.alerts.plan import AlertPlan, ChatRole, Notice, NoticeKind
from monitor.alerts.store import AlertStore
from monitor.check import run_check, update_ledger
from monitor.cli import main
from monitor.core.rules import RulePack
from monitor.ledger.store import LedgerStore
from monitor.store import Store
from monitor.store.audit import events
from tests.test_api import JSON, NOW, PASSWORD, Clock, build_app

TODAY = dt.date(2026, 11, 24)  # NOW in Beijing
PROBLEM = "application/problem+json"


@pytest.fixture
def api(demo_store: Store, national: RulePack) -> Iterator[TestClient]:
    """The API with one account of each role: ``insp`` and ``view`` over 社会组织党总支
    (JD01-06), ``sec`` of its branch JD01-06-01, ``other`` of JD01-01, ``street`` an inspector
    of JD01-01; and the ledger of the demo's misses (opened on 1 October, overdue since)."""
    accounts = AccountStore(demo_store)
    accounts.add_user("admin", PASSWORD, Role.ADMIN, None, now=NOW)
    accounts.add_user("insp", PASSWORD, Role.INSPECTOR, "JD01-06", now=NOW)
    accounts.add_user("street", PASSWORD, Role.INSPECTOR, "JD01-01", now=NOW)
    accounts.add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    accounts.add_user("other", PASSWORD, Role.SECRETARY, "JD01-01", now=NOW)
    accounts.add_user("view", PASSWORD, Role.VIEWER, "JD01-06", now=NOW)
    check = run_check(demo_store, national, as_of=dt.date(2026, 9, 30), with_records=False)
    update_ledger(demo_store, national, check, today=dt.date(2026, 10, 1), now=NOW)
    with TestClient(build_app(demo_store, national, Clock()), client=("10.1.1.2", 5000)) as c:
        yield c


_tokens: dict[tuple[int, str], dict[str, str]] = {}


def auth(store: Store, username: str) -> dict[str, str]:
    """A Bearer header for ``username`` (one token per store and user)."""
    key = (id(store), username)
    if key not in _tokens:
        value, _ = AccountStore(store).create_token(username, "test", now=NOW)
        _tokens[key] = {"Authorization": f"Bearer {value}"}
    return _tokens[key]


def cli_json(db_url: str, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_problem(reply: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == PROBLEM
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    assert body["detail"]
    if field is not None:
        assert [e["field"] for e in body["errors"]] == [field], body
        assert field in body["detail"]
    return body


def assert_same_404(first: Any, second: Any) -> None:
    assert_problem(first, 404)
    assert_problem(second, 404)
    assert first.json() == second.json()


def trail(store: Store, entity: str, entity_id: str | int) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return [(e.action, e.actor) for e in events(conn, entity, entity_id)]


def inspection(store: Store, org: str, issue: str = "会议记录不规范") -> int:
    item = LedgerStore(store).add(org, issue, by="test", today=TODAY, now=NOW)
    return item.id


# --- the ledger -----------------------------------------------------------------------------


def test_the_ledger_lists_the_cli_json_with_colours_inside_the_scope(
    api: TestClient, demo_store: Store, db_url: str
) -> None:
    inspection(demo_store, "JD01-06-01")
    inspection(demo_store, "JD01-01")
    expected = cli_json(
        db_url, "ledger", "list", "--org", "JD01-06", "--format", "json", "--as-of", "2026-11-24"
    )
    assert expected
    assert {i["warning"] for i in expected} == {"red", "yellow"}
    insp = api.get("/api/v1/ledger", params={"org": "JD01-06"}, headers=auth(demo_store, "insp"))
    assert insp.status_code == 200, insp.text
    assert insp.json() == expected
    whole = api.get("/api/v1/ledger", headers=auth(demo_store, "view"))  # the whole scope
    assert whole.json() == expected
    sec = api.get("/api/v1/ledger", headers=auth(demo_store, "sec")).json()
    assert sec
    assert {i["org"] for i in sec} <= {"JD01-06-01", "JD01-06-01-G1", "JD01-06-01-G2"}
    overdue = api.get(
        "/api/v1/ledger", params={"status": "overdue"}, headers=auth(demo_store, "view")
    ).json()
    assert overdue == [i for i in expected if i["status"] == "overdue"]
    admin = api.get("/api/v1/ledger", headers=auth(demo_store, "admin")).json()
    assert {i["org"] for i in admin} > {i["org"] for i in expected} | {"JD01-01"}
    assert_same_404(
        api.get("/api/v1/ledger", params={"org": "JD01-01"}, headers=auth(demo_store, "insp")),
        api.get("/api/v1/ledger", params={"org": "NO-SUCH"}, headers=auth(demo_store, "insp")),
    )
    assert_same_404(
        api.get("/api/v1/ledger", params={"org": "NO-SUCH"}, headers=auth(demo_store, "admin")),
        api.get("/api/v1/ledger", params={"org": "JD01-01"}, headers=auth(demo_store, "sec")),
    )
    bad = api.get("/api/v1/ledger", params={"status": "closed"}, headers=auth(demo_store, "view"))
    assert_problem(bad, 422, "status")


def test_one_item_and_its_history_only_inside_the_scope(api: TestClient, demo_store: Store) -> None:
    mine = inspection(demo_store, "JD01-06-01-G1")  # a party group of the secretary's branch
    theirs = inspection(demo_store, "JD01-01")
    sec = auth(demo_store, "sec")
    item = api.get(f"/api/v1/ledger/{mine}", headers=sec)
    assert item.status_code == 200, item.text
    assert item.json()["org"] == "JD01-06-01-G1"
    assert item.json()["warning"] == "yellow"
    assert item.json()["deadline"] == "2026-12-24"
    history = api.get(f"/api/v1/ledger/{mine}/history", headers=sec)
    assert [(e["action"], e["actor"], e["to_status"]) for e in history.json()] == [
        ("opened", "test", "open")
    ]
    assert history.json()[0]["action_zh"] == "登记"
    for path in ("", "/history"):
        assert_same_404(
            api.get(f"/api/v1/ledger/{theirs}{path}", headers=sec),
            api.get(f"/api/v1/ledger/999999{path}", headers=sec),
        )
    assert_problem(api.get("/api/v1/ledger/abc", headers=sec), 422, "id")
    assert_problem(api.get("/api/v1/ledger/99999999999999999999", headers=sec), 422, "id")


def test_adding_an_item_needs_the_ledger_role_and_the_scope(
    api: TestClient, demo_store: Store
) -> None:
    body = {"org": "JD01-06-02", "issue": "会议记录不规范", "rule": "themed_party_day"}
    for role in ("sec", "view"):
        assert_problem(api.post("/api/v1/ledger", json=body, headers=auth(demo_store, role)), 403)
    insp = auth(demo_store, "insp")
    assert_same_404(
        api.post("/api/v1/ledger", json={**body, "org": "JD01-01"}, headers=insp),
        api.post("/api/v1/ledger", json={**body, "org": "NO-SUCH"}, headers=insp),
    )
    assert_same_404(
        api.post(
            "/api/v1/ledger", json={**body, "org": "NO-SUCH"}, headers=auth(demo_store, "admin")
        ),
        api.post("/api/v1/ledger", json={**body, "org": "JD01-01"}, headers=insp),
    )
    added = api.post("/api/v1/ledger", json={**body, "period": "2026-11"}, headers=insp)
    assert added.status_code == 201, added.text
    item = added.json()
    assert (item["org"], item["source"], item["status"], item["period"]) == (
        "JD01-06-02",
        "inspection",
        "open",
        "2026-11",
    )
    assert item["opened"] == "2026-11-24"
    assert item["warning"] == "yellow"
    assert trail_of(demo_store, item["id"]) == [("opened", "user:insp")]


def test_adding_an_item_refuses_bad_input_naming_the_field(
    api: TestClient, demo_store: Store
) -> None:
    insp = auth(demo_store, "insp")
    body = {"org": "JD01-06-01", "issue": "会议记录不规范"}
    cases = [
        ({"issue": "   "}, "issue", "问题描述为空"),
        ({"deadline": "2026-13-01"}, "deadline", "日期"),
        ({"deadline": "2026-11-01"}, "deadline", "早于今天"),
        ({"rule": "no_such_rule"}, "rule", "现行规则中没有"),
        ({"period": "2026-Q5"}, "period", None),
        ({"period": "9999-12"}, "period", "超出范围"),
        ({"found": "2026-11-25"}, "found", "晚于今天"),
        ({"member": "M0001"}, "member", "党员台账中没有编号"),  # of JD01-01: outside the scope
        ({"member": "NOBODY"}, "member", "党员台账中没有编号"),
        ({"colour": "red"}, "colour", "不认识的字段"),
        ({"issue": "x\x00y"}, "issue", None),
    ]
    for change, field, words in cases:
        reply = api.post("/api/v1/ledger", json={**body, **change}, headers=insp)
        problem = assert_problem(reply, 422, field)
        if words is not None:
            assert words in problem["detail"], problem
    outside = api.post("/api/v1/ledger", json={**body, "member": "M0001"}, headers=insp)
    assert "JD01-01" not in outside.text  # nothing about orgs outside the scope
    assert_problem(
        api.post("/api/v1/ledger", json={"org": "JD01-06-01"}, headers=insp), 422, "issue"
    )


def trail_of(store: Store, item_id: int) -> list[tuple[str, str]]:
    return [(e.action, e.actor) for e in LedgerStore(store).events(item_id)]


def test_rectify_and_clear_by_role_inside_the_scope_with_the_trail(
    api: TestClient, demo_store: Store
) -> None:
    mine = inspection(demo_store, "JD01-06-01")
    theirs = inspection(demo_store, "JD01-01")
    sec, insp = auth(demo_store, "sec"), auth(demo_store, "insp")
    note = {"note": "已于11月25日补开支部党员大会"}
    assert_problem(
        api.post(f"/api/v1/ledger/{mine}/rectify", json=note, headers=auth(demo_store, "view")), 403
    )
    assert_same_404(
        api.post(f"/api/v1/ledger/{mine}/rectify", json=note, headers=auth(demo_store, "other")),
        api.post("/api/v1/ledger/999999/rectify", json=note, headers=auth(demo_store, "other")),
    )
    assert_same_404(
        api.post(f"/api/v1/ledger/{theirs}/rectify", json=note, headers=sec),
        api.post("/api/v1/ledger/999999/rectify", json=note, headers=sec),
    )
    assert_problem(
        api.post(f"/api/v1/ledger/{mine}/rectify", json={"note": " "}, headers=sec), 422, "note"
    )
    assert_problem(api.post(f"/api/v1/ledger/{mine}/rectify", json={}, headers=sec), 422, "note")
    assert_problem(
        api.post(f"/api/v1/ledger/{mine}/clear", json={}, headers=insp), 409
    )  # not rectified
    alerts = AlertStore(demo_store)
    chat = alerts.add_chat("JD01-06-01", -100, ChatRole.BRANCH, now=NOW)
    keys = [f"repeat:{mine}:0:1", f"red:{mine}:0", f"repeat:{theirs}:0:1"]
    notices = [Notice(k, chat.id, NoticeKind.REPEAT, None, k) for k in keys]
    alerts.record(AlertPlan(notices=notices), now=NOW)
    done = api.post(f"/api/v1/ledger/{mine}/rectify", json=note, headers=sec)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "rectifying"
    assert done.json()["rectification"] == note["note"]
    outbox = {r["key"]: (r["state"], r["last_error"]) for r in alerts.outbox()}
    assert outbox == {  # its pending repeats stop, as after `orglife ledger rectify`
        keys[0]: ("dropped", "已登记整改"),
        keys[1]: ("dropped", "已登记整改"),
        keys[2]: ("pending", None),
    }
    assert_problem(api.post(f"/api/v1/ledger/{mine}/clear", json={}, headers=sec), 403)
    assert_same_404(
        api.post(f"/api/v1/ledger/{mine}/clear", headers=auth(demo_store, "street")),
        api.post("/api/v1/ledger/999999/clear", headers=auth(demo_store, "street")),
    )
    cleared = api.post(f"/api/v1/ledger/{mine}/clear", json={"note": "已核实"}, headers=insp)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["status"] == "cleared"
    assert cleared.json()["cleared"] == "2026-11-24"
    assert cleared.json()["warning"] is None
    again = assert_problem(api.post(f"/api/v1/ledger/{mine}/clear", headers=insp), 409)
    assert "无需重复销号" in again["detail"]
    assert_problem(api.post(f"/api/v1/ledger/{mine}/rectify", json=note, headers=sec), 409)
    assert trail_of(demo_store, mine) == [
        ("opened", "test"),
        ("rectified", "user:sec"),
        ("cleared", "user:insp"),
    ]
    history = api.get(f"/api/v1/ledger/{mine}/history", headers=auth(demo_store, "view")).json()
    assert [e["actor"] for e in history] == ["test", "user:sec", "user:insp"]
    assert history[-1]["note"] == "已核实"


# --- exemptions -----------------------------------------------------------------------------


def test_exemptions_are_granted_listed_and_revoked_inside_the_scope(
    api: TestClient, demo_store: Store, db_url: str
) -> None:
    insp = auth(demo_store, "insp")
    body = {
        "org": "JD01-06-01",
        "rule": "themed_party_day",
        "period": "2026-10",
        "reason": "园区整体搬迁，经街道党工委批准",
    }
    for role in ("sec", "view"):
        assert_problem(
            api.post("/api/v1/exemptions", json=body, headers=auth(demo_store, role)), 403
        )
    assert_same_404(
        api.post("/api/v1/exemptions", json={**body, "org": "JD01-01"}, headers=insp),
        api.post("/api/v1/exemptions", json={**body, "org": "NO-SUCH"}, headers=insp),
    )
    granted = api.post("/api/v1/exemptions", json=body, headers=insp)
    assert granted.status_code == 201, granted.text
    exemption = granted.json()
    assert (exemption["org"], exemption["by"], exemption["active"]) == (
        "JD01-06-01",
        "user:insp",
        True,
    )
    assert trail(demo_store, "exemption", exemption["id"]) == [("created", "user:insp")]
    assert_problem(api.post("/api/v1/exemptions", json=body, headers=insp), 409)
    expected = cli_json(db_url, "exemptions", "list", "--org", "JD01-06", "--format", "json")
    listed = api.get("/api/v1/exemptions", headers=auth(demo_store, "view"))
    assert listed.status_code == 200, listed.text
    assert listed.json() == expected == [exemption]
    assert api.get("/api/v1/exemptions", headers=auth(demo_store, "other")).json() == []
    assert_same_404(
        api.get("/api/v1/exemptions", params={"org": "JD01-01"}, headers=auth(demo_store, "view")),
        api.get("/api/v1/exemptions", params={"org": "NO-SUCH"}, headers=auth(demo_store, "view")),
    )
    reason = {"reason": "搬迁未获批准"}
    path = f"/api/v1/exemptions/{exemption['id']}/revoke"
    assert_problem(api.post(path, json=reason, headers=auth(demo_store, "view")), 403)
    assert_same_404(
        api.post(path, json=reason, headers=auth(demo_store, "street")),
        api.post(
            "/api/v1/exemptions/999999/revoke", json=reason, headers=auth(demo_store, "street")
        ),
    )
    assert_problem(api.post(path, json={"reason": "  "}, headers=insp), 422, "reason")
    revoked = api.post(path, json=reason, headers=insp)
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["active"], revoked.json()["revoked_by"]) == (False, "user:insp")
    assert_problem(api.post(path, json=reason, headers=insp), 409)
    assert trail(demo_store, "exemption", exemption["id"]) == [
        ("created", "user:insp"),
        ("revoked", "user:insp"),
    ]


def test_granting_an_exemption_refuses_bad_input_naming_the_field(
    api: TestClient, demo_store: Store
) -> None:
    insp = auth(demo_store, "insp")
    body = {"org": "JD01-06-01", "rule": "themed_party_day", "period": "2026-10", "reason": "因故"}
    cases = [
        ({"rule": "no_such_rule"}, "rule"),
        ({"period": "2026-Q4"}, "period"),  # a monthly rule
        ({"period": "someday"}, "period"),
        ({"reason": " "}, "reason"),
        ({"reason": "x" * 2001}, "reason"),
        ({"rule": "dual_org_life", "period": "2026-Q3"}, "member"),
        ({"org": "JD01-06-01-G1"}, "org"),  # a party group has no 主题党日 rule
        ({"org": "JD01-06-01", "by": "someone"}, "by"),
    ]
    for change, field in cases:
        assert_problem(
            api.post("/api/v1/exemptions", json={**body, **change}, headers=insp), 422, field
        )


# --- reports --------------------------------------------------------------------------------


def test_the_report_json_is_the_clis_for_roles_with_reports(
    api: TestClient, demo_store: Store, db_url: str
) -> None:
    expected = cli_json(
        db_url, "report", "--month", "2026-10", "--org", "JD01-06", "--as-of", "2026-11-20",
        "--format", "json",
    )  # fmt: skip
    params = {"org": "JD01-06", "as_of": "2026-11-20"}
    for role in ("insp", "view", "admin"):
        reply = api.get("/api/v1/reports/2026-10", params=params, headers=auth(demo_store, role))
        assert reply.status_code == 200, reply.text
        assert reply.json() == expected
    own = api.get(
        "/api/v1/reports/2026-10", params={"as_of": "2026-11-20"}, headers=auth(demo_store, "view")
    )
    assert own.json() == expected  # without org: the viewer's own
    root = api.get("/api/v1/reports/2026-10", headers=auth(demo_store, "admin"))
    assert root.json()["org"] == "JD01"  # the register's root, as the CLI does
    assert root.json()["as_of"] == "2026-11-24"  # today
    assert_problem(api.get("/api/v1/reports/2026-10", headers=auth(demo_store, "sec")), 403)
    view = auth(demo_store, "view")
    assert_same_404(
        api.get("/api/v1/reports/2026-10", params={"org": "JD01-01"}, headers=view),
        api.get("/api/v1/reports/2026-10", params={"org": "NO-SUCH"}, headers=view),
    )
    assert_problem(api.get("/api/v1/reports/2026-13", headers=view), 422, "month")
    assert_problem(api.get("/api/v1/reports/last-month", headers=view), 422, "month")
    assert_problem(api.get("/api/v1/reports/9999-12", headers=view), 422, "month")
    far = api.get("/api/v1/reports/2026-10", params={"as_of": "9999-12-31"}, headers=view)
    assert_problem(far, 422, "as_of")
    early = api.get("/api/v1/reports/2026-10", params={"as_of": "2026-09-30"}, headers=view)
    assert "早于" in assert_problem(early, 422, "as_of")["detail"]
    assert_problem(
        api.get("/api/v1/reports/2026-10", params={"format": "pdf"}, headers=view), 422, "format"
    )


def test_the_report_as_a_page_a_workbook_and_a_document(api: TestClient, demo_store: Store) -> None:
    view = auth(demo_store, "view")
    page = api.get("/api/v1/reports/2026-10", params={"format": "html"}, headers=view)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "2026年10月" in page.text
    assert "format=xlsx" in page.text  # links to the downloads of the same report
    for fmt, kind in (("xlsx", "spreadsheetml"), ("docx", "wordprocessingml")):
        reply = api.get("/api/v1/reports/2026-10", params={"format": fmt}, headers=view)
        assert reply.status_code == 200
        assert kind in reply.headers["content-type"]
        assert reply.content[:2] == b"PK"
        assert reply.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
        assert "JD01-06-2026-10-" in reply.headers["content-disposition"]


# --- chats ----------------------------------------------------------------------------------

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0b1c2d3e-secret-key"
SIGNING = "SEC0123456789abcdef"


def test_chats_are_admin_only_listed_as_the_cli_does_without_secrets(
    api: TestClient, demo_store: Store, db_url: str
) -> None:
    admin = auth(demo_store, "admin")
    for role in ("insp", "sec", "view"):
        assert_problem(api.get("/api/v1/chats", headers=auth(demo_store, role)), 403)
        assert_problem(
            api.post(
                "/api/v1/chats",
                json={"org": "JD01-06-01", "role": "branch", "chat_id": -1001},
                headers=auth(demo_store, role),
            ),
            403,
        )
    assert api.get("/api/v1/chats", headers=admin).json() == []
    telegram = api.post(
        "/api/v1/chats",
        json={"org": "JD01-06-01", "role": "branch", "chat_id": -1001234},
        headers=admin,
    )
    assert telegram.status_code == 201, telegram.text
    assert (telegram.json()["channel"], telegram.json()["chat_id"]) == ("telegram", -1001234)
    robot = api.post(
        "/api/v1/chats",
        json={
            "org": "JD01-06",
            "role": "inspector",
            "channel": "wecom",
            "webhook": WEBHOOK,
            "secret": SIGNING,
        },
        headers=admin,
    )
    assert robot.status_code == 201, robot.text
    assert robot.json()["webhook"] == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"
    assert robot.json()["signed"] is True
    listed = api.get("/api/v1/chats", headers=admin)
    assert listed.json() == cli_json(db_url, "chats", "list", "--format", "json")
    for reply in (robot, listed):
        assert "secret-key" not in reply.text
        assert SIGNING not in reply.text
    assert trail(demo_store, "chat", robot.json()["id"]) == [("created", "user:admin")]
    with demo_store.engine.connect() as conn:
        (event,) = events(conn, "chat", robot.json()["id"])
    assert "secret-key" not in json.dumps(event.changes)
    assert SIGNING not in json.dumps(event.changes)


def test_linking_a_chat_refuses_what_the_cli_refuses_naming_the_field(
    api: TestClient, demo_store: Store
) -> None:
    admin = auth(demo_store, "admin")
    base = {"org": "JD01-06-01", "role": "branch"}
    cases = [
        ({}, "chat_id", "需要 --chat"),
        ({"chat_id": 1, "webhook": WEBHOOK}, "webhook", "只用于群机器人"),
        ({"channel": "wecom", "chat_id": 5}, "chat_id", "只用于 Telegram"),
        ({"channel": "wecom"}, "webhook", "需要 --webhook"),
        ({"channel": "dingtalk", "webhook": WEBHOOK}, "webhook", "不像钉钉群机器人"),
        ({"chat_id": 1, "org": "NO-SUCH"}, "org", "组织台账中没有"),
        ({"chat_id": 1, "role": "boss"}, "role", None),
        ({"chat_id": "many"}, "chat_id", None),
    ]
    for change, field, words in cases:
        reply = api.post("/api/v1/chats", json={**base, **change}, headers=admin)
        problem = assert_problem(reply, 422, field)
        if words is not None:
            assert words in problem["detail"]
        assert "secret-key" not in reply.text  # a refused webhook is shown redacted


def test_disabling_a_chat(api: TestClient, demo_store: Store) -> None:
    admin = auth(demo_store, "admin")
    made = api.post(
        "/api/v1/chats", json={"org": "JD01-06-01", "role": "branch", "chat_id": -42}, headers=admin
    ).json()
    reason = {"reason": "群已解散"}
    assert_problem(
        api.post(
            f"/api/v1/chats/{made['id']}/disable", json=reason, headers=auth(demo_store, "insp")
        ),
        403,
    )
    assert_problem(api.post("/api/v1/chats/999999/disable", json=reason, headers=admin), 404)
    assert_problem(
        api.post(f"/api/v1/chats/{made['id']}/disable", json={"reason": " "}, headers=admin),
        422,
        "reason",
    )
    done = api.post(f"/api/v1/chats/{made['id']}/disable", json=reason, headers=admin)
    assert done.status_code == 200, done.text
    assert (done.json()["disabled"], done.json()["reason"]) == (True, "群已解散")
    assert trail(demo_store, "chat", made["id"]) == [
        ("created", "user:admin"),
        ("disabled", "user:admin"),
    ]


# --- users and tokens -----------------------------------------------------------------------

NEW_PASSWORD = "新的密码 long enough"


def test_users_are_admin_only_and_a_password_is_never_echoed(
    api: TestClient, demo_store: Store, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = auth(demo_store, "admin")
    for role in ("insp", "sec", "view"):
        assert_problem(api.get("/api/v1/users", headers=auth(demo_store, role)), 403)
        assert_problem(api.get("/api/v1/tokens", headers=auth(demo_store, role)), 403)
    listed = api.get("/api/v1/users", headers=admin)
    assert listed.status_code == 200
    assert listed.json() == cli_json(db_url, "users", "list", "--format", "json")
    by_name = {u["username"]: u for u in listed.json()}
    assert by_name["sec"] == {
        "username": "sec",
        "role": "secretary",
        "org": "JD01-06-01",
        "disabled": False,
        "created": NOW.isoformat(),
    }
    assert "password" not in listed.text
    body = {
        "username": "newsec",
        "role": "secretary",
        "org": "JD01-06-02",
        "password": NEW_PASSWORD,
    }
    added = api.post("/api/v1/users", json=body, headers=admin)
    assert added.status_code == 201, added.text
    assert added.json() == {
        "username": "newsec",
        "role": "secretary",
        "org": "JD01-06-02",
        "disabled": False,
        "created": NOW.isoformat(),
    }
    assert NEW_PASSWORD not in added.text
    assert trail(demo_store, "user", "newsec") == [("created", "user:admin")]
    signed = api.post("/login", data={"username": "newsec", "password": NEW_PASSWORD}, headers=JSON)
    assert signed.status_code == 204
    api.cookies.clear()
    assert_problem(api.post("/api/v1/users", json=body, headers=admin), 409, "username")
    cases = [
        ({"password": "short"}, "password"),
        ({"password": "p" * 5000}, "password"),
        ({"password": 12345678901}, "password"),
        ({"username": "two words"}, "username"),
        ({"org": None}, "org"),
        ({"role": "admin"}, "org"),
        ({"org": "NO-SUCH"}, "org"),
        ({"role": "boss"}, "role"),
    ]
    for change, field in cases:
        reply = api.post("/api/v1/users", json={**body, "username": "x1", **change}, headers=admin)
        assert_problem(reply, 422, field)
        assert str(change.get("password", NEW_PASSWORD))[:20] not in reply.text
    assert NEW_PASSWORD not in caplog.text
    assert "p" * 50 not in caplog.text


def test_disabling_a_user_and_setting_a_password(api: TestClient, demo_store: Store) -> None:
    admin = auth(demo_store, "admin")
    theirs = auth(demo_store, "view")
    assert api.get("/api/v1/orgs/JD01-06", headers=theirs).status_code == 200
    assert_problem(api.post("/api/v1/users/view/disable", headers=auth(demo_store, "insp")), 403)
    assert_problem(api.post("/api/v1/users/nobody/disable", headers=admin), 404)
    done = api.post("/api/v1/users/view/disable", headers=admin)
    assert done.status_code == 200, done.text
    assert done.json()["disabled"] is True
    assert api.get("/api/v1/orgs/JD01-06", headers=theirs).status_code == 401
    assert trail(demo_store, "user", "view") == [("disabled", "user:admin")]
    path = "/api/v1/users/sec/password"
    assert_problem(api.post(path, json={"password": NEW_PASSWORD}, headers=theirs), 401)
    assert_problem(
        api.post(path, json={"password": NEW_PASSWORD}, headers=auth(demo_store, "sec")), 403
    )
    assert_problem(
        api.post("/api/v1/users/nobody/password", json={"password": NEW_PASSWORD}, headers=admin),
        404,
    )
    short = api.post(path, json={"password": "short"}, headers=admin)
    assert_problem(short, 422, "password")
    assert "short" not in short.text
    changed = api.post(path, json={"password": NEW_PASSWORD}, headers=admin)
    assert changed.status_code == 204, changed.text
    assert changed.content == b""
    old = api.post("/login", data={"username": "sec", "password": PASSWORD}, headers=JSON)
    assert old.status_code == 401
    new = api.post("/login", data={"username": "sec", "password": NEW_PASSWORD}, headers=JSON)
    assert new.status_code == 204
    assert trail(demo_store, "user", "sec") == [("password_set", "user:admin")]


def test_a_token_is_shown_once_listed_without_its_value_and_revoked(
    api: TestClient, demo_store: Store, db_url: str
) -> None:
    admin = auth(demo_store, "admin")
    assert_problem(
        api.post("/api/v1/tokens", json={"user": "view"}, headers=auth(demo_store, "insp")), 403
    )
    assert_problem(api.post("/api/v1/tokens", json={"user": "nobody"}, headers=admin), 422, "user")
    assert_problem(api.post("/api/v1/tokens", json={}, headers=admin), 422, "user")
    made = api.post("/api/v1/tokens", json={"user": "view", "name": "报表程序"}, headers=admin)
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    token = made.json()
    assert token["token"].startswith("olt_")
    assert (token["user"], token["name"], token["revoked"]) == ("view", "报表程序", None)
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert api.get("/api/v1/orgs/JD01-06", headers=bearer).status_code == 200
    listed = api.get("/api/v1/tokens", headers=admin)
    assert token["token"] not in listed.text
    assert listed.json() == cli_json(db_url, "tokens", "list", "--format", "json")
    assert token["id"] in [t["id"] for t in listed.json()]
    assert trail(demo_store, "token", token["id"]) == [("created", "user:admin")]
    assert_problem(api.post("/api/v1/tokens/999999/revoke", headers=admin), 404)
    assert_problem(api.post(f"/api/v1/tokens/{token['id']}/revoke", headers=bearer), 403)
    revoked = api.post(f"/api/v1/tokens/{token['id']}/revoke", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked"] is not None
    assert "token" not in revoked.json()
    assert api.get("/api/v1/orgs/JD01-06", headers=bearer).status_code == 401
    assert trail(demo_store, "token", token["id"]) == [
        ("created", "user:admin"),
        ("revoked", "user:admin"),
    ]


def test_the_openapi_document_lists_every_route_with_its_errors(api: TestClient) -> None:
    spec = api.get("/api/openapi.json").json()
    routes = {
        ("get", "/api/v1/ledger"),
        ("post", "/api/v1/ledger"),
        ("get", "/api/v1/ledger/{id}"),
        ("get", "/api/v1/ledger/{id}/history"),
        ("post", "/api/v1/ledger/{id}/rectify"),
        ("post", "/api/v1/ledger/{id}/clear"),
        ("post", "/api/v1/ledger/{id}/return"),
        ("get", "/api/v1/exemptions"),
        ("post", "/api/v1/exemptions"),
        ("post", "/api/v1/exemptions/{id}/revoke"),
        ("get", "/api/v1/reports/{month}"),
        ("get", "/api/v1/chats"),
        ("post", "/api/v1/chats"),
        ("post", "/api/v1/chats/{id}/disable"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("post", "/api/v1/users/{username}/disable"),
        ("post", "/api/v1/users/{username}/password"),
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/tokens"),
        ("post", "/api/v1/tokens/{id}/revoke"),
    }
    for method, path in routes:
        operation = spec["paths"][path][method]
        assert {"401", "403", "404"} <= set(operation["responses"]), (method, path)
        # A 422 is listed where input can fail validation: a body, or a constrained parameter
        # (monitor.http.app drops the ones that cannot happen).
        if "requestBody" in operation:
            assert "422" in operation["responses"], (method, path)
        ok = next(r for r in operation["responses"] if r.startswith("2"))
        if ok != "204":
            assert operation["responses"][ok]["content"]["application/json"]["schema"]
    report = spec["paths"]["/api/v1/reports/{month}"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/html"} <= set(report)
    user = spec["components"]["schemas"]["UserIn"]["properties"]["password"]
    assert user.get("writeOnly") is True
