"""The ledger's pages (问题台账) and the monthly summary page, through the session cookie and
the forms' CSRF token: the board's filters and counts, an item with its trail and attachments,
整改 / 销号 / 退回 / 明察暗访 / 回头看 with their refusals, who may do what, and the summary with
its downloads. Also the API's new ``POST /api/v1/ledger/{id}/return``."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.attachments import AttachmentStore, Owner
from monitor.check import run_check, update_ledger
from monitor.core.domain import Org, OrgType
from monitor.core.rules import RulePack
from monitor.http.pages.ledger import (
    Filters,
    actor_label,
    board,
    overdue_days,
    parse_filters,
    parse_id,
    subtree_of,
)
from monitor.http.pages.summary import default_month, month_choices
from monitor.http.state import data_dir_for
from monitor.ledger.model import LedgerItem, LedgerSource, LedgerStatus
from monitor.ledger.store import LedgerStore
from monitor.store import Store
from tests.test_api import NOW, PASSWORD, Clock, build_app

# Pages over store calls the store, API and authorization tests run on both backends.
pytestmark = pytest.mark.sqlite_only

HTML = {"Accept": "text/html"}
AS_OF = dt.date(2026, 11, 24)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
USERS = {
    "admin": (Role.ADMIN, None),
    "street": (Role.INSPECTOR, "JD01"),
    "sec": (Role.SECRETARY, "JD01-06-01"),
    "other": (Role.SECRETARY, "JD01-01"),
    "view": (Role.VIEWER, "JD01-06"),
}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger_store(demo_store: Store, national: RulePack) -> Store:
    """The demo district judged on 2026-11-24, its 36 misses in the ledger."""
    check = run_check(demo_store, national, as_of=AS_OF, with_records=False)
    update_ledger(demo_store, national, check, today=AS_OF, now=NOW)
    accounts = AccountStore(demo_store)
    for name, (role, org) in USERS.items():
        accounts.add_user(name, PASSWORD, role, org, now=NOW)
    return demo_store


@pytest.fixture
def client(ledger_store: Store, national: RulePack, clock: Clock) -> Iterator[TestClient]:
    app = build_app(ledger_store, national, clock)
    with TestClient(app, client=("10.4.4.4", 5000), follow_redirects=False) as c:
        yield c


Files = list[tuple[str, tuple[str, bytes]]]


class Session:
    """A browser's session: the cookie (kept by the client) and the page's CSRF token."""

    def __init__(self, client: TestClient, username: str) -> None:
        client.cookies.clear()
        reply = client.post(
            "/login", data={"username": username, "password": PASSWORD, "next": ""}, headers=HTML
        )
        assert reply.status_code == 303, reply.text
        self.client = client
        self.csrf = reply.headers["x-csrf-token"]

    def get(self, path: str, **params: str) -> Response:
        return self.client.get(path, params=params, headers=HTML)

    def post(self, path: str, data: dict[str, str], files: Files | None = None) -> Response:
        body = {"csrf": self.csrf, **data}
        if files:
            return self.client.post(path, data=body, files=files, headers=HTML)
        return self.client.post(path, data=body, headers=HTML)


def item_of(store: Store, org: str, rule: str, period: str) -> LedgerItem:
    (item,) = [i for i in LedgerStore(store).items([org]) if (i.rule, i.period) == (rule, period)]
    return item


def attachments(store: Store) -> AttachmentStore:
    """The attachments as the app keeps them (under the test's ``ORGLIFE_DATA_DIR``)."""
    return AttachmentStore(store, data_dir_for(store) / "attachments")


def state_of(store: Store) -> tuple[object, ...]:
    """Everything a refused form must leave as it was."""
    ledger = LedgerStore(store)
    items = ledger.items()
    return items, ledger.events(), attachments(store).of(Owner.LEDGER, [i.id for i in items])


def counts(page: str) -> dict[str, int]:
    """The board's counts per status, as shown on top."""
    found = re.findall(
        r"<span>(全部|待整改|整改中|逾期未整改|已销号)</span> <strong>(\d+)</strong>", page
    )
    return {label: int(n) for label, n in found}


def item_ids(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'<td data-label="编号"><a href="/ledger/(\d+)">', page)}


# --- pure helpers ------------------------------------------------------------------------


