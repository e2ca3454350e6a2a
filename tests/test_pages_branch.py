"""The secretary's pages (issue 13): the branch's home (/branch/{code}), 录入会议记录, a record's
page with its history, editing and deleting with a reason, and attachments served only in
scope; the view-models' pure helpers. On SQLite and PostgreSQL (the demo district)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.attachments import AttachmentStore, Owner
from monitor.attachments.store import TABLE as ATTACHMENTS
from monitor.check import Check, run_check
from monitor.core.domain import (
    Evidence,
    Finding,
    Meeting,
    Member,
    MemberStatus,
    Org,
    OrgType,
    Status,
)
from monitor.core.evaluator import Registers
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack
from monitor.core.schedule import scheduled_day
from monitor.holidays import work_calendar
from monitor.http.api import api_app
from monitor.http.deps import AppState
from monitor.http.pages.branch import (
    branch_home,
    days_left,
    late_records,
    scheduled_text,
    short_name,
)
from monitor.http.pages.records import (
    Change,
    FormValues,
    actor_zh,
    expected_hint,
    form_errors,
    make_up_periods,
    roster_groups,
    row_of,
)
from monitor.http.state import data_dir_for
from monitor.ledger.store import LedgerStore
from monitor.store import Store, records
from monitor.store.sql import MEETING_TABLE

# Pages over store calls the store, API and authorization tests run on both backends.
pytestmark = pytest.mark.sqlite_only

NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)  # 10:00 in Beijing
TODAY = dt.date(2026, 11, 24)
PASSWORD = "correct horse 党建"
HTML = {"Accept": "text/html"}
BRANCH, G1, G2 = "JD01-06-01", "JD01-06-01-G1", "JD01-06-01-G2"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
PDF = b"%PDF-1.4\n% minutes\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


# --- pure helpers ----------------------------------------------------------------------------


def test_days_left_counts_down_to_the_deadline_then_names_the_grace() -> None:
    deadline = dt.date(2026, 11, 30)
    grace = dt.date(2026, 12, 7)
    assert days_left(deadline, grace, dt.date(2026, 11, 24)) == "还剩 6 天"
    assert days_left(deadline, grace, deadline) == "今天截止"
    assert days_left(deadline, grace, dt.date(2026, 12, 2)) == "已过截止日期，补录宽限期至12月7日"


def test_the_themed_day_moved_by_a_holiday_says_so(national: RulePack) -> None:
    rule = national.rule("themed_party_day")
    assert rule.schedule is not None
    org = Org("B", "某支部", OrgType.BRANCH, party_day="1")
    when = scheduled_day(rule.schedule, org, 2026, 10, work_calendar(warn=lambda *a: None))
    text = scheduled_text(when, TODAY)
    assert when.moved
    assert text.startswith(f"{when.day.month}月{when.day.day}日（周")
    assert "10月1日为国庆节，顺延" in text
    stays = scheduled_day(rule.schedule, org, 2026, 12, work_calendar(warn=lambda *a: None))
    assert scheduled_text(stays, TODAY) == "12月1日（周二）09:00—11:00"


def test_a_group_is_named_without_its_branch_in_front() -> None:
    branch = Org("B", "众创园区联合党支部", OrgType.BRANCH)
    group = Org("B-G1", "众创园区联合党支部科技企业党小组", OrgType.GROUP, parent="B")
    assert short_name(group, branch) == "科技企业党小组"
    assert short_name(branch, branch) == "众创园区联合党支部"


def test_a_record_is_late_when_entered_after_its_period_was_judged(national: RulePack) -> None:
    period = Period(Cadence.MONTH, 2026, 3)
    finding = Finding("B", None, "themed_party_day", period, Status.HELD, Evidence(1, 1, (1, 2)))
    grace = national.grace_for(national.rule("themed_party_day"))
    judged = dt.date(2026, 3, 31) + dt.timedelta(days=grace)
    late = Meeting(
        "B",
        frozenset({"themed_party_day"}),
        dt.date(2026, 3, 10),
        recorded=judged + dt.timedelta(days=1),
        id=1,
    )
    prompt = Meeting(
        "B", frozenset({"themed_party_day"}), dt.date(2026, 3, 10), recorded=judged, id=2
    )
    assert late_records([finding], {1: late, 2: prompt}, national) == {1}


def test_the_form_needs_kinds_date_and_counts_and_an_edit_a_reason() -> None:
    empty = FormValues()
    assert set(form_errors(empty, orgs=["B"], editing=False)) == {
        "org",
        "kinds",
        "date",
        "expected",
        "attended",
    }
    ticked = FormValues(
        org="B", kinds=frozenset({"party_lesson"}), date="2026-11-20", expected="5",
        attendees=frozenset({"M1", "M2"}),
    )  # fmt: skip
    assert form_errors(ticked, orgs=["B"], editing=False) == {}
    assert ticked.attended_cell == "2"  # 实到 left blank: the number ticked
    assert form_errors(ticked, orgs=(), editing=True) == {
        "reason": "请填写修改原因（记入修改记录）"
    }


def test_the_form_becomes_a_register_row_with_the_lecturer_picked_or_typed() -> None:
    values = FormValues(
        org="B", kinds=frozenset({"party_lesson", "themed_party_day"}), date="2026-11-20",
        expected="5", attended="4", lecturer="", lecturer_other="王老师", topic="学党章",
        attendees=frozenset({"M2", "M1"}), for_period="2026-Q3",
    )  # fmt: skip
    row = row_of(values, ["themed_party_day", "party_lesson"])
    assert row["会议类型"] == "themed_party_day+party_lesson"
    assert row["授课人"] == "王老师"
    assert row["参会人员"] == "M1;M2"
    assert row["所属期间"] == "2026-Q3"
    assert row_of(FormValues(lecturer="M9", lecturer_other="x"), [])["授课人"] == "M9"


def test_the_roster_is_grouped_and_the_expected_count_is_the_full_members() -> None:
    branch = Org("B", "甲支部", OrgType.BRANCH)
    groups = [
        Org("B-G2", "甲支部二组", OrgType.GROUP, "B"),
        Org("B-G1", "甲支部一组", OrgType.GROUP, "B"),
    ]
    members = [
        Member("M1", "甲", "B", group="B-G1"),
        Member("M2", "乙", "B", group="B-G2", status=MemberStatus.PROBATIONARY),
        Member("M3", "丙", "B"),
    ]
    found = roster_groups(branch, groups, members)
    assert [(g.name, [m.id for m in g.members]) for g in found] == [
        ("一组", ["M1"]),
        ("二组", ["M2"]),
        ("未编入党小组", ["M3"]),
    ]
    count, hint = expected_hint(branch, groups, members)
    assert count == 2  # the probationary member does not count
    assert "一组 1 人、二组 0 人" in hint


def test_make_up_periods_are_the_open_ones_already_ended() -> None:
    q3 = Period(Cadence.QUARTER, 2026, 3)
    nov = Period(Cadence.MONTH, 2026, 11)
    findings = [
        Finding("B", None, "r", q3, Status.OPEN),
        Finding("B", None, "r", nov, Status.OPEN),  # not ended: counts without 所属期间
        Finding("B", None, "s", Period(Cadence.MONTH, 2026, 8), Status.MISSED),
    ]
    assert make_up_periods(findings, TODAY) == (("2026-Q3", "2026年第三季度"),)


def test_the_trail_reads_in_chinese() -> None:
    assert actor_zh("user:sec") == "用户 sec"
    assert actor_zh("import") == "导入"
    assert Change("附件", "（空）", "纪要.pdf").text == "附件：纪要.pdf"
    assert Change("主题", "甲", "乙").text == "主题：甲 → 乙"


def test_the_home_view_model_of_the_demo_branch(demo_store: Store, national: RulePack) -> None:
    check = run_check(demo_store, national, as_of=TODAY, since=dt.date(2025, 1, 1), org=BRANCH)
    stored = records.list_records(demo_store, orgs=sorted(check.registers.orgs))
    item = LedgerStore(demo_store).add(BRANCH, "会议记录不规范", by="insp", today=TODAY, now=NOW)
    view = branch_home(
        check,
        national,
        work_calendar(warn=lambda *a: None),
        BRANCH,
        parent=None,
        stored=stored,
        attachments={stored[-1].meeting.id or 0: 2},
        ledger=[item],
        may_edit=True,
    )
    assert view.org.name == "众创园区联合党支部"
    group_meeting = [o for o in view.current if o.subject == "商贸企业党小组"]
    assert [(o.rule, o.period, o.status_zh, o.due) for o in group_meeting] == [
        ("党小组会", "2026年11月", "进行中", "还剩 6 天")
    ]
    (themed,) = [o for o in view.current if o.rule == "主题党日"]
    assert themed.status_zh == "已落实"
    assert themed.scheduled == "11月10日（周二）09:00—11:00"
    assert ("支部委员会会议", "2026年10月") in [(o.rule, o.period) for o in view.missed]
    assert all(o.status is Status.MISSED for o in view.missed)
    assert [r.id for r in view.records][:1] == [stored[-1].meeting.id]  # newest first
    assert view.records[0].attachments == 2
    assert [(i.issue, i.status_zh) for i in view.ledger] == [("会议记录不规范", "待整改")]
    assert {label: n for _, label, n in view.totals}["未按期开展"] == len(view.missed)


def test_member_rules_are_summarised_and_a_past_open_period_stays_current(
    national: RulePack,
) -> None:
    branch = Org("B", "甲支部", OrgType.BRANCH)
    q4 = Period(Cadence.QUARTER, 2026, 4)
    q3 = Period(Cadence.QUARTER, 2026, 3)
    findings = [
        Finding("B", "M1", "dual_org_life", q4, Status.HELD, Evidence(1, 1, (5,))),
        Finding("B", "M2", "dual_org_life", q4, Status.OPEN),
        Finding("B", None, "party_lesson", q3, Status.OPEN),  # ended; still open (补开)
        Finding("B", None, "party_lesson", Period(Cadence.QUARTER, 2026, 2), Status.HELD),
    ]
    check = Check(TODAY, dt.date(2026, 1, 1), Registers(orgs={"B": branch}), findings)
    view = branch_home(
        check,
        national,
        work_calendar(warn=lambda *a: None),
        "B",
        parent=None,
        stored=[],
        attachments={},
        ledger=[],
        may_edit=False,
    )
    assert [(m.rule, m.period, [(z, n) for _, z, n in m.counts]) for m in view.members] == [
        ("双重组织生活", "2026年第四季度", [("已落实", 1), ("进行中", 1)])
    ]
    assert [(o.rule, o.period, o.status_zh) for o in view.current] == [
        ("党课", "2026年第三季度", "进行中")
    ]
    assert view.records == ()
    assert not view.more_records


# --- the pages ------------------------------------------------------------------------------


@pytest.fixture
def client(demo_store: Store, national: RulePack) -> Iterator[TestClient]:
    accounts = AccountStore(demo_store)
    accounts.add_user("sec", PASSWORD, Role.SECRETARY, BRANCH, now=NOW)
    accounts.add_user("view", PASSWORD, Role.VIEWER, "JD01-06", now=NOW)
    accounts.add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    state = AppState(demo_store, national, work_calendar(warn=lambda *a: None), clock=lambda: NOW)
    with TestClient(api_app(state), client=("10.1.1.3", 5000), follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, username: str) -> str:
    """Sign in through the form; the session's CSRF token."""
    reply = client.post(
        "/login", data={"username": username, "password": PASSWORD, "next": ""}, headers=HTML
    )
    assert reply.status_code == 303, reply.text
    return reply.headers["x-csrf-token"]


