"""Alerts: what each chat is told (pure planner), recorded once with the findings (store)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.alerts.plan import (
    AlertPlan,
    Chat,
    ChatRole,
    FindingKey,
    FindingState,
    Notice,
    NoticeKind,
    plan,
    plan_overdue,
)
from monitor.alerts.store import AlertStore
from monitor.alerts.summaries import SummaryBundle, plan_summaries
from monitor.core.domain import Evidence, Finding, Member, Org, OrgType, Status
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack
from monitor.core.workdays import WorkCalendar
from monitor.holidays import work_calendar
from monitor.ledger.model import LedgerItem, LedgerSource, LedgerStatus
from monitor.ledger.store import LedgerStore
from monitor.registers.readers import read_meetings
from monitor.service.runner import run_cycle
from monitor.store import Store

NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
C01 = Org("C01", "街道党工委", OrgType.COMMITTEE)
B01 = Org("B01", "第一党支部", OrgType.BRANCH, parent="C01", party_day="1FR")
G1 = Org("B01-G1", "第一党支部第一党小组", OrgType.GROUP, parent="B01")
B02 = Org("B02", "第二党支部", OrgType.BRANCH, parent="C01")
ORGS = {o.code: o for o in (C01, B01, G1, B02)}
CADRE = Member("L1", "王书记", "B01", leader=True)
BRANCH_CHAT = Chat(1, -101, "B01", ChatRole.BRANCH)
INSPECTOR_CHAT = Chat(2, -900, "C01", ChatRole.INSPECTOR)
Q3 = Period(Cadence.QUARTER, 2026, 3)
NOV = Period(Cadence.MONTH, 2026, 11)


@pytest.fixture(scope="module")
def workdays() -> WorkCalendar:
    return work_calendar(warn=lambda year, hint: None)


def planned(
    findings: list[Finding],
    national: RulePack,
    workdays: WorkCalendar,
    *,
    chats: tuple[Chat, ...] = (BRANCH_CHAT, INSPECTOR_CHAT),
    states: dict[FindingKey, FindingState] | None = None,
    recipients: dict[FindingKey, frozenset[int]] | None = None,
    as_of: dt.date = dt.date(2026, 11, 24),
) -> AlertPlan:
    return plan(
        findings,
        pack=national,
        orgs=ORGS,
        cadres={CADRE.id: CADRE},
        chats=chats,
        states=states or {},
        recipients=recipients or {},
        workdays=workdays,
        as_of=as_of,
    )


def missed(org: str = "B01", rule: str = "branch_general_meeting", member: str | None = None):
    return Finding(org, member, rule, Q3, Status.MISSED)


def test_a_miss_goes_to_its_branch_chat_and_to_inspectors_above(
    national: RulePack, workdays: WorkCalendar
):
    result = planned([missed()], national, workdays)
    assert {n.chat for n in result.notices} == {1, 2}
    assert {n.kind for n in result.notices} == {NoticeKind.MISSED}
    line = result.notices[0].line
    assert line == (
        "B01 第一党支部 · 支部党员大会 2026年第三季度：未按期开展（截止9月30日，补录宽限至10月5日）"
    )
    assert result.states == {FindingKey("B01", "", "branch_general_meeting", "2026-Q3"): "missed"}
    assert all(n.key == "missed:B01||branch_general_meeting|2026-Q3" for n in result.notices)


def test_a_party_groups_miss_reaches_its_branch_chat(national: RulePack, workdays: WorkCalendar):
    result = planned([missed("B01-G1", "party_group_meeting")], national, workdays)
    assert {n.chat for n in result.notices} == {1, 2}


def test_another_branchs_miss_only_reaches_the_inspectors(
    national: RulePack, workdays: WorkCalendar
):
    result = planned([missed("B02")], national, workdays)
    assert [n.chat for n in result.notices] == [2]


def test_a_cadres_miss_goes_to_inspectors_only_and_names_them_there(
    national: RulePack, workdays: WorkCalendar
):
    result = planned([missed(rule="dual_org_life", member="L1")], national, workdays)
    (notice,) = result.notices
    assert notice.chat == 2
    assert notice.line.startswith(
        "L1 王书记（第一党支部） · 双重组织生活 2026年第三季度：未按期参加"
    )


def test_a_telegram_chat_linked_twice_hears_a_miss_once(national: RulePack, workdays: WorkCalendar):
    # The branch's group is also the committee's inspector group: one line, not two.
    also_inspector = Chat(3, -101, "C01", ChatRole.INSPECTOR)
    result = planned([missed()], national, workdays, chats=(BRANCH_CHAT, also_inspector))
    assert len(result.notices) == 1
    # A cadre's miss never goes to a branch chat, so it reaches that group as inspector only.
    cadre = planned(
        [missed(rule="dual_org_life", member="L1")],
        national,
        workdays,
        chats=(BRANCH_CHAT, also_inspector),
    )
    assert [n.chat for n in cadre.notices] == [3]


def test_an_announced_miss_is_not_planned_again(national: RulePack, workdays: WorkCalendar):
    key = FindingKey("B01", "", "branch_general_meeting", "2026-Q3")
    result = planned([missed()], national, workdays, states={key: FindingState.MISSED})
    assert result.notices == []
    assert result.states == {}


def test_a_late_record_is_announced_to_exactly_the_chats_that_got_the_miss(
    national: RulePack, workdays: WorkCalendar
):
    key = FindingKey("B01", "", "branch_general_meeting", "2026-Q3")
    held = Finding("B01", None, "branch_general_meeting", Q3, Status.HELD, Evidence(1, 1))
    result = planned(
        [held],
        national,
        workdays,
        states={key: FindingState.MISSED},
        recipients={key: frozenset({2})},
    )
    (notice,) = result.notices
    assert (notice.chat, notice.kind) == (2, NoticeKind.LATE)
    assert (
        notice.line
        == "B01 第一党支部 · 支部党员大会 2026年第三季度：已补录，此前通报的未按期情况已消除"
    )
    assert result.states == {key: FindingState.LATE}


@pytest.mark.parametrize(
    ("as_of", "bucket"),
    [
        (dt.date(2026, 11, 22), None),  # 8 days before the end of November
        (dt.date(2026, 11, 23), 7),
        (dt.date(2026, 11, 28), 7),
        (dt.date(2026, 11, 29), 1),
        (dt.date(2026, 11, 30), 1),
    ],
)
def test_reminders_fall_in_the_nearest_window(
    national: RulePack, workdays: WorkCalendar, as_of: dt.date, bucket: int | None
):
    f = Finding("B01", None, "branch_committee_meeting", NOV, Status.OPEN)
    result = planned([f], national, workdays, as_of=as_of)
    if bucket is None:
        assert result.notices == []
        return
    (notice,) = result.notices
    assert notice.chat == 1  # the branch chat, not the inspectors
    assert notice.key == f"remind{bucket}:B01||branch_committee_meeting|2026-11"
    assert "尚未开展" in notice.line
    assert "（11月30日）到期" in notice.line


def test_a_fixed_day_session_is_reminded_before_its_day(national: RulePack, workdays: WorkCalendar):
    december = Period(Cadence.MONTH, 2026, 12)
    f = Finding("B01", None, "themed_party_day", december, Status.OPEN)
    (notice,) = planned([f], national, workdays, as_of=dt.date(2026, 12, 3)).notices
    assert "明天（12月4日）到期" in notice.line  # 1FR of December 2026


def test_disabled_chats_are_not_planned(national: RulePack, workdays: WorkCalendar):
    off = Chat(2, -900, "C01", ChatRole.INSPECTOR, enabled=False)
    result = planned([missed("B02")], national, workdays, chats=(BRANCH_CHAT, off))
    assert result.notices == []
    assert result.states  # the miss is still recorded: a chat linked later will not hear it


# --- the store and the cycle ----------------------------------------------------------------


@pytest.fixture
def linked(demo_store: Store) -> Store:
    AlertStore(demo_store).add_chat("JD01-06-01", -1001, ChatRole.BRANCH, now=NOW)
    AlertStore(demo_store).add_chat("JD01", -2002, ChatRole.INSPECTOR, now=NOW)
    return demo_store


def test_a_cycle_enqueues_each_notice_once(
    linked: Store, national: RulePack, workdays: WorkCalendar
):
    first = run_cycle(linked, national, workdays, as_of=dt.date(2026, 11, 24), now=NOW)
    assert first.enqueued[NoticeKind.MISSED] > 0
    rows = AlertStore(linked).outbox()
    assert len(rows) == first.total
    assert {r["chat_id"] for r in rows} == {-1001, -2002}
    again = run_cycle(linked, national, workdays, as_of=dt.date(2026, 11, 24), now=NOW)
    assert again.total == 0
    assert len(AlertStore(linked).outbox()) == len(rows)


def test_a_late_record_turns_a_miss_into_a_late_notice(
    linked: Store, national: RulePack, workdays: WorkCalendar, tmp_path: Path
):
    run_cycle(linked, national, workdays, as_of=dt.date(2026, 11, 24), now=NOW)
    key = "missed:JD01-06-01||branch_general_meeting|2026-Q3"
    got_miss = {r["chat_id"] for r in AlertStore(linked).outbox() if r["key"] == key}
    assert got_miss == {-1001, -2002}
    late = tmp_path / "late.csv"
    late.write_text(
        "组织编码,会议类型,日期,应到人数,实到人数,主题,录入日期\n"
        "JD01-06-01,支部党员大会,2026-09-25,15,12,补开三季度党员大会,2026-11-25\n",
        encoding="utf-8",
    )
    linked.import_meetings(
        read_meetings(late, today=dt.date(2026, 11, 25), historical=True), national.catalog
    )
    # Entered two months after the meeting: the quarter is now held, and the chats that were
    # told of the miss hear of the 补录.
    report = run_cycle(linked, national, workdays, as_of=dt.date(2026, 11, 25), now=NOW)
    assert report.enqueued[NoticeKind.LATE] == 2
    lates = [r for r in AlertStore(linked).outbox() if r["kind"] == "late"]
    assert {r["chat_id"] for r in lates} == got_miss
    assert all(
        r["line"].startswith("JD01-06-01 众创园区联合党支部 · 支部党员大会 2026年第三季度：已补录")
        for r in lates
    )


def test_claims_are_exclusive_and_expire(linked: Store, national: RulePack, workdays: WorkCalendar):
    run_cycle(linked, national, workdays, as_of=dt.date(2026, 11, 24), now=NOW)
    lease = dt.timedelta(minutes=5)
    first = AlertStore(linked).claim("a", now=NOW, lease=lease)
    assert first
    assert AlertStore(linked).claim("b", now=NOW, lease=lease) == []
    # The worker died: after the lease another takes the same rows.
    later = AlertStore(linked).claim("b", now=NOW + lease + dt.timedelta(seconds=1), lease=lease)
    assert [p.id for p in later] == [p.id for p in first]
    assert all(p.attempts == 2 for p in later)
    AlertStore(linked).mark_sent([p.id for p in later], worker="b", now=NOW, message_id=9)
    assert AlertStore(linked).claim("c", now=NOW + 2 * lease, lease=lease) == []
    assert {d["outcome"] for d in AlertStore(linked).deliveries()} == {"sent"}


def test_a_disabled_chats_rows_wait_until_it_is_linked_again(
    linked: Store, national: RulePack, workdays: WorkCalendar
):
    run_cycle(linked, national, workdays, as_of=dt.date(2026, 11, 24), now=NOW)
    AlertStore(linked).disable_chat(-1001, "Forbidden: bot was kicked", now=NOW)
    claimed = AlertStore(linked).claim("a", now=NOW, lease=dt.timedelta(minutes=5))
    assert {p.chat.chat_id for p in claimed} == {-2002}
    (chat,) = [c for c in AlertStore(linked).chats() if c.chat_id == -1001]
    assert not chat.enabled
    assert chat.disabled_reason == "Forbidden: bot was kicked"
    AlertStore(linked).add_chat("JD01-06-01", -1001, ChatRole.BRANCH, now=NOW)
    again = AlertStore(linked).claim("a", now=NOW, lease=dt.timedelta(minutes=5))
    assert {p.chat.chat_id for p in again} == {-1001}


def test_a_migrated_chat_keeps_its_rows(linked: Store, national: RulePack, workdays: WorkCalendar):
    run_cycle(linked, national, workdays, as_of=dt.date(2026, 11, 24), now=NOW)
    assert AlertStore(linked).migrate_chat(-1001, -1001999) == 1
    claimed = AlertStore(linked).claim("a", now=NOW, lease=dt.timedelta(minutes=5))
    assert -1001999 in {p.chat.chat_id for p in claimed}
    assert -1001 not in {c.chat_id for c in AlertStore(linked).chats()}


def test_link_codes_are_one_time_and_expire(linked: Store):
    from monitor.alerts.store import LinkError

    code = AlertStore(linked).issue_code(now=NOW, org="JD01-01", role=ChatRole.BRANCH)
    assert len(code) == 8
    done = AlertStore(linked).redeem(code.lower(), now=NOW, chat_id=-5555)
    assert done.chat is not None
    assert (done.chat.org, done.chat.role) == ("JD01-01", ChatRole.BRANCH)
    with pytest.raises(LinkError, match="已使用"):
        AlertStore(linked).redeem(code, now=NOW, chat_id=-5555)
    old = AlertStore(linked).issue_code(now=NOW, member="M0001")
    with pytest.raises(LinkError, match="已过期"):
        AlertStore(linked).redeem(old, now=NOW + dt.timedelta(minutes=11), user_id=42)
    fresh = AlertStore(linked).issue_code(now=NOW, member="M0001")
    assert AlertStore(linked).redeem(fresh, now=NOW, user_id=42).member == "M0001"
    assert AlertStore(linked).member_of(42) == "M0001"
    with pytest.raises(LinkError, match="未找到"):
        AlertStore(linked).redeem("NOPE1234", now=NOW, user_id=42)


def test_record_skips_notices_already_in_the_outbox(linked: Store):
    (chat,) = [c for c in AlertStore(linked).chats() if c.chat_id == -2002]
    key = FindingKey("JD01-02", "", "party_lesson", "2026-Q3")
    notice = Notice("missed:x", chat.id, NoticeKind.MISSED, key, "一行")
    first = AlertStore(linked).record(AlertPlan(notices=[notice]), now=NOW)
    again = AlertStore(linked).record(AlertPlan(notices=[notice]), now=NOW)
    assert first[NoticeKind.MISSED] == 1
    assert again[NoticeKind.MISSED] == 0


# --- overdue ledger items and monthly summaries ----------------------------------------------


def item(status: LedgerStatus = LedgerStatus.OVERDUE, **changes: object) -> LedgerItem:
    fields: dict[str, object] = {
        "id": 12,
        "org": "B01-G1",
        "member": None,
        "rule": "party_group_meeting",
        "period": "2026-09",
        "source": LedgerSource.FINDING,
        "issue": "党小组会 2026年9月 未按期开展",
        "opened": dt.date(2026, 10, 6),
        "deadline": dt.date(2026, 11, 5),
        "status": status,
    }
    fields.update(changes)
    return LedgerItem(**fields)  # type: ignore[arg-type]


def overdue(items: list[LedgerItem], chats: tuple[Chat, ...]) -> list[Notice]:
    return plan_overdue(
        items,
        chats=chats,
        orgs=ORGS,
        cadres={CADRE.id: CADRE},
        rule_names={"party_group_meeting": "党小组会"},
    )


def test_an_overdue_item_goes_to_inspectors_above_its_org_only() -> None:
    other = Chat(3, -901, "C01", ChatRole.INSPECTOR)  # a second row for the same org
    notices = overdue(
        [item(), item(LedgerStatus.OPEN, id=13), item(LedgerStatus.CLEARED, id=14)],
        (BRANCH_CHAT, INSPECTOR_CHAT, other),
    )
    assert [(n.chat, n.kind, n.key) for n in notices] == [
        (2, NoticeKind.OVERDUE, "overdue:12:0"),
        (3, NoticeKind.OVERDUE, "overdue:12:0"),
    ]
    assert notices[0].line == (
        "B01-G1 第一党支部第一党小组 · 党小组会 2026年9月 未按期开展："
        "整改期限11月5日已过，尚未整改（问题台账第12号，2026-10-06发现）"
    )


def test_a_reopened_item_that_goes_overdue_again_has_a_new_key() -> None:
    (first,) = overdue([item()], (INSPECTOR_CHAT,))
    (again,) = overdue([item(reopened=1)], (INSPECTOR_CHAT,))
    assert first.key != again.key


def test_a_cadres_overdue_item_names_the_cadre_and_the_branch() -> None:
    (notice,) = overdue(
        [
            item(
                org="B01",
                member="L1",
                rule="dual_life",
                issue="双重组织生活 2026年第三季度 未按期参加",
            )
        ],
        (BRANCH_CHAT, INSPECTOR_CHAT),
    )
    assert notice.chat == 2
    assert notice.line.startswith(
        "L1 王书记（第一党支部） · 双重组织生活 2026年第三季度 未按期参加："
    )


def test_an_overdue_item_without_an_issue_names_its_rule_and_period_in_chinese() -> None:
    (notice,) = overdue([item(issue="")], (INSPECTOR_CHAT,))
    assert notice.line.startswith("B01-G1 第一党支部第一党小组 · 党小组会 2026年9月：整改期限")


def test_summaries_go_once_to_each_inspector_chat_with_text_and_workbook() -> None:
    twin = Chat(3, -900, "B01", ChatRole.INSPECTOR)  # the same Telegram group, another org
    disabled = Chat(4, -902, "C01", ChatRole.INSPECTOR, enabled=False)
    asked: list[str] = []

    def render(chat: Chat) -> SummaryBundle | None:
        asked.append(chat.org)
        return SummaryBundle(
            f"{chat.org} 十月小结", b"PK\x03\x04", f"{chat.org}-2026-10.xlsx", b"PK", "x.docx"
        )

    notices = plan_summaries((BRANCH_CHAT, INSPECTOR_CHAT, twin, disabled), "2026-10", render)
    assert asked == ["C01"]
    assert [(n.chat, n.kind, n.key) for n in notices] == [
        (2, NoticeKind.SUMMARY, "summary:2026-10"),
        (2, NoticeKind.REPORT, "report:2026-10"),
    ]
    assert notices[0].line == "C01 十月小结"
    assert notices[1].document == b"PK\x03\x04"
    assert notices[1].filename == "C01-2026-10.xlsx"


def test_no_summary_when_there_is_nothing_to_report() -> None:
    assert plan_summaries((INSPECTOR_CHAT,), "2026-10", lambda chat: None) == []


def test_a_cycle_opens_ledger_items_and_announces_overdue_ones_once(
    linked: Store, national: RulePack, workdays: WorkCalendar
):
    first = run_cycle(linked, national, workdays, as_of=dt.date(2026, 11, 24), now=NOW)
    assert first.ledger is not None
    assert first.ledger.opened == first.missed == 36
    assert first.enqueued[NoticeKind.OVERDUE] == 0
    items = LedgerStore(linked).items()
    assert {i.deadline for i in items} == {dt.date(2026, 12, 24)}

    # A month on, nothing rectified: every item is overdue and told to the inspectors once.
    later = dt.datetime(2026, 12, 28, 2, 0, tzinfo=dt.UTC)
    overdue = run_cycle(linked, national, workdays, as_of=dt.date(2026, 12, 28), now=later)
    assert overdue.ledger is not None
    assert len(overdue.ledger.overdue) == 36
    assert overdue.enqueued[NoticeKind.OVERDUE] == 36
    rows = [r for r in AlertStore(linked).outbox() if r["kind"] == "overdue"]
    assert {r["chat_id"] for r in rows} == {-2002}  # inspectors only
    again = run_cycle(linked, national, workdays, as_of=dt.date(2026, 12, 29), now=later)
    assert again.enqueued[NoticeKind.OVERDUE] == 0
