"""The inspector's dashboard (/dashboard/{code}) and a finding's evidence: the view-model on a
small hand-made register (figures, heat-map states, ranking, the summary's weak-and-lax rule,
child rows for a large subtree), and through the app on the demo district: the page, the
evidence page and its htmx fragment, the scope (404 outside), and the cache following the
registers' revision."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from monitor.accounts.model import Role
from monitor.accounts.store import AccountStore
from monitor.check import Check
from monitor.core.domain import Meeting, Org, OrgType
from monitor.core.evaluator import Evaluator, Window, registers_from, tally_meetings
from monitor.core.rules import RulePack
from monitor.http.pages import dashboard_model
from monitor.http.pages.dashboard_cache import cache_of
from monitor.http.pages.dashboard_model import (
    Dashboard,
    build_dashboard,
    child_of,
    late_months,
    months_of,
    short_label,
    window_since,
)
from monitor.ledger.store import LedgerStore
from monitor.reporting.summary import RecordDates, summarise
from monitor.store import Store
from monitor.store.exemptions import add_exemption
from tests.test_api import NOW, PASSWORD, Clock, build_app

# Pages over store calls the store, API and authorization tests run on both backends.
pytestmark = pytest.mark.sqlite_only

D = dt.date
TODAY = D(2026, 11, 20)
HTML = {"Accept": "text/html"}

# A street: one branch of its own (with a party group) and a general branch of two branches.
ORGS = [
    Org("S", "示范街道党工委", OrgType.COMMITTEE, None, D(2000, 1, 1)),
    Org("B1", "幸福社区党支部", OrgType.BRANCH, "S", D(2010, 1, 1), has_committee=False),
    Org("B1-G1", "幸福社区第一党小组", OrgType.GROUP, "B1", D(2010, 1, 1)),
    Org("Z", "社会组织党总支", OrgType.GENERAL_BRANCH, "S", D(2010, 1, 1)),
    Org("Z1", "众创园区党支部", OrgType.BRANCH, "Z", D(2010, 1, 1), has_committee=False),
    Org("Z2", "社工中心党支部", OrgType.BRANCH, "Z", D(2010, 1, 1), has_committee=False),
]


def themed(org: str, day: dt.date, record: int, recorded: dt.date | None = None) -> Meeting:
    return Meeting(org, frozenset({"themed_party_day"}), day, recorded=recorded or day, id=record)


def meetings() -> list[Meeting]:
    """主题党日: B1 every month; Z1 misses September and October; Z2's October one was entered
    on 10 November (after the grace of 5 November, 21 days late: a late entry)."""
    found = []
    for n, month in enumerate(range(1, 12)):
        found.append(themed("B1", D(2026, month, 12), 100 + n))
        if month not in (9, 10):
            found.append(themed("Z1", D(2026, month, 12), 200 + n))
        if month != 11:
            recorded = D(2026, 11, 10) if month == 10 else None
            found.append(themed("Z2", D(2026, month, 20), 300 + n, recorded))
    # B1's party group meets every month but October.
    for n, month in enumerate(range(1, 12)):
        if month != 10:
            found.append(
                Meeting("B1-G1", frozenset({"group_meeting"}), D(2026, month, 5), id=400 + n)
            )
    return found


def view_of(pack: RulePack, records: list[Meeting], code: str = "S") -> Dashboard:
    """The dashboard as the route computes it, from the pure evaluator's check."""
    window = Window.for_(TODAY, window_since(pack, TODAY))
    registers = registers_from(ORGS, (), pack, window)
    tallies = tally_meetings(pack, window, ORGS, (), records)
    check = Check(
        window.as_of,
        window.since,
        registers,
        list(Evaluator(pack, window).evaluate(registers, tallies)),
    )
    late = {
        m.id: RecordDates(m.org, m.date, m.recorded)
        for m in records
        if m.id is not None and m.recorded is not None and (m.recorded - m.date).days > 7
    }
    current, last = months_of(TODAY)
    summaries = [
        summarise(check, pack, org=code, month=month, late_records=late)
        for month in (current, last)
    ]
    subtree = [code, *child_of(code, {o.code: o for o in ORGS}, [o.code for o in ORGS])]
    return build_dashboard(
        check, pack, code=code, subtree=subtree, current=summaries[0], last=summaries[1], late=late
    )