def counts(store: Store) -> tuple[int, int]:
    """(meeting records, attachment rows)."""
    with store.engine.connect() as conn:
        meetings = conn.execute(select(func.count()).select_from(MEETING_TABLE)).scalar_one()
        files = conn.execute(select(func.count()).select_from(ATTACHMENTS)).scalar_one()
    return int(meetings), int(files)


def good_form(csrf: str, **changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf": csrf,
        "org": G2,
        "kinds": ["group_meeting"],
        "date": "2026-11-23",
        "expected": "6",
        "attended": "",
        "topic": "学习党章",
        "attendees": ["M0118", "M0120", "M0124"],
    }
    form.update(changes)
    return form


def post_new(client: TestClient, form: dict[str, Any], files: list[Any] | None = None) -> Response:
    return client.post(f"/branch/{BRANCH}/records/new", data=form, files=files or [], headers=HTML)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_home_shows_due_obligations_misses_records_and_the_entry_button(
    client: TestClient, demo_store: Store
) -> None:
    item = LedgerStore(demo_store).add(G1, "签到表缺失", by="insp", today=TODAY, now=NOW)
    sign_in(client, "sec")
    reply = client.get(f"/branch/{BRANCH}", headers=HTML)
    assert reply.status_code == 200
    body = reply.text
    text = text_of(body)
    assert "<h1>众创园区联合党支部</h1>" in body
    assert "商贸企业党小组· 党小组会 进行中 2026年11月 截止11月30日 还剩 6 天" in text
    assert "活动日：11月10日（周二）09:00—11:00" in text
    assert "未按期开展 2026年10月 支部委员会会议" in text
    assert f'href="/ledger/{item.id}"' in body
    assert "签到表缺失" in text
    assert f'href="/branch/{BRANCH}/records/new"' in body
    assert 'href="/records/315"' in body  # the newest record first
    assert body.index('href="/records/315"') < body.index('href="/records/307"')
    assert "后补" in text
    assert body.count('class="record-link"') == 12  # the latest; a link lists them all
    every = client.get(f"/branch/{BRANCH}?records=all", headers=HTML).text
    assert f'href="/branch/{BRANCH}?records=all"' in body
    assert every.count('class="record-link"') == len(
        records.list_records(demo_store, orgs=[BRANCH, G1, G2], first=dt.date(2025, 1, 1))
    )
    assert '<link rel="stylesheet" href="/static/branch.css">' in body