def _org(code: str, parent: str | None, kind: OrgType = OrgType.BRANCH) -> Org:
    return Org(code=code, name=code, type=kind, parent=parent)


def _item(id: int, org: str, status: LedgerStatus, issue: str = "会议记录不规范") -> LedgerItem:
    return LedgerItem(
        id=id,
        org=org,
        member=None,
        rule=None,
        period=None,
        source=LedgerSource.INSPECTION if id % 2 else LedgerSource.FINDING,
        issue=issue,
        opened=AS_OF,
        deadline=AS_OF + dt.timedelta(days=id),
        status=status,
    )


def test_the_filters_are_read_leniently_and_written_back_as_links() -> None:
    filters = parse_filters({"status": "rectifying", "org": " B1 ", "source": "bogus", "q": " 会 "})
    assert filters == Filters(LedgerStatus.RECTIFYING, "B1", None, "会")
    assert parse_filters({"status": "nonsense"}).status is None
    assert filters.href(status=None) == "/ledger?org=B1&q=%E4%BC%9A"
    assert Filters().href() == "/ledger"


def test_the_board_counts_what_each_status_link_shows_and_groups_by_status() -> None:
    orgs = [
        _org("C", None, OrgType.COMMITTEE),
        _org("B1", "C"),
        _org("B1-G1", "B1", OrgType.GROUP),
        _org("B2", "C"),
    ]
    assert subtree_of(orgs, "B1") == {"B1", "B1-G1"}
    items = [
        _item(1, "B1", LedgerStatus.OPEN),
        _item(2, "B1-G1", LedgerStatus.RECTIFYING, "党小组会未开"),
        _item(3, "B2", LedgerStatus.OVERDUE),
        _item(4, "B1", LedgerStatus.CLEARED),
    ]
    view = board(items, {}, orgs, {}, Filters(org="B1"), AS_OF)
    assert [(c.label, c.count) for c in view.counts] == [
        ("全部", 3),
        ("逾期未整改", 0),
        ("待整改", 1),
        ("整改中", 1),
        ("已销号", 1),
    ]
    assert [(g.label, [r.id for r in g.rows]) for g in view.groups] == [
        ("待整改", [1]),
        ("整改中", [2]),
        ("已销号", [4]),
    ]
    narrowed = board(items, {}, orgs, {}, Filters(status=LedgerStatus.OPEN, text="会议"), AS_OF)
    assert [r.id for g in narrowed.groups for r in g.rows] == [1]
    assert narrowed.counts[0].count == 3  # 全部: the items matching the text, any status
    capped = board(items, {}, orgs, {}, Filters(), AS_OF, limit=2)
    assert (capped.matched, capped.shown) == (4, 2)
    sourced = board(items, {}, orgs, {}, Filters(source=LedgerSource.INSPECTION), AS_OF)
    assert sorted(r.id for g in sourced.groups for r in g.rows) == [1, 3]


def test_days_overdue_count_only_for_unrectified_items_past_their_deadline() -> None:
    late = _item(2, "B1", LedgerStatus.OVERDUE)  # deadline AS_OF + 2
    assert overdue_days(late, AS_OF + dt.timedelta(days=5)) == 3
    assert overdue_days(late, AS_OF + dt.timedelta(days=2)) == 0
    rectifying = _item(2, "B1", LedgerStatus.RECTIFYING)
    assert overdue_days(rectifying, AS_OF + dt.timedelta(days=5)) == 0
    assert (actor_label("user:street"), actor_label("system"), actor_label("督查组")) == (
        "street",
        "系统",
        "督查组",
    )
    assert [parse_id(t) for t in ("12", "0", "x", "99999999999", "-1")] == [
        12,
        None,
        None,
        None,
        None,
    ]


def test_the_summary_defaults_to_the_last_complete_month() -> None:
    assert default_month(dt.date(2026, 12, 1)).label == "2026-11"
    assert default_month(dt.date(2026, 1, 15)).label == "2025-12"
    months = month_choices(dt.date(2026, 11, 24), 3)
    assert [m.label for m in months] == ["2026-11", "2026-10", "2026-09"]


# --- the board -----------------------------------------------------------------------------