def cell(view: Dashboard, row: str, rule: str, period: str) -> dashboard_model.Cell:
    [found] = [r for r in view.rows if r.code == row]
    index = [i for i, c in enumerate(view.columns) if c.rule == rule and c.period.label == period]
    assert index, (rule, period)
    return found.cells[index[0]]


# --- the view-model -----------------------------------------------------------------------


def test_the_headline_figures_are_the_monthly_summarys(national: RulePack) -> None:
    view = view_of(national, meetings())
    assert view.name == "示范街道党工委"
    assert view.type_zh == "党委"
    assert view.branches == 3
    # October (the last month): 主题党日 held by B1 and Z2 (late), missed by Z1; B1's group
    # missed its meeting. Held 2, missed 2 → 50%.
    assert view.last.label == "2026年10月"
    assert (view.last.figures.held, view.last.figures.missed) == (2, 2)
    assert view.last.rate == "50.0%"
    assert view.last.late_entries == 1  # Z2's October record
    # November is still open for Z2 (no record yet) and held for the others.
    assert view.current.label == "2026年11月"
    assert view.current.figures.missed == 0
    assert view.current.figures.open >= 1


def test_the_heat_map_shows_each_branchs_worst_state_with_evidence_links(
    national: RulePack,
) -> None:
    view = view_of(national, meetings())
    assert view.by_branch
    assert [r.code for r in view.rows] == ["B1", "Z1", "Z2"]
    assert [(r.note, r.note_url) for r in view.rows] == [
        ("", None),
        ("社会组织党总支", "/dashboard/Z"),
        ("社会组织党总支", "/dashboard/Z"),
    ]
    assert [(c.name, c.type_zh, c.url, c.branches) for c in view.children] == [
        ("社会组织党总支", "党总支", "/dashboard/Z", 2)
    ]
    # Six months of monthly rules, June to November.
    months = [c.period.label for c in view.columns if c.rule == "themed_party_day"]
    assert months == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert [c.label for c in view.columns if c.rule == "branch_general_meeting"] == [
        "二季度",
        "三季度",
        "四季度",
    ]
    assert "branch_committee_meeting" in {c.rule for c in view.columns}
    assert "dual_org_life" not in {c.rule for c in view.columns}  # a cadre's, not a branch's
    missed = cell(view, "Z1", "themed_party_day", "2026-10")
    assert (missed.state, missed.label, missed.mark) == ("missed", "未按期开展", "缺")
    assert missed.href == "/dashboard/S/evidence?org=Z1&rule=themed_party_day&period=2026-10"
    assert missed.title == "主题党日 2026年10月：未按期开展"
    assert cell(view, "Z2", "themed_party_day", "2026-10").state == "late"
    assert cell(view, "B1", "themed_party_day", "2026-10").label == "已落实"
    assert cell(view, "Z2", "themed_party_day", "2026-11").label == "进行中"
    # The branch's cell carries its party group's miss.
    assert cell(view, "B1", "party_group_meeting", "2026-10").state == "missed"
    assert cell(view, "B1", "party_group_meeting", "2026-09").state == "held"
    # No group, no party-group finding: an empty cell without a link.
    empty = cell(view, "Z1", "party_group_meeting", "2026-10")
    assert (empty.state, empty.href) == ("none", None)


def test_the_ranking_is_worst_first_and_the_candidates_follow_the_summarys_rule(
    national: RulePack,
) -> None:
    view = view_of(national, meetings())
    assert view.ranking_month == "2026年10月"
    # October: Z1 0% (1 miss), B1 50% (its group's miss), Z2 100% (with a late entry).
    assert [(r.code, r.rate, r.missed) for r in view.ranking] == [
        ("Z1", "0.0%", 1),
        ("B1", "50.0%", 1),
        ("Z2", "100.0%", 0),
    ]
    assert view.ranking[2].late_entries == 1
    # ceil(10% of 3) = 1 candidate: the worst, with a miss.
    assert view.weak_cut == 1
    assert [w.code for w in view.weak] == ["Z1"]
    assert [r.weak for r in view.ranking] == [True, False, False]
    assert view.weak[0].parent == "社会组织党总支"
    assert (view.weak_total, view.weak_tied_total) == (1, 0)