def test_a_group_leads_to_its_branch_and_a_viewer_reads_without_the_button(
    client: TestClient,
) -> None:
    sign_in(client, "view")
    assert client.get(f"/branch/{G1}", headers=HTML).headers["location"] == f"/branch/{BRANCH}"
    reply = client.get(f"/branch/{BRANCH}", headers=HTML)
    assert reply.status_code == 200
    assert "/records/new" not in reply.text
    refused = client.get(f"/branch/{BRANCH}/records/new", headers=HTML)
    assert refused.status_code == 403
    assert "无权访问" in refused.text


def test_the_form_offers_the_roster_by_group_and_prefills_the_counts(client: TestClient) -> None:
    sign_in(client, "sec")
    reply = client.get(f"/branch/{BRANCH}/records/new", headers=HTML)
    assert reply.status_code == 200
    body = reply.text
    assert 'enctype="multipart/form-data"' in body
    assert 'type="file" id="attachments" name="attachments" multiple' in body
    assert 'accept=".jpg,.jpeg,.png,.pdf,.docx"' in body
    assert '<input type="hidden" name="csrf"' in body
    assert 'name="expected" min="0" inputmode="numeric" value="13"' in body  # 13 full members
    assert 'name="date" value="2026-11-24"' in body
    assert "<legend>科技企业党小组（8 人）</legend>" in body
    assert "<legend>商贸企业党小组（7 人）</legend>" in body
    assert body.count('name="attendees"') == 15
    assert body.count('name="kinds"') == len(re.findall(r'name="kinds" value="\w+"', body)) >= 8
    assert '<option value="M0118">丁洁</option>' in body  # the lecturer from the roster


