"""The HTTP API's members, meeting records, calendar links and register imports: each inside the
caller's scope (404 outside, the same as what does not exist), 403 for a role without the
action, 422 problem+json naming the field, and the acting user in the audit trail."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from openpyxl import Workbook

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.calendar.store import FeedStore
from monitor.cli import main
from monitor.core.rules import RulePack
from monitor.http.api import imports
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
    app.state.orglife = replace(app.state.orglife, public_url=PUBLIC)
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
    same_404(
        client.get(f"/api/v1/meetings/{10**30}", headers=sec),
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


# --- imports --------------------------------------------------------------------------------

HEADER = "组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员\n"


def csv_file(text: str, name: str = "会议记录.csv") -> dict[str, Any]:
    return {"file": (name, text.encode("utf-8"), "text/csv")}


def upload(
    client: TestClient,
    register: str,
    files: dict[str, Any],
    headers: dict[str, str],
    *,
    dry_run: bool = True,
) -> Any:
    return client.post(
        f"/api/v1/imports/{register}",
        params={"dry_run": str(dry_run).lower()},
        files=files,
        headers=headers,
    )


GOOD = (
    HEADER
    + "JD01-06-01,主题党日,2026-11-21,15,12,,冬季消防演练,M0118;M0119\n"
    + "JD01-06-01-G2,党小组会,2026-11-22,7,6,,学习交流,M0118;M0120\n"
)


def test_import_meetings_dry_run_then_commit(client: TestClient, demo_store: Store) -> None:
    sec = token(demo_store, "sec")
    counts, revision = demo_store.counts(), demo_store.revision()
    dry = upload(client, "meetings", csv_file(GOOD), sec)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["ok"] is True
    assert (report["kind"], report["dry_run"]) == ("meetings", True)
    assert report["file"] == "会议记录.csv"
    assert (report["rows"], report["inserted"], report["updated"]) == (2, 2, 0)
    assert report["errors"] == []
    assert demo_store.counts() == counts  # a dry run changes nothing
    assert demo_store.revision() == revision

    done = upload(client, "meetings", csv_file(GOOD), sec, dry_run=False)
    assert done.status_code == 200, done.text
    assert (done.json()["inserted"], done.json()["dry_run"]) == (2, False)
    assert demo_store.counts()["meetings"] == counts["meetings"] + 2
    new = [
        r
        for r in client.get("/api/v1/meetings", params={"from": "2026-11-21"}, headers=sec).json()
        if r["topic"] in ("冬季消防演练", "学习交流")
    ]
    assert len(new) == 2
    assert {r["recorded_at"] for r in new} == {NOW.isoformat()}
    for r in new:
        [event] = demo_store.events("meeting", r["id"])
        assert (event.actor, event.reason) == ("user:sec", "会议记录.csv")
    again = upload(client, "meetings", csv_file(GOOD), sec).json()
    assert (again["inserted"], again["unchanged"]) == (0, 2)


def test_import_reports_every_bad_row_with_its_line_and_column(
    client: TestClient, demo_store: Store
) -> None:
    sec = token(demo_store, "sec")
    bad = (
        HEADER
        + "JD01-06-01,主题党日,2026-11-99,15,12,,a,\n"  # line 2: no such day
        + "JD01-06-01,主题党日,2026-11-03,15,12,,b,\n"  # line 3: fine
        + "JD01-06-01,党课,2026-11-04,10,12,,c,\n"  # line 4: attended over expected
        + "JD01-06-01,茶话会,2026-11-05,10,8,,d,\n"  # line 5: no such kind
        + "JD01-06-01,主题党日,2026-11-06,15,12,,e,M0001\n"  # line 6: someone else's member
    )
    before = demo_store.counts()
    report = upload(client, "meetings", csv_file(bad), sec).json()
    assert report["ok"] is False
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (2, "date"),
        (4, "attended"),
        (5, "kind"),
        (6, "attendees"),
    ]
    assert [e["column"] for e in report["errors"]] == ["日期", "实到人数", "会议类型", "参会人员"]
    assert report["errors"][0]["message"].startswith("会议记录.csv 第2行 “日期”列：")
    assert "/tmp" not in json.dumps(report, ensure_ascii=False)
    rejected = upload(client, "meetings", csv_file(bad), sec, dry_run=False)
    problem = is_problem(rejected, 422)
    assert [e["field"] for e in problem["errors"]] == ["date", "attended", "kind", "attendees"]
    assert "第2行" in problem["detail"]
    assert demo_store.counts() == before
    # Checks across rows and against the registers come from the import itself.
    twice = HEADER + "JD01-06-01,主题党日,2026-11-03,15,12,,b,\n" * 2
    [dup] = upload(client, "meetings", csv_file(twice), sec).json()["errors"]
    assert (dup["line"], dup["code"]) == (3, "duplicate_row")
    nobody = HEADER + "JD01-06-01,主题党日,2026-11-03,15,12,,b,M9999\n"
    [unknown] = upload(client, "meetings", csv_file(nobody), sec).json()["errors"]
    assert (unknown["line"], unknown["field"], unknown["code"]) == (
        2,
        "attendees",
        "unknown_attendee",
    )
    headless = upload(client, "meetings", csv_file("a,b\n1,2\n"), sec).json()
    assert headless["errors"][0]["code"] == "no_header"
    assert headless["errors"][0]["line"] is None


def test_import_scope_and_roles(client: TestClient, demo_store: Store) -> None:
    sec = token(demo_store, "sec")
    before = demo_store.counts()
    elsewhere = (
        GOOD
        + "JD01-01,主题党日,2026-11-21,15,12,,别的支部,\n"  # line 4: another branch
        + "NO-SUCH,主题党日,2026-11-21,15,12,,没有的组织,\n"  # line 5: no such org
    )
    refused = is_problem(upload(client, "meetings", csv_file(elsewhere), sec, dry_run=False), 404)
    assert "第4、5行" in refused["detail"]
    four, five = refused["errors"]
    assert four["field"] == five["field"] == "org"
    assert four["message"].replace("JD01-01", "X").replace("第4行", "") == five["message"].replace(
        "NO-SUCH", "X"
    ).replace("第5行", "")
    assert demo_store.counts() == before
    # An inspector imports across its subtree; an admin anywhere (the import refuses an
    # unregistered org, as `orglife import` does).
    street = token(demo_store, "street")
    within = GOOD + "JD01-01,主题党日,2026-11-21,15,12,,别的支部,\n"
    assert upload(client, "meetings", csv_file(within), street).json()["inserted"] == 3
    is_problem(upload(client, "meetings", csv_file(elsewhere), street), 404)
    admin = token(demo_store, "admin")
    [error] = upload(client, "meetings", csv_file(elsewhere), admin).json()["errors"]
    assert (error["line"], error["field"], error["code"]) == (5, "org", "unknown_org")
    view = token(demo_store, "view")
    is_problem(upload(client, "meetings", csv_file(GOOD), view), 403)
    orgs = "组织编码,组织名称,组织类型,上级组织编码\nJD01-08,新建党支部,党支部,JD01\n"
    members = "党员编号,姓名,所在组织编码\nM9001,新党员,JD01-06-01\n"
    for who in ("sec", "street", "view"):
        headers = token(demo_store, who)
        is_problem(upload(client, "orgs", csv_file(orgs, "orgs.csv"), headers), 403)
        is_problem(upload(client, "members", csv_file(members, "m.csv"), headers), 403)
    dry = upload(client, "orgs", csv_file(orgs, "orgs.csv"), admin).json()
    assert (dry["ok"], dry["inserted"]) == (True, 1)
    assert demo_store.counts() == before
    done = upload(client, "members", csv_file(members, "m.csv"), admin, dry_run=False).json()
    assert (done["ok"], done["inserted"]) == (True, 1)
    [event] = demo_store.events("member", "M9001")
    assert (event.actor, event.action, event.reason) == ("user:admin", "created", "m.csv")
    lost = "党员编号,姓名,所在组织编码\nM9002,新党员,NO-SUCH\n"
    [error] = upload(client, "members", csv_file(lost, "m.csv"), admin).json()["errors"]
    assert (error["line"], error["field"], error["code"]) == (2, "org", "unknown_org")


def test_an_xlsx_upload(client: TestClient, demo_store: Store) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["2026年会议记录台账"])
    sheet.append(HEADER.strip().split(","))
    sheet.append(["JD01-06-01", "主题党日", dt.date(2026, 11, 21), 15, 12, "", "工作簿", ""])
    sheet.append(["JD01-06-01", "主题党日", "2026-11-31", 15, 12, "", "坏日期", ""])
    data = io.BytesIO()
    workbook.save(data)
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    files = {"file": ("台账.xlsx", data.getvalue(), kind)}
    report = upload(client, "meetings", files, token(demo_store, "sec")).json()
    assert report["skipped"] == ["2026年会议记录台账"]
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(4, "date")]
    assert report["rows"] == 1


def test_upload_limits(
    client: TestClient, demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sec = token(demo_store, "sec")
    monkeypatch.setattr(imports, "MAX_UPLOAD", 100)
    monkeypatch.setattr(imports, "_FORM_OVERHEAD", 10_000)
    # Refused by its Content-Length before it is read, or while it is saved.
    for copies in (100, 3):
        big = is_problem(upload(client, "meetings", csv_file(GOOD * copies), sec), 413)
        assert big["title"] == "文件太大"
        assert "不能超过" in big["detail"]
    monkeypatch.undo()
    strange = is_problem(upload(client, "meetings", csv_file(GOOD, "会议.txt"), sec), 415)
    assert strange["errors"] == [{"field": "file", "message": "文件类型不支持"}]
    nothing = client.post("/api/v1/imports/meetings", data={"x": "1"}, headers=sec)
    assert is_problem(nothing, 422)["errors"] == [{"field": "file", "message": "缺少此项"}]
    wrong = is_problem(upload(client, "ledger", csv_file(GOOD), sec), 422)
    assert wrong["errors"][0]["field"] == "register"


def test_openapi_describes_the_new_routes(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/api/v1/meetings"]) == {"get", "post"}
    assert set(paths["/api/v1/meetings/{record_id}"]) == {"get", "patch", "delete"}
    assert "/api/v1/meetings/{record_id}/history" in paths
    assert "/api/v1/orgs/{code}/members" in paths
    assert "/api/v1/orgs/{code}/calendar" in paths
    upload_op = paths["/api/v1/imports/{register}"]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    assert "413" in upload_op["responses"]
    post = paths["/api/v1/meetings"]["post"]
    assert {"201", "200", "403", "404", "422"} <= set(post["responses"])


@pytest.mark.parametrize("record_id", [2**31, 2**40, 2**63 - 1])
def test_a_record_id_beyond_the_column_is_no_record(
    client: TestClient, demo_store: Store, record_id: int
) -> None:
    """On PostgreSQL an id beyond INTEGER was a database error (500); it is a 404 like any."""
    admin = token(demo_store, "admin")
    for method in ("GET", "PATCH", "DELETE"):
        body = {"reason": "不存在的记录"} if method != "GET" else None
        url = f"/api/v1/meetings/{record_id}" + ("/history" if method == "GET" else "")
        reply = client.request(method, url, json=body, headers=admin)
        assert reply.status_code == 404, (method, reply.status_code, reply.text)