def test_a_large_subtree_shows_its_children_aggregated(
    national: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard_model, "BRANCH_ROWS_MAX", 2)
    view = view_of(national, meetings())
    assert not view.by_branch
    assert [(r.code, r.note, r.url) for r in view.rows] == [
        ("B1", "", "/branch/B1"),
        ("Z", "2个党支部", "/dashboard/Z"),
    ]
    october = cell(view, "Z", "themed_party_day", "2026-10")
    assert (october.state, october.mark, october.label) == ("missed", "1", "1个未按期开展")
    assert october.level == 3  # one of two branches: more than 15%
    assert october.title == "主题党日 2026年10月：2个党支部中1个未按期开展（50.0%）"
    assert october.href == "/dashboard/Z"  # drills down, not to one finding
    assert cell(view, "B1", "themed_party_day", "2026-10").href is not None  # a branch child
    # The children by their branches' summed October figures: both 50%, one miss each; Z's
    # late entry (Z2) puts it first, and it holds the candidate Z1.
    assert [(r.code, r.rate, r.missed, r.late_entries, r.weak) for r in view.ranking] == [
        ("Z", "50.0%", 1, 1, True),
        ("B1", "50.0%", 1, 0, False),
    ]
    assert view.ranking[0].note == "1个软弱涣散排查对象"


def test_child_of_maps_every_descendant_to_its_child() -> None:
    orgs = {o.code: o for o in ORGS}
    assert child_of("S", orgs, ["B1-G1", "Z1", "Z2", "B1"]) == {
        "B1-G1": "B1",
        "B1": "B1",
        "Z1": "Z",
        "Z2": "Z",
        "Z": "Z",
    }


def test_windows_and_labels(national: RulePack) -> None:
    assert window_since(national, TODAY) == D(2026, 1, 1)  # the yearly periods of 2026
    months = late_months(national, TODAY)
    assert months.stop - 1 == 2026 * 12 + 10  # November
    from monitor.core.periods import Period

    assert short_label(Period.parse("2026-Q3")) == "三季度"
    assert short_label(Period.parse("2026-07")) == "7月"
    assert short_label(Period.parse("2026")) == "2026年"


# --- through the app, on the demo district -------------------------------------------------


@pytest.fixture
def client(demo_store: Store, national: RulePack) -> Iterator[TestClient]:
    accounts = AccountStore(demo_store)
    accounts.add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    accounts.add_user("zongzhi", PASSWORD, Role.INSPECTOR, "JD01-06", now=NOW)
    accounts.add_user("viewer", PASSWORD, Role.VIEWER, "JD01", now=NOW)
    accounts.add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    with TestClient(build_app(demo_store, national, Clock()), follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, username: str) -> None:
    reply = client.post(
        "/login", data={"username": username, "password": PASSWORD, "next": ""}, headers=HTML
    )
    assert reply.status_code == 303, reply.text


def test_the_inspector_lands_on_the_dashboard_with_every_branch_and_chinese_statuses(
    client: TestClient, demo_store: Store
) -> None:
    sign_in(client, "street")
    assert client.get("/", headers=HTML).headers["location"] == "/dashboard/JD01"
    assert client.get("/org/JD01", headers=HTML).headers["location"] == "/dashboard/JD01"
    reply = client.get("/dashboard/JD01", headers=HTML)
    assert reply.status_code == 200
    body = reply.text
    assert "<h1>幸福街道党工委</h1>" in body
    for branch in (o for o in demo_store.orgs() if o.type is OrgType.BRANCH):
        assert f">{branch.name}</a>" in body
    for label in ("已落实", "未按期开展", "进行中", "免于考核"):
        assert f'<span class="vh">{label}</span>' in body  # in the heat map's cells
    for heading in ("落实率", "未按期开展", "后补记录", "未销号", "已逾期", "近6个月趋势"):
        assert heading in body
    assert "软弱涣散党组织排查对象" in body
    assert 'href="/branch/JD01-06-01"' in body  # drill down to the branch's page
    assert '<a href="/dashboard/JD01-06">幸福街道社会组织党总支<small>' in body  # and the 党总支
    assert '<link rel="stylesheet" href="/static/dashboard.css">' in body
    assert "style=" not in body
    assert "<script>" not in body
    # The weak branch of the demo (众创园区) is the candidate.
    weak = body.split("软弱涣散党组织排查对象")[-1]
    assert "众创园区联合党支部" in weak
    # The heat map's missed cells link to their evidence, for htmx and without it.
    link = re.search(r'href="(/dashboard/JD01/evidence\?org=JD01-06-01[^"]+)" hx-get="\1"', body)
    assert link is not None