def test_a_good_post_stores_one_record_and_each_file_and_shows_what_it_fulfilled(
    client: TestClient, demo_store: Store
) -> None:
    csrf = sign_in(client, "sec")
    before = counts(demo_store)
    files = [
        ("attachments", ("签到表.png", PNG, "image/png")),
        ("attachments", ("纪要.pdf", PDF, "application/pdf")),
        ("attachments", ("会议记录.docx", docx(), "application/octet-stream")),
    ]
    reply = post_new(client, good_form(csrf), files)
    assert reply.status_code == 303, text_of(reply.text)
    location = reply.headers["location"]
    record_id = int(re.fullmatch(r"/records/(\d+)\?saved=1", location)[1])  # type: ignore[index]
    assert counts(demo_store) == (before[0] + 1, before[1] + 3)
    stored = records.get_record(demo_store, record_id).meeting
    assert stored.org == G2
    assert stored.attended == 3  # 实到 left blank: the three ticked
    assert stored.attendees == ("M0118", "M0120", "M0124")

    page = client.get(location, headers=HTML)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "已保存" in text
    assert "已落实 ：党小组会 2026年11月" in text
    assert "丁洁、魏海涛、高辉" in text
    served = re.findall(r'href="/attachments/(\d+)">([^<]+)</a>', page.text)
    assert [name for _, name in served] == ["签到表.png", "纪要.pdf", "会议记录.docx"]
    kinds = {}
    for attachment_id, name in served:
        got = client.get(f"/attachments/{attachment_id}")
        assert got.status_code == 200
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["cache-control"] == "private"
        kinds[name] = (got.headers["content-type"], got.headers["content-disposition"], got.content)
    assert kinds["签到表.png"][0] == "image/png"
    assert kinds["签到表.png"][1].startswith("inline;")
    assert kinds["签到表.png"][2] == PNG
    assert kinds["纪要.pdf"][0] == "application/pdf"
    assert kinds["会议记录.docx"][0].startswith("application/vnd.openxmlformats")
    assert kinds["会议记录.docx"][1].startswith("attachment;")
    assert "filename*=UTF-8''%E4%BC%9A%E8%AE%AE%E8%AE%B0%E5%BD%95.docx" in kinds["会议记录.docx"][1]

    home = text_of(client.get(f"/branch/{BRANCH}", headers=HTML).text)
    assert "商贸企业党小组· 党小组会 已落实 2026年11月" in home


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kinds": []}, "kinds", "请至少选择一种会议类型"),
        ({"expected": ""}, "expected", "请填写应到人数"),
        ({"attended": "9"}, "attended", "实到"),  # more than the 6 expected
        ({"date": "2026-11-25"}, "date", "2026-11-25"),  # after today
        ({"for_period": "2026-12"}, "for_period", "晚于会议日期"),
        ({"org": "JD01-01"}, "org", "请选择开会的组织"),
    ],
)
def test_a_bad_field_is_refused_beside_the_field_with_the_values_kept_and_nothing_stored(
    client: TestClient, demo_store: Store, changes: dict[str, Any], field: str, message: str
) -> None:
    csrf = sign_in(client, "sec")
    before = counts(demo_store)
    reply = post_new(
        client, good_form(csrf, **changes), [("attachments", ("a.png", PNG, "image/png"))]
    )
    assert reply.status_code == 422
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', reply.text)
    assert error is not None, text_of(reply.text)
    assert message in error[1]
    assert counts(demo_store) == before
    assert 'value="学习党章"' in reply.text  # the topic kept
    assert re.search(r'value="M0120" checked', reply.text)  # the ticks kept