def test_the_board_shows_the_scope_with_counts_and_filters(
    client: TestClient, ledger_store: Store
) -> None:
    everything = LedgerStore(ledger_store).items()
    street = Session(client, "street")
    page = street.get("/ledger")
    assert page.status_code == 200, page.text
    assert counts(page.text) == {
        "全部": 36,
        "逾期未整改": 0,
        "待整改": 36,
        "整改中": 0,
        "已销号": 0,
    }
    assert item_ids(page.text) == {i.id for i in everything}
    assert '<link rel="stylesheet" href="/static/ledger.css">' in page.text
    assert "明察暗访登记" in page.text
    assert "回头看" in page.text

    in_zone = {i.id for i in everything if i.org.startswith("JD01-06")}
    zone = street.get("/ledger", org="JD01-06")
    assert item_ids(zone.text) == in_zone
    assert counts(zone.text)["全部"] == len(in_zone)
    assert '<option value="JD01-06" selected>' in zone.text

    rectified = item_of(ledger_store, "JD01-06-01", "party_lesson", "2026-Q3")
    LedgerStore(ledger_store).rectify(rectified.id, "已补上党课", by="李书记", now=NOW)
    found = LedgerStore(ledger_store).add(
        "JD01-06-02", "会议记录不规范", by="x", today=AS_OF, now=NOW
    )
    by_status = street.get("/ledger", status="rectifying")
    assert item_ids(by_status.text) == {rectified.id}
    assert counts(by_status.text)["整改中"] == 1
    assert item_ids(street.get("/ledger", source="inspection").text) == {found.id}
    groups = {i.id for i in everything if i.issue.startswith("党小组会")}
    assert item_ids(street.get("/ledger", q="党小组会").text) == groups

    sec = Session(client, "sec")
    own = {i.id for i in LedgerStore(ledger_store).items(ledger_store.subtree("JD01-06-01"))}
    mine = sec.get("/ledger")
    assert item_ids(mine.text) == own
    assert "明察暗访登记" not in mine.text  # a secretary does not manage the ledger
    assert sec.get("/ledger", org="JD01-01").status_code == 404
    assert sec.get("/ledger", org="NO-SUCH").status_code == 404


# --- an item ---------------------------------------------------------------------------


def test_an_item_page_shows_the_item_and_its_trail(client: TestClient, ledger_store: Store) -> None:
    item = item_of(ledger_store, "JD01-06-01", "party_lesson", "2026-Q3")
    page = Session(client, "view").get(f"/ledger/{item.id}")
    assert page.status_code == 200, page.text
    text = page.text
    for shown in ("众创园区联合党支部", "党课", "2026年第三季度", "系统监测", "待整改", "12月24日"):
        assert shown in text, shown
    assert '<td data-label="操作">登记</td>' in text
    assert '<td data-label="操作人">系统</td>' in text
    # A viewer sees no forms.
    assert "登记整改" not in text
    assert "销号</button>" not in text
    assert Session(client, "view").get("/ledger/987654").status_code == 404
    assert Session(client, "view").get("/ledger/abc").status_code == 404