def test_the_general_branch_is_its_own_dashboard_and_a_branch_goes_to_its_page(
    client: TestClient,
) -> None:
    sign_in(client, "viewer")
    general = client.get("/dashboard/JD01-06", headers=HTML)
    assert general.status_code == 200
    assert "<h1>幸福街道社会组织党总支</h1>" in general.text
    assert '<a href="/dashboard/JD01">幸福街道党工委</a>' in general.text  # the way back up
    assert "幸福社区党支部" not in general.text  # a branch of the street, not of the 党总支
    branch = client.get("/dashboard/JD01-06-01", headers=HTML)
    assert branch.status_code == 303
    assert branch.headers["location"] == "/branch/JD01-06-01"


MISSED = "org=JD01-06-01&rule=branch_committee_meeting&period=2026-07"


def test_the_evidence_of_a_missed_finding_names_the_rule_the_period_and_why(
    client: TestClient,
) -> None:
    sign_in(client, "street")
    page = client.get(f"/dashboard/JD01/evidence?{MISSED}", headers=HTML)
    assert page.status_code == 200
    body = page.text
    assert "<!doctype html>" in body
    assert "众创园区联合党支部 · 支部委员会会议 · 2026年7月" in body
    assert "未按期开展" in body
    assert "2026年7月未开展支部委员会" in body  # the reason of `orglife check --explain`
    assert "截止2026年7月31日" in body
    assert 'href="/dashboard/JD01"' in body
    fragment = client.get(
        f"/dashboard/JD01/evidence?{MISSED}", headers={**HTML, "HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert "<!doctype html>" not in fragment.text
    assert fragment.headers["vary"] == page.headers["vary"] == "HX-Request"
    assert fragment.text.lstrip().startswith('<article class="card evidence"')
    assert "2026年7月未开展支部委员会" in fragment.text


def test_a_held_findings_evidence_lists_the_records_that_counted(client: TestClient) -> None:
    sign_in(client, "street")
    reply = client.get(
        "/dashboard/JD01/evidence?org=JD01-06-01&rule=themed_party_day&period=2026-06",
        headers=HTML,
    )
    assert reply.status_code == 200
    assert "已落实" in reply.text
    assert "已开展1次主题党日" in reply.text
    assert '<td data-label="计入">计入</td>' in reply.text


def test_the_dashboard_and_evidence_are_scoped(client: TestClient) -> None:
    sign_in(client, "zongzhi")  # an inspector of the 党总支 JD01-06
    missing = client.get("/dashboard/NO-SUCH", headers=HTML)
    above = client.get("/dashboard/JD01", headers=HTML)
    assert above.status_code == missing.status_code == 404
    assert above.text == missing.text
    assert client.get("/dashboard/JD01-06", headers=HTML).status_code == 200
    outside = client.get(
        "/dashboard/JD01-06/evidence?org=JD01-01&rule=themed_party_day&period=2026-10",
        headers=HTML,
    )
    assert outside.status_code == 404
    assert outside.text == missing.text
    assert client.get(f"/dashboard/JD01-06/evidence?{MISSED}", headers=HTML).status_code == 200
    for bad in (
        "org=JD01-06-01&rule=no_such_rule&period=2026-07",
        "org=JD01-06-01&rule=branch_committee_meeting&period=2026-Q3",  # not the rule's cadence
        "org=JD01-06-01&rule=branch_committee_meeting&period=July",
        "org=JD01-06-01&rule=branch_committee_meeting&period=2027-01",  # not yet begun
        "org=JD01-06-01&rule=branch_committee_meeting&period=1990-01",  # beyond any check
        "rule=branch_committee_meeting&period=2026-07",
    ):
        assert client.get(f"/dashboard/JD01-06/evidence?{bad}", headers=HTML).status_code == 404
    sign_in(client, "street")  # org inside the scope, but not under the dashboard's org
    beside = client.get(
        "/dashboard/JD01-06/evidence?org=JD01-01&rule=themed_party_day&period=2026-10",
        headers=HTML,
    )
    assert beside.status_code == 404


def test_the_cache_serves_until_a_record_moves_the_revision(
    client: TestClient, demo_store: Store
) -> None:
    sign_in(client, "street")
    cache = cache_of(demo_store)
    builds = cache.builds
    first = client.get("/dashboard/JD01", headers=HTML).text
    assert cache.builds == builds + 1
    assert client.get("/dashboard/JD01", headers=HTML).text == first
    assert cache.builds == builds + 1  # served from the cache
    # 社工服务中心 holds its November 主题党日: the cell turns 已落实 on the next request.
    november = "org=JD01-06-02&amp;rule=themed_party_day&amp;period=2026-11"
    before = re.search(rf'<td class="cell cell-(\w+)"[^>]*><a href="[^"]*{november}"', first)
    assert before is not None
    assert before[1] == "open"
    token = AccountStore(demo_store).create_token("street", "test", now=NOW)[0]
    meeting = {
        "org": "JD01-06-02",
        "kinds": ["主题党日"],
        "date": "2026-11-21",
        "expected": 15,
        "attended": 12,
        "topic": "学习全会精神",
    }
    reply = client.post(
        "/api/v1/meetings", json=meeting, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 201, reply.text
    after = client.get("/dashboard/JD01", headers=HTML).text
    assert cache.builds == builds + 2
    now = re.search(rf'<td class="cell cell-(\w+)"[^>]*><a href="[^"]*{november}"', after)
    assert now is not None
    assert now[1] == "held"


def test_the_ledger_counts_are_read_per_request(client: TestClient, demo_store: Store) -> None:
    sign_in(client, "street")
    first = client.get("/dashboard/JD01", headers=HTML).text
    assert re.search(r"<dt>未销号</dt><dd class=\"big\">0</dd>", first)
    LedgerStore(demo_store).add(
        "JD01-06-01", "会议记录不规范", by="street", today=NOW.date(), now=NOW
    )
    again = client.get("/dashboard/JD01", headers=HTML).text
    assert re.search(r"<dt>未销号</dt><dd class=\"big\">1</dd>", again)


def test_an_exemption_moves_the_revision_and_the_cell_turns_exempt(
    client: TestClient, demo_store: Store, national: RulePack
) -> None:
    sign_in(client, "street")
    july = "org=JD01-06-01&amp;rule=branch_committee_meeting&amp;period=2026-07"
    pattern = rf'<td class="cell cell-(\w+)"[^>]*><a href="[^"]*{july}"'
    before = re.search(pattern, client.get("/dashboard/JD01", headers=HTML).text)
    assert before is not None
    assert before[1] == "missed"
    revision = demo_store.revision()
    add_exemption(
        demo_store,
        org="JD01-06-01",
        rule=national.rule("branch_committee_meeting"),
        period="2026-07",
        reason="支部换届，经街道党工委批准",
        by="street",
        now=NOW,
    )
    assert demo_store.revision() == revision + 1
    after = re.search(pattern, client.get("/dashboard/JD01", headers=HTML).text)
    assert after is not None
    assert after[1] == "exempt"


def test_a_large_subtrees_page_shows_child_rows_that_drill_down(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard_model, "BRANCH_ROWS_MAX", 2)
    sign_in(client, "street")
    body = client.get("/dashboard/JD01", headers=HTML).text
    assert "每行为一个下级组织" in body
    assert '<a href="/dashboard/JD01-06">幸福街道社会组织党总支</a><small>2个党支部</small>' in body
    # The 党总支's cells lead to its dashboard (no htmx panel); a branch child's to evidence.
    assert re.search(
        r'<td class="cell cell-missed lvl-3" title="[^"]*2个党支部中[^"]*">'
        r'<a href="/dashboard/JD01-06">',
        body,
    )
    assert 'hx-get="/dashboard/JD01/evidence?org=JD01-01&amp;' in body
    # Ranked by child: the 党总支 holds the candidate.
    assert "1个软弱涣散排查对象" in body