def test_a_file_that_is_not_what_its_name_says_refuses_the_whole_form(
    client: TestClient, demo_store: Store
) -> None:
    csrf = sign_in(client, "sec")
    before = counts(demo_store)
    files = [
        ("attachments", ("ok.png", PNG, "image/png")),
        ("attachments", ("photo.jpg", b"MZ\x90\x00 not a picture", "image/jpeg")),
    ]
    reply = post_new(client, good_form(csrf), files)
    assert reply.status_code == 422
    assert "photo.jpg" in reply.text
    assert "按文件内容判断" in reply.text
    assert counts(demo_store) == before


def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(
    client: TestClient, demo_store: Store
) -> None:
    sign_in(client, "sec")
    before = counts(demo_store)
    form = good_form("")
    del form["csrf"]
    reply = post_new(client, form, [("attachments", ("a.png", PNG, "image/png"))])
    assert reply.status_code == 403
    forged = post_new(client, good_form("forged"))
    assert forged.status_code == 403
    assert counts(demo_store) == before


def test_check_all_without_script_ticks_the_group_and_stores_nothing(
    client: TestClient, demo_store: Store
) -> None:
    csrf = sign_in(client, "sec")
    before = counts(demo_store)
    reply = post_new(client, good_form(csrf, attendees=[], check_all=G1))
    assert reply.status_code == 200
    ticked = set(re.findall(r'name="attendees" value="(\w+)" checked', reply.text))
    group = {m.id for m in demo_store.members([BRANCH]) if m.group == G1}
    assert ticked == group
    assert counts(demo_store) == before