def test_rectify_with_a_note_and_an_attachment_stores_both(
    client: TestClient, ledger_store: Store
) -> None:
    item = item_of(ledger_store, "JD01-06-01", "party_lesson", "2026-Q3")
    sec = Session(client, "sec")
    form = sec.get(f"/ledger/{item.id}").text
    assert f'action="/ledger/{item.id}/rectify" enctype="multipart/form-data"' in form
    assert f'name="csrf" value="{sec.csrf}"' in form
    done = sec.post(
        f"/ledger/{item.id}/rectify",
        {"note": "已于11月26日补上党课"},
        files=[("files", ("签到表.png", PNG)), ("files", ("", b""))],  # one left empty
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/ledger/{item.id}?done=rectified"
    after = LedgerStore(ledger_store).item(item.id)
    assert (after.status, after.rectification) == (LedgerStatus.RECTIFYING, "已于11月26日补上党课")
    assert LedgerStore(ledger_store).events(item.id)[-1].actor == "user:sec"
    page = sec.get(f"/ledger/{item.id}", done="rectified").text
    assert "已登记整改情况" in page
    (stored,) = re.findall(r'<a href="/attachments/(\d+)">签到表.png</a>', page)
    assert "PNG 图片" in page
    attachment = attachments(ledger_store).get(int(stored))
    assert attachment is not None
    assert (attachment.owner, attachment.owner_id, attachment.org) == (
        Owner.LEDGER,
        item.id,
        "JD01-06-01",
    )


def test_rectify_with_a_refused_file_or_no_note_stores_nothing(
    client: TestClient, ledger_store: Store
) -> None:
    item = item_of(ledger_store, "JD01-06-01", "party_lesson", "2026-Q3")
    sec = Session(client, "sec")
    before = state_of(ledger_store)
    refused = sec.post(
        f"/ledger/{item.id}/rectify",
        {"note": "已补上党课"},
        files=[("files", ("good.png", PNG)), ("files", ("photo.png", b"not a picture at all"))],
    )
    assert refused.status_code == 422
    assert "附件“photo.png”的内容不是" in refused.text
    assert "已补上党课</textarea>" in refused.text  # the form is refilled
    empty = sec.post(f"/ledger/{item.id}/rectify", {"note": "  "})
    assert empty.status_code == 422
    assert '<p class="field-error">请写明整改情况' in empty.text
    assert state_of(ledger_store) == before


def test_an_inspector_clears_a_rectified_item(client: TestClient, ledger_store: Store) -> None:
    item = item_of(ledger_store, "JD01-06-01", "party_lesson", "2026-Q3")
    street = Session(client, "street")
    early = street.post(f"/ledger/{item.id}/clear", {"note": ""})
    assert early.status_code == 409
    assert "尚未登记整改情况，不能销号" in early.text
    LedgerStore(ledger_store).rectify(item.id, "已补上党课", by="李书记", now=NOW)
    page = street.get(f"/ledger/{item.id}").text
    assert f'action="/ledger/{item.id}/clear"' in page
    assert f'action="/ledger/{item.id}/return"' in page
    done = street.post(f"/ledger/{item.id}/clear", {"note": "现场核实"})
    assert done.status_code == 303
    after = LedgerStore(ledger_store).item(item.id)
    assert (after.status, after.cleared) == (LedgerStatus.CLEARED, AS_OF)
    shown = street.get(f"/ledger/{item.id}", done="cleared").text
    assert "已销号" in shown
    assert "现场核实" in shown


def test_send_back_moves_a_rectifying_item_to_open_then_overdue_past_its_deadline(
    client: TestClient, ledger_store: Store, clock: Clock
) -> None:
    first = item_of(ledger_store, "JD01-06-01", "party_lesson", "2026-Q3")
    second = item_of(ledger_store, "JD01-06-01", "branch_general_meeting", "2026-Q3")
    for item in (first, second):
        LedgerStore(ledger_store).rectify(item.id, "已补开", by="李书记", now=NOW)
    street = Session(client, "street")
    blank = street.post(f"/ledger/{first.id}/return", {"note": ""})
    assert blank.status_code == 422
    assert "请写明退回理由" in blank.text
    assert LedgerStore(ledger_store).item(first.id).status is LedgerStatus.RECTIFYING
    back = street.post(f"/ledger/{first.id}/return", {"note": "未附会议记录"})
    assert back.status_code == 303
    assert back.headers["location"] == f"/ledger/{first.id}?done=returned"
    assert LedgerStore(ledger_store).item(first.id).status is LedgerStatus.OPEN
    page = street.get(f"/ledger/{first.id}").text
    assert '<td data-label="操作">退回</td>' in page
    assert '<td data-label="状态变化">整改中 → 待整改</td>' in page
    assert "未附会议记录" in page

    clock.now = NOW + dt.timedelta(days=40)  # past the deadline of 2026-12-24
    street = Session(client, "street")
    assert street.post(f"/ledger/{second.id}/return", {"note": "整改不实"}).status_code == 303
    assert LedgerStore(ledger_store).item(second.id).status is LedgerStatus.OVERDUE
    assert "已逾期10天" in street.get(f"/ledger/{second.id}").text


def test_an_on_site_finding_is_added_and_a_bad_deadline_stores_nothing(
    client: TestClient, ledger_store: Store
) -> None:
    street = Session(client, "street")
    form = street.get("/ledger/new")
    assert form.status_code == 200
    assert 'value="2026-12-24"' in form.text  # the default deadline: 30 days on
    assert '<option value="JD01-06-01">众创园区联合党支部（党支部）</option>' in form.text
    before = state_of(ledger_store)
    for deadline, said in (("2026-11-01", "早于今天"), ("明天", "整改期限应为日期")):
        bad = street.post(
            "/ledger/new", {"org": "JD01-06-01", "issue": "会议记录不规范", "deadline": deadline}
        )
        assert bad.status_code == 422
        assert said in bad.text
        assert "会议记录不规范</textarea>" in bad.text
        assert '<option value="JD01-06-01" selected>' in bad.text
    wrong_period = street.post(
        "/ledger/new", {"org": "JD01-06-01", "issue": "记录不全", "period": "2026-13"}
    )
    assert wrong_period.status_code == 422
    assert state_of(ledger_store) == before
    added = street.post(
        "/ledger/new",
        {
            "org": "JD01-06-01",
            "issue": "会议记录不规范",
            "rule": "themed_party_day",
            "period": "2026-11",
            "deadline": "2026-12-10",
        },
    )
    assert added.status_code == 303, added.text
    new_id = int(added.headers["location"].split("/")[-1].split("?")[0])
    item = LedgerStore(ledger_store).item(new_id)
    assert (item.org, item.source, item.rule, item.period, item.deadline) == (
        "JD01-06-01",
        LedgerSource.INSPECTION,
        "themed_party_day",
        "2026-11",
        dt.date(2026, 12, 10),
    )
    assert LedgerStore(ledger_store).events(new_id)[-1].actor == "user:street"
    view = Session(client, "view")
    assert view.get("/ledger/new").status_code == 403
    street = Session(client, "street")
    assert street.post("/ledger/new", {"org": "JD02", "issue": "x"}).status_code == 404


def test_the_look_back_reopens_an_item_missed_again(
    client: TestClient, ledger_store: Store
) -> None:
    group = "JD01-06-01-G1"  # missed its meeting in Feb, Apr, Jul, Aug and Oct
    recurred = item_of(ledger_store, group, "party_group_meeting", "2026-02")  # Apr: 2 later
    kept = item_of(ledger_store, group, "party_group_meeting", "2026-04")  # Jul: 3 later
    for item in (recurred, kept):
        LedgerStore(ledger_store).rectify(item.id, "已补开", by="李书记", now=NOW)
        LedgerStore(ledger_store).clear(item.id, by="督查组", today=AS_OF, now=NOW)
    street = Session(client, "street")
    page = street.post("/ledger/review", {})
    assert page.status_code == 200, page.text
    assert "复查已销号问题 2 项，重新打开 1 项" in page.text
    assert f'<a href="/ledger/{recurred.id}">#{recurred.id}</a>' in page.text
    assert "回头看：2026-04（2026年4月）再次未按期开展" in page.text
    assert LedgerStore(ledger_store).item(recurred.id).status is LedgerStatus.OPEN
    assert LedgerStore(ledger_store).item(kept.id).status is LedgerStatus.CLEARED
    assert LedgerStore(ledger_store).events(recurred.id)[-1].actor == "user:street"
    again = street.post("/ledger/review", {"org": "JD01-06"})
    assert "复查已销号问题 1 项，重新打开 0 项" in again.text
    assert Session(client, "view").post("/ledger/review", {}).status_code == 403


def test_a_secretary_rectifies_own_items_only_and_may_not_manage_the_ledger(
    client: TestClient, ledger_store: Store
) -> None:
    mine = item_of(ledger_store, "JD01-06-01", "party_lesson", "2026-Q3")
    (theirs, *_) = LedgerStore(ledger_store).items(ledger_store.subtree("JD01-01"))
    sec = Session(client, "sec")
    assert sec.post(f"/ledger/{mine.id}/rectify", {"note": "已补上党课"}).status_code == 303
    page = sec.get(f"/ledger/{mine.id}").text
    assert "整改中" in page
    assert f'action="/ledger/{mine.id}/clear"' not in page
    for path, data in (
        (f"/ledger/{mine.id}/clear", {}),
        (f"/ledger/{mine.id}/return", {"note": "不行"}),
        ("/ledger/new", {"org": "JD01-06-01", "issue": "x"}),
        ("/ledger/review", {}),
    ):
        refused = sec.post(path, data)
        assert refused.status_code == 403, path
        assert "无权访问" in refused.text
    assert sec.get("/ledger/new").status_code == 403
    assert LedgerStore(ledger_store).item(mine.id).status is LedgerStatus.RECTIFYING
    assert sec.get(f"/ledger/{theirs.id}").status_code == 404
    missing = sec.get("/ledger/987654")
    assert sec.get(f"/ledger/{theirs.id}").text == missing.text
    assert sec.post(f"/ledger/{theirs.id}/rectify", {"note": "越权"}).status_code == 404
    assert LedgerStore(ledger_store).item(theirs.id).status is LedgerStatus.OPEN


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, ledger_store: Store) -> None:
    item = item_of(ledger_store, "JD01-06-01", "party_lesson", "2026-Q3")
    Session(client, "sec")
    forged = client.post(f"/ledger/{item.id}/rectify", data={"note": "x"}, headers=HTML)
    assert forged.status_code == 403
    assert LedgerStore(ledger_store).item(item.id).status is LedgerStatus.OPEN


