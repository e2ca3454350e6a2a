"""The problem ledger (问题台账): opened by final misses, moved by people, kept with its trail."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import event

from monitor.check import Check, run_check, update_ledger
from monitor.cli import main
from monitor.core.domain import Finding, Status
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack
from monitor.ledger.model import (
    LATE_RECORD,
    LedgerError,
    LedgerItem,
    LedgerSource,
    LedgerStatus,
    issue_text,
    recurrences,
)
from monitor.ledger.store import LedgerStore
from monitor.registers.readers import read_meetings
from monitor.store import Store

AS_OF = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 26, 7, 30, tzinfo=dt.UTC)
DEMO_MISSES = 36
CONTRACT_KEYS = {"subject", "rule", "period", "status", "deadline"}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def checked(store: Store, pack: RulePack, as_of: dt.date = AS_OF) -> Check:
    return run_check(store, pack, as_of=as_of, with_records=False)


def opened(store: Store, pack: RulePack) -> Check:
    """The demo district judged on 2026-11-24, its misses in the ledger."""
    check = checked(store, pack)
    update_ledger(store, pack, check, today=AS_OF, now=NOW)
    return check


def find(store: Store, org: str, rule: str, period: str) -> LedgerItem:
    (item,) = [i for i in LedgerStore(store).items([org]) if (i.rule, i.period) == (rule, period)]
    return item


def clear(store: Store, item: LedgerItem) -> None:
    LedgerStore(store).rectify(item.id, "已补开会议", by="李书记", now=NOW)
    LedgerStore(store).clear(item.id, by="督查组", today=AS_OF, now=NOW)


# --- opening items from an evaluation --------------------------------------------------


def test_every_final_miss_opens_one_item_and_a_second_run_opens_none(
    demo_store: Store, national: RulePack
):
    check = checked(demo_store, national)
    misses = [f for f in check.findings if f.status is Status.MISSED]
    assert len(misses) == DEMO_MISSES
    first = update_ledger(demo_store, national, check, today=AS_OF, now=NOW)
    assert (first.opened, first.late, first.overdue) == (DEMO_MISSES, 0, [])
    items = LedgerStore(demo_store).items()
    again = update_ledger(demo_store, national, check, today=AS_OF, now=LATER)
    assert (again.opened, again.late, again.overdue) == (0, 0, [])
    assert LedgerStore(demo_store).items() == items
    assert {(i.org, i.member, i.rule, i.period) for i in items} == {
        (f.org, f.member, f.rule, f.period.label) for f in misses
    }
    assert {(i.opened, i.deadline, i.status, i.source) for i in items} == {
        (AS_OF, dt.date(2026, 12, 24), LedgerStatus.OPEN, LedgerSource.FINDING)
    }
    trail = LedgerStore(demo_store).events()
    assert len(trail) == DEMO_MISSES
    assert {(e.action, e.actor, e.from_status, e.to_status, e.at) for e in trail} == {
        ("opened", "system", None, LedgerStatus.OPEN, NOW)
    }


def test_an_item_names_its_problem_in_chinese_and_a_cadre_is_owned_by_the_branch(
    demo_store: Store, national: RulePack
):
    opened(demo_store, national)
    meeting = find(demo_store, "JD01-06-01", "branch_general_meeting", "2026-Q3")
    assert meeting.issue == "支部党员大会 2026年第三季度 未按期开展"
    assert (meeting.member, meeting.subject) == (None, "JD01-06-01")
    (cadre,) = [i for i in LedgerStore(demo_store).items() if i.member is not None]
    assert (cadre.org, cadre.member, cadre.subject) == ("JD01-05", "M0098", "M0098")
    assert cadre.issue == "双重组织生活 2026年第三季度 未按期参加"


def test_opening_is_set_based_not_a_statement_per_finding(store: Store):
    findings = [
        Finding(f"B{n:04d}", None, "branch_committee_meeting", Period(Cadence.MONTH, 2026, m), s)
        for n in range(1_200)
        for m, s in ((1, Status.MISSED), (2, Status.HELD), (3, Status.MISSED))
    ]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        made = LedgerStore(store).open_for(
            findings, today=AS_OF, now=NOW, issue=lambda f: "未按期开展"
        )
        swept = LedgerStore(store).sweep(findings, today=AS_OF, now=NOW)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert made == 2_400
    assert swept.late == 0
    assert len(statements) < 20
    assert len(LedgerStore(store).events()) == 2_400


# --- moving items ----------------------------------------------------------------------


def test_an_item_is_rectified_then_cleared_with_its_trail(demo_store: Store, national: RulePack):
    opened(demo_store, national)
    item = find(demo_store, "JD01-06-01", "party_lesson", "2026-Q3")
    rectified = LedgerStore(demo_store).rectify(
        item.id, "已于12月3日补上党课", by="李书记", now=LATER
    )
    assert rectified.status is LedgerStatus.RECTIFYING
    assert rectified.rectification == "已于12月3日补上党课"
    done = LedgerStore(demo_store).clear(
        item.id, by="督查组张三", today=dt.date(2026, 12, 5), now=LATER, note="现场核实"
    )
    assert (done.status, done.cleared) == (LedgerStatus.CLEARED, dt.date(2026, 12, 5))
    assert LedgerStore(demo_store).item(item.id) == done
    trail = [
        (e.action, e.actor, e.from_status, e.to_status, e.note, e.at)
        for e in LedgerStore(demo_store).events(item.id)
    ]
    assert trail == [
        ("opened", "system", None, LedgerStatus.OPEN, None, NOW),
        (
            "rectified",
            "李书记",
            LedgerStatus.OPEN,
            LedgerStatus.RECTIFYING,
            "已于12月3日补上党课",
            LATER,
        ),
        ("cleared", "督查组张三", LedgerStatus.RECTIFYING, LedgerStatus.CLEARED, "现场核实", LATER),
    ]


def test_refused_changes_say_why_and_change_nothing(demo_store: Store, national: RulePack):
    opened(demo_store, national)
    item = find(demo_store, "JD01-06-01", "party_lesson", "2026-Q3")
    before = (LedgerStore(demo_store).items(), LedgerStore(demo_store).events())
    with pytest.raises(LedgerError, match=rf"问题#{item.id}状态为“待整改”，尚未登记整改情况"):
        LedgerStore(demo_store).clear(item.id, by="督查组", today=AS_OF, now=NOW)
    with pytest.raises(LedgerError, match="整改情况为空"):
        LedgerStore(demo_store).rectify(item.id, "  ", by="李书记", now=NOW)
    with pytest.raises(LedgerError, match="--by"):
        LedgerStore(demo_store).rectify(item.id, "补开", by=" ", now=NOW)
    with pytest.raises(LedgerError, match="问题台账中没有#9999"):
        LedgerStore(demo_store).rectify(9999, "补开", by="李书记", now=NOW)
    assert (LedgerStore(demo_store).items(), LedgerStore(demo_store).events()) == before
    clear(demo_store, item)
    done = (LedgerStore(demo_store).items(), LedgerStore(demo_store).events())
    with pytest.raises(LedgerError, match="无需重复销号"):
        LedgerStore(demo_store).clear(item.id, by="督查组", today=AS_OF, now=NOW)
    with pytest.raises(LedgerError, match="已销号的问题不再登记整改"):
        LedgerStore(demo_store).rectify(item.id, "再补开", by="李书记", now=NOW)
    assert (LedgerStore(demo_store).items(), LedgerStore(demo_store).events()) == done


def test_a_late_record_moves_the_item_to_rectifying(
    demo_store: Store, national: RulePack, tmp_path: Path
):
    opened(demo_store, national)
    late = tmp_path / "late.csv"
    late.write_text(
        "组织编码,会议类型,日期,应到人数,实到人数,主题,录入日期\n"
        "JD01-06-01,支部党员大会,2026-09-25,15,12,补开三季度党员大会,2026-11-25\n",
        encoding="utf-8",
    )
    demo_store.import_meetings(
        read_meetings(late, today=dt.date(2026, 11, 25), historical=True), national.catalog
    )
    day = dt.date(2026, 11, 25)
    change = update_ledger(
        demo_store, national, checked(demo_store, national, day), today=day, now=LATER
    )
    assert (change.opened, change.late) == (0, 1)
    item = find(demo_store, "JD01-06-01", "branch_general_meeting", "2026-Q3")
    assert (item.status, item.rectification) == (LedgerStatus.RECTIFYING, LATE_RECORD)
    last = LedgerStore(demo_store).events(item.id)[-1]
    assert (last.action, last.actor, last.from_status, last.note) == (
        "rectified",
        "system",
        LedgerStatus.OPEN,
        LATE_RECORD,
    )
    others = [i for i in LedgerStore(demo_store).items() if i.id != item.id]
    assert {i.status for i in others} == {LedgerStatus.OPEN}
    # The inspector still verifies it before it is cleared.
    assert LedgerStore(demo_store).clear(item.id, by="督查组", today=day, now=LATER).cleared == day


def test_an_unrectified_item_is_overdue_after_its_deadline_once(
    demo_store: Store, national: RulePack
):
    check = opened(demo_store, national)
    rectified = find(demo_store, "JD01-06-01", "party_lesson", "2026-Q3")
    LedgerStore(demo_store).rectify(rectified.id, "书面说明：书记外出学习", by="李书记", now=NOW)
    on_deadline = update_ledger(demo_store, national, check, today=dt.date(2026, 12, 24), now=NOW)
    assert on_deadline.overdue == []
    after = update_ledger(demo_store, national, check, today=dt.date(2026, 12, 25), now=LATER)
    assert len(after.overdue) == DEMO_MISSES - 1
    assert {i.status for i in after.overdue} == {LedgerStatus.OVERDUE}
    assert rectified.id not in {i.id for i in after.overdue}
    again = update_ledger(demo_store, national, check, today=dt.date(2026, 12, 26), now=LATER)
    assert again.overdue == []
    overdue_events = [e for e in LedgerStore(demo_store).events() if e.action == "overdue"]
    assert len(overdue_events) == DEMO_MISSES - 1
    assert {(e.actor, e.from_status, e.at) for e in overdue_events} == {
        ("system", LedgerStatus.OPEN, LATER)
    }
    # The lead's one-time alert: each overdue item is announced once.
    unalerted = LedgerStore(demo_store).overdue_unalerted()
    assert [i.id for i in unalerted] == [i.id for i in after.overdue]
    assert LedgerStore(demo_store).mark_alerted([i.id for i in unalerted[:5]], now=LATER) == 5
    assert LedgerStore(demo_store).mark_alerted([i.id for i in unalerted[:5]], now=LATER) == 0
    assert len(LedgerStore(demo_store).overdue_unalerted()) == DEMO_MISSES - 6
    # An overdue item can still be rectified, then cleared.
    late = after.overdue[0]
    assert LedgerStore(demo_store).rectify(late.id, "已补开", by="李书记", now=LATER).status is (
        LedgerStatus.RECTIFYING
    )


# --- the look-back (回头看) ------------------------------------------------------------


def _item(period: str, status: LedgerStatus = LedgerStatus.CLEARED) -> LedgerItem:
    return LedgerItem(
        id=1,
        org="B01",
        member=None,
        rule="themed_party_day",
        period=period,
        source=LedgerSource.FINDING,
        issue=f"主题党日 {period} 未按期开展",
        opened=AS_OF,
        deadline=AS_OF,
        status=status,
    )


def _missed(month: int, org: str = "B01") -> Finding:
    return Finding(org, None, "themed_party_day", Period(Cadence.MONTH, 2026, month), Status.MISSED)


def test_a_recurrence_within_the_next_two_periods_counts_but_not_the_third():
    item = _item("2026-02")
    assert recurrences([item], [_missed(3)]) == [(item, _missed(3))]
    assert recurrences([item], [_missed(5), _missed(4)]) == [(item, _missed(4))]
    assert recurrences([item], [_missed(5)]) == []
    assert recurrences([item], [_missed(2), _missed(1)]) == []
    assert recurrences([item], [_missed(3, org="B02")]) == []
    held = Finding("B01", None, "themed_party_day", Period(Cadence.MONTH, 2026, 3), Status.HELD)
    assert recurrences([item], [held]) == []
    # Only cleared items are looked back at; a year's last quarter is followed by next year's.
    assert recurrences([_item("2026-02", LedgerStatus.RECTIFYING)], [_missed(3)]) == []
    # A miss two periods after one item and one after another recurs for both.
    march = dataclasses.replace(_item("2026-03"), id=2)
    assert recurrences([item, march], [_missed(4)]) == [(item, _missed(4)), (march, _missed(4))]
    q4 = dataclasses.replace(_item("2026-Q4"), rule="branch_general_meeting")
    next_q = Finding(
        "B01", None, "branch_general_meeting", Period(Cadence.QUARTER, 2027, 2), Status.MISSED
    )
    assert recurrences([q4], [next_q]) == [(q4, next_q)]


def test_review_reopens_cleared_items_missed_again_within_two_periods(
    demo_store: Store, national: RulePack, db_url: str, tmp_path: Path
):
    opened(demo_store, national)
    # The group missed its monthly meeting in Feb, Apr, Jul, Aug and Oct.
    group = "JD01-06-01-G1"
    recurred = find(demo_store, group, "party_group_meeting", "2026-02")  # Apr is 2 later
    too_late = find(demo_store, group, "party_group_meeting", "2026-04")  # Jul is 3 later
    for item in (recurred, too_late):
        clear(demo_store, item)
    review = ["review", "--as-of", "2026-11-24", "--org", "JD01-06", "--by", "督查组张三"]
    result = run("--db", db_url, "ledger", *review)
    assert result.exit_code == 0, result.output
    assert f"问题#{recurred.id} 重新打开" in result.stdout
    assert "回头看：2026-04（2026年4月）再次未按期开展" in result.stdout
    assert "复查已销号问题 2 项，重新打开 1 项" in result.stdout
    again = LedgerStore(demo_store).item(recurred.id)
    assert (again.status, again.reopened, again.deadline) == (
        LedgerStatus.OPEN,
        1,
        dt.date(2026, 12, 24),
    )
    assert (again.cleared, again.rectification) == (None, None)
    assert LedgerStore(demo_store).item(too_late.id).status is LedgerStatus.CLEARED
    last = LedgerStore(demo_store).events(recurred.id)[-1]
    assert (last.action, last.actor, last.from_status, last.to_status) == (
        "reopened",
        "督查组张三",
        LedgerStatus.CLEARED,
        LedgerStatus.OPEN,
    )
    # Looking back again changes nothing: the item is open, not cleared.
    check = checked(demo_store, national)
    assert LedgerStore(demo_store).review(check.findings, today=AS_OF, now=LATER, by="督查组") == []
    # A late record for the item's own month does not rectify the recurrence.
    late = tmp_path / "late.csv"
    late.write_text(
        "组织编码,会议类型,日期,应到人数,实到人数,主题,录入日期\n"
        f"{group},党小组会,2026-02-26,6,5,补开二月党小组会,2026-11-25\n",
        encoding="utf-8",
    )
    demo_store.import_meetings(
        read_meetings(late, today=dt.date(2026, 11, 25), historical=True), national.catalog
    )
    day = dt.date(2026, 11, 25)
    change = update_ledger(
        demo_store, national, checked(demo_store, national, day), today=day, now=LATER
    )
    assert change.late == 0
    assert LedgerStore(demo_store).item(recurred.id).status is LedgerStatus.OPEN


# --- the command line ------------------------------------------------------------------


def test_orglife_check_opens_the_items_and_keeps_its_output(demo_store: Store, db_url: str):
    first = run("--db", db_url, "check", "--as-of", "2026-11-24", "--format", "json")
    assert first.exit_code == 0, first.output
    second = run("--db", db_url, "check", "--as-of", "2026-11-24", "--format", "json")
    assert second.stdout == first.stdout
    misses = {
        (r["member"] or r["org"], r["rule"], r["period"])
        for r in json.loads(first.stdout)
        if r["status"] == "missed"
    }
    listed = run("--db", db_url, "ledger", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert len(rows) == len(misses) == DEMO_MISSES
    assert {(r["subject"], r["rule"], r["period"]) for r in rows} == misses
    assert all(r.keys() >= CONTRACT_KEYS for r in rows)
    assert {(r["status"], r["deadline"], r["opened"]) for r in rows} == {
        ("open", "2026-12-24", "2026-11-24")
    }


def test_ledger_list_filters_by_subtree_and_status(
    demo_store: Store, national: RulePack, db_url: str
):
    opened(demo_store, national)
    item = find(demo_store, "JD01-06-01", "party_lesson", "2026-Q3")
    LedgerStore(demo_store).rectify(item.id, "已补上党课", by="李书记", now=LATER)

    def listed(*args: str) -> list[dict[str, object]]:
        result = run(
            "--db", db_url, "ledger", "list", "--format", "json", "--as-of", "2026-11-26", *args
        )
        assert result.exit_code == 0, result.output
        rows: list[dict[str, object]] = json.loads(result.stdout)
        return rows

    subtree = set(demo_store.subtree("JD01-06"))
    under = listed("--org", "JD01-06")
    assert under
    assert {r["org"] for r in under} <= subtree
    assert len(under) == sum(i.org in subtree for i in LedgerStore(demo_store).items())
    assert len(listed()) == DEMO_MISSES
    (rectifying,) = listed("--status", "rectifying")
    assert rectifying == {
        "id": item.id,
        "subject": "JD01-06-01",
        "rule": "party_lesson",
        "period": "2026-Q3",
        "status": "rectifying",
        "deadline": "2026-12-24",
        "org": "JD01-06-01",
        "org_name": "众创园区联合党支部",
        "member": None,
        "member_name": None,
        "source": "finding",
        "issue": "党课 2026年第三季度 未按期开展",
        "opened": "2026-11-24",
        "rectification": "已补上党课",
        "cleared": None,
        "reopened": 0,
        "status_zh": "整改中",
        "warning": "yellow",  # 三色预警: outstanding, neither overdue nor missed twice in a row
        "warning_zh": "黄色",
    }
    assert len(listed("--org", "JD01-06", "--status", "open")) == len(under) - 1
    assert listed("--status", "cleared") == []
    unknown = run("--db", db_url, "ledger", "list", "--org", "NOPE")
    assert unknown.exit_code == 1
    assert "组织台账中没有编码为“NOPE”的组织" in unknown.output
    table = run("--db", db_url, "ledger", "list", "--org", "JD01-06-01", "--status", "rectifying")
    assert "问题台账（1 项）" in table.stdout
    assert "整改中" in table.stdout


def test_an_inspector_adds_and_moves_an_item_on_the_command_line(demo_store: Store, db_url: str):
    db = ("--db", db_url)
    found = ["--org", "JD01-05", "--issue", "会议记录不规范", "--found", "2026-11-20"]
    found += ["--rule", "branch_general_meeting", "--period", "2026-Q3", "--by", "督查组王五"]
    added = run(*db, "ledger", "add", *found)
    assert added.exit_code == 0, added.output
    assert "已登记问题#1：街道机关党支部（JD01-05）· 会议记录不规范，整改期限 2026-12-20" in (
        added.stdout
    )
    (item,) = LedgerStore(demo_store).items()
    assert (item.source, item.rule, item.period, item.opened, item.status) == (
        LedgerSource.INSPECTION,
        "branch_general_meeting",
        "2026-Q3",
        dt.date(2026, 11, 20),
        LedgerStatus.OPEN,
    )
    # A cadre's problem names the member; text in brackets is printed as written.
    cadre = ["--org", "JD01-05", "--member", "M0098", "--issue", "未参加双重组织生活[见记录]"]
    cadre += ["--found", "2026-11-20", "--deadline", "2026-12-31", "--by", "督查组"]
    second = run(*db, "ledger", "add", *cadre)
    assert second.exit_code == 0, second.output
    assert "未参加双重组织生活[见记录]，整改期限 2026-12-31" in second.stdout
    # Found again on a later visit: an inspector's items may repeat, unlike a finding's.
    assert run(*db, "ledger", "add", *found).exit_code == 0
    assert [i.member for i in LedgerStore(demo_store).items()] == [None, "M0098", None]

    refused = run(*db, "ledger", "clear", "1", "--by", "督查组")
    assert refused.exit_code == 1
    assert "问题#1状态为“待整改”，尚未登记整改情况，不能销号" in refused.output
    assert "orglife ledger rectify 1 --note" in refused.output
    rectified = run(*db, "ledger", "rectify", "1", "--note", "已规范记录", "--by", "李书记")
    assert rectified.exit_code == 0, rectified.output
    assert "问题#1 已记录整改，状态：整改中（已规范记录）" in rectified.stdout
    cleared = run(*db, "ledger", "clear", "1", "--by", "督查组", "--note", "复查合格")
    assert cleared.exit_code == 0, cleared.output
    history = run(*db, "ledger", "history", "1")
    assert history.exit_code == 0, history.output
    for text in ("督查组王五", "登记", "李书记", "待整改 → 整改中", "销号", "复查合格"):
        assert text in history.stdout
    assert [e.action for e in LedgerStore(demo_store).events(1)] == [
        "opened",
        "rectified",
        "cleared",
    ]


REFUSED_ADDS = [
    (("--org", "NOPE"), "组织台账中没有编码为“NOPE”的组织"),
    (("--org", "JD01-05", "--member", "M0001"), "属于JD01-01，不属于JD01-05"),
    (("--org", "JD01-05", "--member", "X9"), "党员台账中没有编号为“X9”的党员"),
    (("--org", "JD01-05", "--rule", "nope"), "现行规则中没有“nope”"),
    (("--org", "JD01-05", "--period", "2026-Q5"), "“2026-Q5”不是期间"),
    (("--org", "JD01-05", "--found", "2026-11-20", "--deadline", "2026-11-01"), "早于今天"),
    (("--org", "JD01-05", "--by", " "), "请用 --by 写明操作人"),
]


def test_ledger_add_refuses_what_the_registers_do_not_hold(demo_store: Store, db_url: str):
    for args, message in REFUSED_ADDS:
        result = run(
            "--db", db_url, "ledger", "add", "--issue", "会议记录不规范", "--by", "督查组", *args
        )
        assert result.exit_code == 1, args
        assert message in result.output, result.output
    assert LedgerStore(demo_store).items() == []
    assert LedgerStore(demo_store).events() == []


def test_the_ledger_exports_to_excel(
    demo_store: Store, national: RulePack, db_url: str, tmp_path: Path
):
    opened(demo_store, national)
    item = find(demo_store, "JD01-05", "dual_org_life", "2026-Q3")
    LedgerStore(demo_store).rectify(item.id, "书面说明", by="赵海涛", now=LATER)
    out = tmp_path / "ledger.xlsx"
    result = run(
        "--db", db_url, "ledger", "export", "--org", "JD01-05", "--as-of", "2026-11-26",
        "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    under = LedgerStore(demo_store).items(demo_store.subtree("JD01-05"))
    assert f"已导出问题 {len(under)} 项、整改记录 {len(under) + 1} 条" in result.stdout
    book = load_workbook(out)
    assert book.sheetnames == ["问题台账", "整改记录"]
    sheet = book["问题台账"]
    assert [c.value for c in sheet[1]] == [
        "编号",
        "组织编码",
        "责任组织",
        "对象",
        "事项",
        "周期",
        "来源",
        "发现日期",
        "整改期限",
        "状态",
        "整改情况",
        "销号日期",
        "重新打开次数",
        "预警",
    ]
    assert sheet.max_row == len(under) + 1
    (row,) = [r for r in sheet.iter_rows(min_row=2) if r[0].value == item.id]
    assert [c.value for c in row] == [
        item.id,
        "JD01-05",
        "街道机关党支部",
        "赵海涛（M0098）",
        "双重组织生活 2026年第三季度 未按期参加",
        "2026年第三季度",
        "系统监测",
        dt.datetime(2026, 11, 24),
        dt.datetime(2026, 12, 24),
        "整改中",
        "书面说明",
        None,
        0,
        "黄色",
    ]
    assert row[7].number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:N{len(under) + 1}"
    assert sheet.column_dimensions["E"].width == 40
    assert sheet["A1"].font.bold
    trail = book["整改记录"]
    assert [c.value for c in trail[1]] == [
        "问题编号",
        "时间",
        "操作人",
        "操作",
        "原状态",
        "新状态",
        "说明",
    ]
    last = [c.value for c in trail[trail.max_row]]
    # 15:30 in Beijing is 07:30 UTC.
    assert last == [
        item.id,
        dt.datetime(2026, 11, 26, 15, 30),
        "赵海涛",
        "整改",
        "待整改",
        "整改中",
        "书面说明",
    ]
    assert trail.freeze_panes == "A2"
    assert trail.auto_filter.ref == f"A1:G{trail.max_row}"
    wrong = run("--db", db_url, "ledger", "export", "-o", str(tmp_path / "ledger.csv"))
    assert wrong.exit_code == 1
    assert "文件名须以 .xlsx 结尾" in wrong.output


def test_issue_text_says_carried_out_or_attended():
    q3 = Period(Cadence.QUARTER, 2026, 3)
    org = Finding("B01", None, "branch_general_meeting", q3, Status.MISSED)
    cadre = Finding("B01", "L1", "dual_org_life", q3, Status.MISSED)
    assert issue_text(org, "支部党员大会") == "支部党员大会 2026年第三季度 未按期开展"
    assert issue_text(cadre, "双重组织生活") == "双重组织生活 2026年第三季度 未按期参加"


def test_outstanding_and_overdue_counted_in_sql_equal_the_summary_figures(
    demo_store: Store, national: RulePack
):
    from monitor.reporting.summary import ledger_figures

    opened(demo_store, national)
    ledger = LedgerStore(demo_store)
    items = ledger.items()
    # Move some: one rectifying, one cleared early (5 Dec), one cleared later (20 Dec).
    ledger.rectify(items[0].id, "已补开", by="李书记", now=LATER)
    clear(demo_store, items[1])
    ledger.rectify(items[2].id, "已补开", by="李书记", now=LATER)
    ledger.clear(items[2].id, by="督查组", today=dt.date(2026, 12, 20), now=LATER)
    codes = sorted({i.org for i in items})
    some = codes[: len(codes) // 2]
    for as_of in (dt.date(2026, 11, 23), AS_OF, dt.date(2026, 12, 10), dt.date(2027, 3, 1)):
        for scope in (codes, some):
            mine = ledger.items(orgs=scope)
            month = Period.containing(Cadence.MONTH, as_of)
            figures = ledger_figures(mine, month, as_of)
            counted = ledger.outstanding(scope, as_of)
            assert counted == (figures.outstanding, figures.overdue), (as_of, len(scope))
    # The dates above reach every case: none, some and all of the items overdue.
    assert ledger.outstanding(codes, dt.date(2027, 3, 1))[1] > 0
    assert ledger.outstanding(codes, dt.date(2026, 11, 23)) == (0, 0)