def test_edit_and_delete_need_a_reason_and_appear_in_the_history(
    client: TestClient, demo_store: Store
) -> None:
    csrf = sign_in(client, "sec")
    record_id = 307  # the branch's November 主题党日
    form = client.get(f"/records/{record_id}/edit", headers=HTML)
    assert form.status_code == 200
    assert 'value="主题党日：冬季安全隐患排查"' in form.text
    assert 'value="themed_party_day" checked' in form.text
    values = {
        "csrf": csrf,
        "kinds": ["themed_party_day"],
        "date": "2026-11-10",
        "expected": "15",
        "attended": "11",
        "topic": "主题党日：冬季消防安全隐患排查",
        "attendees": ["M0118", "M0120"],
    }
    missing = client.post(f"/records/{record_id}/edit", data=values, headers=HTML)
    assert missing.status_code == 422
    assert "请填写修改原因" in missing.text
    assert records.get_record(demo_store, record_id).meeting.attended == 10
    saved = client.post(
        f"/records/{record_id}/edit", data={**values, "reason": "实到人数录错"}, headers=HTML
    )
    assert saved.status_code == 303
    assert records.get_record(demo_store, record_id).meeting.attended == 11
    page = text_of(client.get(f"/records/{record_id}", headers=HTML).text)
    assert "修改 2026-11-24 10:00 · 用户 sec 原因：实到人数录错" in page
    assert "实到人数：10 → 11" in page
    assert "主题：主题党日：冬季安全隐患排查 → 主题党日：冬季消防安全隐患排查" in page

    confirm = client.get(f"/records/{record_id}/delete", headers=HTML)
    assert confirm.status_code == 200
    assert "删除后它不再计入：主题党日 2026年11月" in text_of(confirm.text)
    refused = client.post(f"/records/{record_id}/delete", data={"csrf": csrf}, headers=HTML)
    assert refused.status_code == 422
    assert "请填写删除原因" in refused.text
    assert not records.get_record(demo_store, record_id).deleted
    gone = client.post(
        f"/records/{record_id}/delete", data={"csrf": csrf, "reason": "重复录入"}, headers=HTML
    )
    assert gone.status_code == 303
    assert records.get_record(demo_store, record_id).deleted
    page = text_of(client.get(f"/records/{record_id}", headers=HTML).text)
    assert "这条记录已删除" in page
    assert "删除 2026-11-24 10:00 · 用户 sec 原因：重复录入" in page
    assert "/records/307/edit" not in page
    home = text_of(client.get(f"/branch/{BRANCH}", headers=HTML).text)
    assert "主题党日 进行中 2026年11月" in home  # no longer held


def test_an_attachment_is_taken_off_with_a_reason(client: TestClient, demo_store: Store) -> None:
    csrf = sign_in(client, "sec")
    files = AttachmentStore(demo_store, data_dir_for(demo_store) / "attachments")
    added = files.add(Owner.MEETING, 307, BRANCH, "a.pdf", PDF, by="user:sec", now=NOW)
    without = client.post(f"/attachments/{added.id}/delete", data={"csrf": csrf}, headers=HTML)
    assert without.status_code == 422
    assert files.get(added.id) is not None
    done = client.post(
        f"/attachments/{added.id}/delete", data={"csrf": csrf, "reason": "传错文件"}, headers=HTML
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/records/307"
    assert files.get(added.id) is None
    assert client.get(f"/attachments/{added.id}").status_code == 404
    assert "删除附件" in text_of(client.get("/records/307", headers=HTML).text)


def test_another_branchs_page_record_and_attachment_are_the_404_of_a_missing_one(
    client: TestClient, demo_store: Store
) -> None:
    other = records.list_records(demo_store, orgs=["JD01-01"])[-1].meeting
    assert other.id is not None
    files = AttachmentStore(demo_store, data_dir_for(demo_store) / "attachments")
    attached = files.add(Owner.MEETING, other.id, "JD01-01", "a.png", PNG, by="t", now=NOW)
    ledger = files.add(Owner.LEDGER, 1, "JD01-01", "b.png", PNG, by="t", now=NOW)
    sign_in(client, "sec")
    missing = client.get("/records/99999999", headers=HTML)
    assert missing.status_code == 404
    for path in (
        "/branch/JD01-01",
        f"/records/{other.id}",
        f"/records/{other.id}/edit",
        f"/attachments/{attached.id}",
        f"/attachments/{ledger.id}",
        "/branch/JD01-01/records/new",
    ):
        reply = client.get(path, headers=HTML)
        assert reply.status_code == 404, path
        assert reply.text == missing.text, path
    sign_in(client, "street")  # the street's inspector sees both
    assert client.get(f"/attachments/{attached.id}").status_code == 200
    assert client.get(f"/attachments/{ledger.id}").content == PNG