# --- the API's send-back -----------------------------------------------------------------


def test_the_api_sends_a_rectification_back(client: TestClient, ledger_store: Store) -> None:
    item = item_of(ledger_store, "JD01-06-01", "party_lesson", "2026-Q3")
    client.cookies.clear()

    def bearer(name: str) -> dict[str, str]:
        value, _ = AccountStore(ledger_store).create_token(name, "t", now=NOW)
        return {"Authorization": f"Bearer {value}"}

    street, sec = bearer("street"), bearer("sec")
    url = f"/api/v1/ledger/{item.id}/return"
    assert client.post(url, json={"note": "缺记录"}, headers=street).status_code == 409
    client.post(f"/api/v1/ledger/{item.id}/rectify", json={"note": "已补开"}, headers=sec)
    assert client.post(url, json={"note": "缺记录"}, headers=sec).status_code == 403
    blank = client.post(url, json={"note": " "}, headers=street)
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "note"
    done = client.post(url, json={"note": "缺记录"}, headers=street)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["rectification"]) == ("open", None)
    trail = client.get(f"/api/v1/ledger/{item.id}/history", headers=street).json()
    assert (trail[-1]["action"], trail[-1]["action_zh"], trail[-1]["actor"]) == (
        "returned",
        "退回",
        "user:street",
    )


