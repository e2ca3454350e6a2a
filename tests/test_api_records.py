"""The HTTP API's members, meeting records, calendar links and register imports: each inside the
caller's scope (404 outside, the same as what does not exist), 403 for a role without the
action, 422 problem+json naming the field, and the acting user in the audit trail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.calendar.store import FeedStore
from monitor.cli import main
from monitor.core.rules import RulePack
from monitor.store import Store
from tests.test_api import NOW, PASSWORD, Clock, build_app, token

PUBLIC = "https://orglife.example.gov.cn"
PROBLEM = "application/problem+json"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(demo_store: Store, national: RulePack, clock: Clock) -> Iterator[TestClient]:
    accounts = AccountStore(demo_store)
    accounts.add_user("admin", PASSWORD, Role.ADMIN, None, now=NOW)
    accounts.add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    accounts.add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    accounts.add_user("view", PASSWORD, Role.VIEWER, "JD01-06", now=NOW)
    app = build_app(demo_store, national, clock)
    app.state.orglife.public_url = PUBLIC
    with TestClient(app, client=("10.1.1.1", 5000)) as c:
        yield c


def is_problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == PROBLEM
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    return body


def same_404(outside: Any, missing: Any) -> None:
    assert is_problem(outside, 404) == is_problem(missing, 404)


def record_of(client: TestClient, headers: dict[str, str], org: str) -> dict[str, Any]:
    found = client.get("/api/v1/meetings", params={"org": org}, headers=headers).json()
    return [r for r in found if r["org"] == org][-1]  # type: ignore[no-any-return]


# --- members --------------------------------------------------------------------------------


def test_a_branch_roster_in_scope(client: TestClient, demo_store: Store) -> None:
    sec = token(demo_store, "sec")
    reply = client.get("/api/v1/orgs/JD01-06-01/members", headers=sec)
    assert reply.status_code == 200, reply.text
    roster = reply.json()
    assert len(roster) == 15
    assert [m["id"] for m in roster] == sorted(m["id"] for m in roster)
    assert roster[0] == {
        "id": "M0118",
        "name": "丁洁",
        "org": "JD01-06-01",
        "group": "JD01-06-01-G2",
        "role": "secretary",
        "joined": "2002-04-29",
        "status": "full",
        "leader": False,
    }
    group = client.get("/api/v1/orgs/JD01-06-01-G1/members", headers=sec).json()
    assert group
    assert {m["group"] for m in group} == {"JD01-06-01-G1"}
    assert {m["id"] for m in group} < {m["id"] for m in roster}
    same_404(
        client.get("/api/v1/orgs/JD01-01/members", headers=sec),
        client.get("/api/v1/orgs/NO-SUCH/members", headers=sec),
    )
    admin = token(demo_store, "admin")
    cadres = client.get("/api/v1/orgs/JD01-05/members", headers=admin).json()
    assert {m["id"] for m in cadres if m["leader"]} == {"M0097", "M0098"}
    same_404(
        client.get("/api/v1/orgs/NO-SUCH/members", headers=admin),
        client.get("/api/v1/orgs/JD01-01/members", headers=sec),
    )
    view = token(demo_store, "view")
    assert client.get("/api/v1/orgs/JD01-06-01/members", headers=view).status_code == 200
    assert client.get("/api/v1/orgs/JD01-05/members", headers=view).status_code == 404


# --- meeting records ------------------------------------------------------------------------


def test_meetings_list_matches_the_cli_json(
    client: TestClient, demo_store: Store, db_url: str
) -> None:
    cli = CliRunner().invoke(
        main,
        [
            "--db",
            db_url,
            "meetings",
            "list",
            "--org",
            "JD01-06-01",
            "--from",
            "2026-09-01",
            "--to",
            "2026-11-30",
            "--format",
            "json",
        ],
    )
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.stdout)
    assert expected
    sec = token(demo_store, "sec")
    window = {"from": "2026-09-01", "to": "2026-11-30"}
    mine = client.get("/api/v1/meetings", params={"org": "JD01-06-01", **window}, headers=sec)
    assert mine.status_code == 200, mine.text
    assert mine.json() == expected
    whole_scope = client.get("/api/v1/meetings", params=window, headers=sec)
    assert whole_scope.json() == expected  # a secretary's scope: the branch and its groups
    same_404(
        client.get("/api/v1/meetings", params={"org": "JD01-01"}, headers=sec),
        client.get("/api/v1/meetings", params={"org": "NO-SUCH"}, headers=sec),
    )
    admin = token(demo_store, "admin")
    everything = client.get("/api/v1/meetings", params=window, headers=admin).json()
    assert {r["org"] for r in everything} > {r["org"] for r in expected}
    same_404(
        client.get("/api/v1/meetings", params={"org": "NO-SUCH"}, headers=admin),
        client.get("/api/v1/meetings", params={"org": "JD01-01"}, headers=sec),
    )
    bad = is_problem(
        client.get("/api/v1/meetings", params={"from": "2026-13-01"}, headers=sec), 422
    )
    assert bad["errors"][0]["field"] == "from"
    backwards = client.get(
        "/api/v1/meetings", params={"from": "2026-11-02", "to": "2026-11-01"}, headers=sec
    )
    assert is_problem(backwards, 422)["errors"] == [{"field": "from", "message": "不能晚于 to"}]


MEETING = {
    "org": "JD01-06-01",
    "kinds": ["主题党日", "党课"],
    "date": "2026-11-21",
    "expected": 15,
    "attended": 12,
    "lecturer": "M0118",
    "topic": "学习全会精神",
    "attendees": ["M0118", "M0119", "M0121"],
}


def test_recording_a_meeting_as_the_bot_does(client: TestClient, demo_store: Store) -> None:
    sec = token(demo_store, "sec")
    before = demo_store.counts()["meetings"]
    reply = client.post("/api/v1/meetings", json=MEETING, headers=sec)
    assert reply.status_code == 201, reply.text
    record = reply.json()
    assert reply.headers["location"] == f"/api/v1/meetings/{record['id']}"
    assert record["org"] == "JD01-06-01"
    assert record["kinds"] == ["party_lesson", "themed_party_day"]
    assert record["date"] == "2026-11-21"
    assert (record["expected"], record["attended"]) == (15, 12)
    assert record["attendees"] == ["M0118", "M0119", "M0121"]
    assert record["recorded_at"] == NOW.isoformat()  # the server's clock, not the caller's
    assert record["recorded"] == "2026-11-24"
    assert record["deleted"] is False
    assert demo_store.counts()["meetings"] == before + 1
    assert client.get(f"/api/v1/meetings/{record['id']}", headers=sec).json() == record
    [created] = demo_store.events("meeting", record["id"])
    assert (created.actor, created.action) == ("user:sec", "created")
    # The same meeting again is the same record (the import updates it), not a second one.
    again = client.post("/api/v1/meetings", json={**MEETING, "attended": 13}, headers=sec)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == record["id"]
    assert again.json()["attended"] == 13
    assert again.json()["recorded_at"] == record["recorded_at"]
    assert demo_store.counts()["meetings"] == before + 1
    edited = demo_store.events("meeting", record["id"])[-1]
    assert (edited.actor, edited.action) == ("user:sec", "edited")
    # A party group's meeting is the secretary's too; an inspector records in its subtree.
    group = {**MEETING, "org": "JD01-06-01-G1", "kinds": ["党小组会"], "lecturer": None}
    assert client.post("/api/v1/meetings", json=group, headers=sec).status_code == 201
    street = token(demo_store, "street")
    other = {**MEETING, "org": "JD01-01", "attendees": ["M0001"], "lecturer": None}
    assert client.post("/api/v1/meetings", json=other, headers=street).status_code == 201


def test_recording_refusals(client: TestClient, demo_store: Store) -> None:
    sec = token(demo_store, "sec")
    before = demo_store.counts()["meetings"]

    def post(body: dict[str, Any], headers: dict[str, str] = sec) -> Any:
        return client.post("/api/v1/meetings", json=body, headers=headers)

    same_404(post({**MEETING, "org": "JD01-01"}), post({**MEETING, "org": "NO-SUCH"}))
    same_404(
        post({**MEETING, "org": "NO-SUCH"}, token(demo_store, "admin")),
        post({**MEETING, "org": "JD01-01"}),
    )
    forbidden = is_problem(post(MEETING, token(demo_store, "view")), 403)
    assert "只读用户" in forbidden["detail"]

    def field(body: dict[str, Any]) -> tuple[str, str]:
        problem = is_problem(post(body), 422)
        [error] = problem["errors"]
        assert error["field"] in problem["detail"]
        return error["field"], error["message"]

    future = field({**MEETING, "date": "2026-11-25"})
    assert future[0] == "date"
    assert "晚于今天（2026-11-24）" in future[1]  # the reader's words, today from the clock
    assert field({**MEETING, "attended": 16})[0] == "attended"
    assert field({**MEETING, "expected": -1})[0] == "expected"
    kind = field({**MEETING, "kinds": ["茶话会"]})
    assert kind[0] == "kinds"
    assert "茶话会" in kind[1]
    assert field({**MEETING, "for_period": "2026-13"})[0] == "for_period"
    assert field({**MEETING, "date": "2026-02-30"})[0] == "date"  # pydantic's own check
    assert field({**MEETING, "colour": "red"})[0] == "colour"
    assert field({k: v for k, v in MEETING.items() if k != "expected"})[0] == "expected"
    # Someone else's member is refused exactly as one who is not registered at all.
    foreign = field({**MEETING, "attendees": ["M0001"]})
    unknown = field({**MEETING, "attendees": ["M9999"]})
    assert foreign[0] == unknown[0] == "attendees"
    assert foreign[1].replace("M0001", "X") == unknown[1].replace("M9999", "X")
    assert demo_store.counts()["meetings"] == before


def test_edit_delete_and_history(client: TestClient, demo_store: Store) -> None:
    sec = token(demo_store, "sec")
    admin = token(demo_store, "admin")
    mine = record_of(client, sec, "JD01-06-01")
    theirs = record_of(client, admin, "JD01-01")
    url = f"/api/v1/meetings/{mine['id']}"

    edited = client.patch(url, json={"topic": "更正后的主题", "reason": "主题写错了"}, headers=sec)
    assert edited.status_code == 200, edited.text
    assert edited.json()["topic"] == "更正后的主题"
    assert edited.json()["recorded_at"] == mine["recorded_at"]
    cleared = client.patch(url, json={"attendees": None, "reason": "名单另报"}, headers=sec)
    assert cleared.json()["attendees"] == []

    missing = 10**9
    same_404(
        client.patch(f"/api/v1/meetings/{theirs['id']}", json={"reason": "x"}, headers=sec),
        client.patch(f"/api/v1/meetings/{missing}", json={"reason": "x"}, headers=sec),
    )
    same_404(
        client.get(f"/api/v1/meetings/{theirs['id']}/history", headers=sec),
        client.get(f"/api/v1/meetings/{missing}/history", headers=sec),
    )
    same_404(
        client.get(f"/api/v1/meetings/{theirs['id']}", headers=sec),
        client.get(f"/api/v1/meetings/{missing}", headers=sec),
    )
    view = token(demo_store, "view")
    assert client.get(url, headers=view).status_code == 200
    is_problem(client.patch(url, json={"topic": "x", "reason": "y"}, headers=view), 403)
    is_problem(client.request("DELETE", url, json={"reason": "y"}, headers=view), 403)

    assert is_problem(client.patch(url, json={"topic": "x"}, headers=sec), 422)["errors"] == [
        {"field": "reason", "message": "缺少此项"}
    ]
    blank = is_problem(client.patch(url, json={"topic": "x", "reason": "  "}, headers=sec), 422)
    assert blank["errors"][0]["field"] == "reason"
    over = is_problem(client.patch(url, json={"attended": 999, "reason": "r"}, headers=sec), 422)
    assert over["errors"][0]["field"] == "attended"
    assert "实到人数" in over["errors"][0]["message"]
    late = is_problem(
        client.patch(url, json={"date": "2026-12-01", "reason": "r"}, headers=sec), 422
    )
    assert late["errors"][0]["field"] == "date"
    stranger = is_problem(
        client.patch(url, json={"attendees": ["M0001"], "reason": "r"}, headers=sec), 422
    )
    assert stranger["errors"][0]["field"] == "attendees"

    same_404(
        client.request(
            "DELETE", f"/api/v1/meetings/{theirs['id']}", json={"reason": "x"}, headers=sec
        ),
        client.request("DELETE", f"/api/v1/meetings/{missing}", json={"reason": "x"}, headers=sec),
    )
    no_body = is_problem(client.request("DELETE", url, headers=sec), 422)
    assert no_body["errors"] == [{"field": "请求体", "message": "缺少此项"}]
    no_reason = is_problem(client.request("DELETE", url, json={}, headers=sec), 422)
    assert no_reason["errors"] == [{"field": "reason", "message": "缺少此项"}]
    deleted = client.request("DELETE", url, json={"reason": "重复录入"}, headers=sec)
    assert deleted.status_code == 204, deleted.text
    assert client.get(url, headers=sec).json()["deleted"] is True
    is_problem(client.request("DELETE", url, json={"reason": "again"}, headers=sec), 409)
    is_problem(client.patch(url, json={"topic": "x", "reason": "y"}, headers=sec), 409)
    # Recording the deleted meeting again does not bring it back (as an import does not).
    gone = client.get(url, headers=sec).json()
    repost = {
        "org": gone["org"],
        "kinds": gone["kinds"],
        "date": gone["date"],
        "expected": gone["expected"] or 0,
        "attended": gone["attended"] or 0,
        "lecturer": gone["lecturer"],
        "topic": gone["topic"],
    }
    assert (
        f"#{mine['id']}"
        in is_problem(client.post("/api/v1/meetings", json=repost, headers=sec), 409)["detail"]
    )
    assert client.get(url, headers=sec).json()["deleted"] is True

    history = client.get(f"{url}/history", headers=sec)
    assert history.status_code == 200, history.text
    trail = history.json()
    assert [(e["action"], e["by"], e["reason"]) for e in trail[-3:]] == [
        ("edited", "user:sec", "主题写错了"),
        ("edited", "user:sec", "名单另报"),
        ("deleted", "user:sec", "重复录入"),
    ]
    assert trail[-3]["changes"]["topic"][1] == "更正后的主题"
    assert trail[-1]["at"] == NOW.isoformat()


# --- calendar links -------------------------------------------------------------------------


def test_calendar_link_of_an_org_in_scope(client: TestClient, demo_store: Store) -> None:
    sec = token(demo_store, "sec")
    reply = client.get("/api/v1/orgs/JD01-06-01/calendar", headers=sec)
    assert reply.status_code == 200, reply.text
    link = reply.json()
    assert link["code"] == "JD01-06-01"
    assert link["kind"] == "branch"
    assert link["title"].startswith("众创园区联合党支部")
    assert link["url"].startswith(f"{PUBLIC}/feeds/")
    assert link["url"].endswith(".ics")
    assert link["webcal"] == "webcal" + link["url"].removeprefix("https")
    feed_token = link["url"].removeprefix(f"{PUBLIC}/feeds/").removesuffix(".ics")
    assert FeedStore(demo_store).subject_for(feed_token) == "JD01-06-01"
    # The same link every time (made once, as `orglife feeds url` makes it).
    view = token(demo_store, "view")
    assert client.get("/api/v1/orgs/JD01-06-01/calendar", headers=view).json() == link
    oversight = client.get("/api/v1/orgs/JD01-06/calendar", headers=view).json()
    assert oversight["kind"] == "oversight"
    same_404(
        client.get("/api/v1/orgs/JD01-01/calendar", headers=sec),
        client.get("/api/v1/orgs/NO-SUCH/calendar", headers=sec),
    )
    admin = token(demo_store, "admin")
    # A leading cadre's id names a feed for the CLI, but it is not an org.
    same_404(
        client.get("/api/v1/orgs/M0097/calendar", headers=admin),
        client.get("/api/v1/orgs/JD01-01/calendar", headers=sec),
    )
    assert FeedStore(demo_store).subject_for("") is None
    assert {t.subject for t in FeedStore(demo_store).tokens()} == {"JD01-06-01", "JD01-06"}


def test_openapi_describes_the_new_routes(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/api/v1/meetings"]) == {"get", "post"}
    assert set(paths["/api/v1/meetings/{record_id}"]) == {"get", "patch", "delete"}
    assert "/api/v1/meetings/{record_id}/history" in paths
    assert "/api/v1/orgs/{code}/members" in paths
    assert "/api/v1/orgs/{code}/calendar" in paths
    post = paths["/api/v1/meetings"]["post"]
    assert {"201", "200", "403", "404", "422"} <= set(post["responses"])