# --- the monthly summary ---------------------------------------------------------------


def test_the_summary_page_shows_the_report_and_its_downloads(
    client: TestClient, ledger_store: Store
) -> None:
    view = Session(client, "view")
    start = view.get("/summary")
    assert start.status_code == 303
    assert start.headers["location"] == "/summary/JD01-06/2026-10"
    page = view.get("/summary/JD01-06/2026-10")
    assert page.status_code == 200, page.text
    text = page.text
    assert "<h1>幸福街道社会组织党总支2026年10月组织生活检查通报</h1>" in text
    for section in ("一、总体情况", "三、各支部落实率排名", "七、问题台账"):
        assert section in text
    assert "<style>" not in text  # the site's stylesheet lays it out (CSP: no inline style)
    for fmt in ("xlsx", "docx", "html"):
        assert f'href="/api/v1/reports/2026-10?org=JD01-06&amp;format={fmt}"' in text
    assert '<option value="2026-09">2026年9月</option>' in text
    picked = view.get("/summary", org="JD01-06", month="2026-09")
    assert picked.headers["location"] == "/summary/JD01-06/2026-09"
    # The downloads open with the session cookie alone (a GET needs no CSRF token).
    xlsx = client.get("/api/v1/reports/2026-10", params={"org": "JD01-06", "format": "xlsx"})
    assert xlsx.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(xlsx.content)).namelist()
    printable = client.get("/api/v1/reports/2026-10", params={"org": "JD01-06", "format": "html"})
    assert printable.status_code == 200
    assert "幸福街道社会组织党总支2026年10月组织生活检查通报" in printable.text


def test_the_summary_is_refused_to_a_secretary_and_missing_outside_the_scope(
    client: TestClient,
) -> None:
    sec = Session(client, "sec")
    assert sec.get("/summary").status_code == 403
    assert sec.get("/summary/JD01-06-01/2026-10").status_code == 403
    view = Session(client, "view")
    assert view.get("/summary/JD01-01/2026-10").status_code == 404
    assert view.get("/summary/JD01-06/2026-13").status_code == 404
    assert view.get("/summary/JD01-06/2027-01").status_code == 404  # not begun yet
    admin = Session(client, "admin")
    assert admin.get("/summary").headers["location"] == "/summary/JD01/2026-10"
    assert admin.get("/summary/NO-SUCH/2026-10").status_code == 404
