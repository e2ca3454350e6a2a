"""Boundaries of the pure core that hand-made mutations showed the suite left loose: the
founding day, 补录 announcements, the ledger's overdue day, the order of late entries and the
half-year labels. Each test pins one side of a comparison the code means exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.alerts.plan import Chat, ChatRole, FindingKey, FindingState, NoticeKind, plan
from monitor.calendar.feed import Feed, FeedInput, FeedKind, FeedSubject, build_feed
from monitor.check import Check
from monitor.core.domain import Evidence, Finding, Org, OrgType, Status
from monitor.core.evaluator import Evaluator, Registers, Window, registers_from, tally_meetings
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack, load_pack
from monitor.core.workdays import WorkCalendar
from monitor.holidays import work_calendar
from monitor.ledger.model import LedgerItem, LedgerSource, LedgerStatus
from monitor.reporting.summary import RecordDates, ledger_figures, summarise

D = dt.date
DISTRICT = Path(__file__).resolve().parent.parent / "rules" / "example-district.yaml"
MARCH = Period(Cadence.MONTH, 2026, 3)
H1 = Period(Cadence.HALF_YEAR, 2026, 1)
H2 = Period(Cadence.HALF_YEAR, 2026, 2)


@pytest.fixture(scope="module")
def workdays() -> WorkCalendar:
    return work_calendar(warn=lambda year, hint: None)


@pytest.fixture(scope="module")
def district() -> RulePack:
    """The baseline with the example overlay, whose party lessons are half-yearly."""
    return load_pack([DISTRICT])


# --- the founding day: an org founded on a period's first day owes that period --------------


def verdicts(pack: RulePack, orgs: list[Org], as_of: dt.date) -> dict[tuple[str, str, str], Status]:
    """(org, rule, period label) -> status, judged on ``as_of`` from no records at all."""
    window = Window.for_(as_of, D(2026, 1, 1))
    registers = registers_from(orgs, [], pack, window)
    tallies = tally_meetings(pack, window, orgs, [], [])
    return {
        (f.org, f.rule, f.period.label): f.status
        for f in Evaluator(pack, window).evaluate(registers, tallies)
    }


def founded_on(day: dt.date) -> list[Org]:
    return [
        Org("S", "示范街道党工委", OrgType.COMMITTEE, None, D(2000, 1, 1)),
        Org("B9", "新建小区党支部", OrgType.BRANCH, "S", day),
    ]


def test_an_org_founded_on_a_periods_first_day_is_not_exempt_for_it(national):
    result = verdicts(national, founded_on(D(2026, 4, 1)), as_of=D(2026, 8, 1))
    assert result[("B9", "themed_party_day", "2026-04")] is Status.MISSED
    assert result[("B9", "branch_general_meeting", "2026-Q2")] is Status.MISSED
    # The periods that began before it existed are exempt.
    assert result[("B9", "themed_party_day", "2026-03")] is Status.EXEMPT
    assert result[("B9", "branch_general_meeting", "2026-Q1")] is Status.EXEMPT


def test_an_org_founded_a_day_after_a_period_began_is_exempt_for_it(national):
    result = verdicts(national, founded_on(D(2026, 4, 2)), as_of=D(2026, 8, 1))
    assert result[("B9", "themed_party_day", "2026-04")] is Status.EXEMPT
    assert result[("B9", "branch_general_meeting", "2026-Q2")] is Status.EXEMPT
    assert result[("B9", "themed_party_day", "2026-05")] is Status.MISSED


# --- 补录: only a miss that was announced is announced again as made good ------------------

B01 = Org("B01", "第一党支部", OrgType.BRANCH, parent="C01")
C01 = Org("C01", "街道党工委", OrgType.COMMITTEE)
BRANCH_CHAT = Chat(1, -101, "B01", ChatRole.BRANCH)
INSPECTOR_CHAT = Chat(2, -900, "C01", ChatRole.INSPECTOR)
Q3 = Period(Cadence.QUARTER, 2026, 3)
Q3_KEY = FindingKey("B01", "", "branch_general_meeting", "2026-Q3")


def planned_for_held(
    national: RulePack, workdays: WorkCalendar, before: dict[FindingKey, FindingState]
) -> tuple[dict[FindingKey, FindingState], list[NoticeKind]]:
    """What a cycle on 24 November plans for B01's 2026-Q3 general meeting, now held."""
    held = Finding("B01", None, "branch_general_meeting", Q3, Status.HELD, Evidence(1, 1, (5,)))
    result = plan(
        [held],
        pack=national,
        orgs={o.code: o for o in (C01, B01)},
        cadres={},
        chats=(BRANCH_CHAT, INSPECTOR_CHAT),
        states=before,
        recipients={Q3_KEY: frozenset({1, 2})},
        workdays=workdays,
        as_of=D(2026, 11, 24),
    )
    return result.states, [n.kind for n in result.notices]


def test_a_held_finding_announced_missed_is_announced_as_made_good(national, workdays):
    states, kinds = planned_for_held(national, workdays, {Q3_KEY: FindingState.MISSED})
    assert states == {Q3_KEY: FindingState.LATE}
    assert kinds == [NoticeKind.LATE, NoticeKind.LATE]


def test_a_held_finding_already_announced_as_made_good_is_not_announced_again(national, workdays):
    states, kinds = planned_for_held(national, workdays, {Q3_KEY: FindingState.LATE})
    assert states == {}
    assert kinds == []


def test_a_held_finding_never_announced_missed_is_not_a_late_entry(national, workdays):
    states, kinds = planned_for_held(national, workdays, {})
    assert states == {}
    assert kinds == []


# --- the ledger: an item is overdue the day after its deadline, not on it -------------------


def ledger_item(deadline: dt.date, status: LedgerStatus = LedgerStatus.OPEN) -> LedgerItem:
    return LedgerItem(
        id=1,
        org="B01",
        member=None,
        rule="themed_party_day",
        period="2026-02",
        source=LedgerSource.FINDING,
        issue="主题党日 2026-02 未按期开展",
        opened=D(2026, 3, 6),
        deadline=deadline,
        status=status,
    )


def test_an_item_whose_deadline_is_the_as_of_day_is_not_yet_overdue():
    figures = ledger_figures([ledger_item(D(2026, 4, 5))], MARCH, D(2026, 4, 5))
    assert (figures.outstanding, figures.overdue) == (1, 0)


def test_an_item_is_overdue_the_day_after_its_deadline():
    figures = ledger_figures([ledger_item(D(2026, 4, 4))], MARCH, D(2026, 4, 5))
    assert (figures.outstanding, figures.overdue) == (1, 1)


def test_an_item_being_rectified_is_never_overdue():
    figures = ledger_figures(
        [ledger_item(D(2026, 3, 20), LedgerStatus.RECTIFYING)], MARCH, D(2026, 4, 5)
    )
    assert (figures.outstanding, figures.overdue) == (1, 0)


# --- late entries: by org, then the meeting's day, then the record's id ---------------------


def late_entry_order(
    pack: RulePack, findings: list[Finding], records: dict[int, RecordDates]
) -> list[int]:
    orgs = [
        Org("S", "街道党工委", OrgType.COMMITTEE),
        Org("B01", "第一党支部", OrgType.BRANCH, "S"),
        Org("B02", "第二党支部", OrgType.BRANCH, "S"),
    ]
    check = Check(D(2026, 5, 20), D(2025, 1, 1), Registers({o.code: o for o in orgs}), findings)
    summary = summarise(check, pack, org="S", month=MARCH, late_records=records, late_days=7)
    return [entry.record for entry in summary.late_entries]


def held_by(org: str, rule: str, record: int) -> Finding:
    return Finding(org, None, rule, MARCH, Status.HELD, Evidence(1, 1, (record,)))


def entered_late(org: str, day: dt.date) -> RecordDates:
    """A March record entered on 20 April: after March's grace, over a week after the day."""
    return RecordDates(org, day, D(2026, 4, 20))


def test_late_entries_of_one_org_on_one_day_come_in_record_order(national):
    # Found in the order 9, 4 (the findings' order); listed 4, 9.
    findings = [
        held_by("B01", "themed_party_day", 9),
        held_by("B01", "branch_committee_meeting", 4),
    ]
    records = {9: entered_late("B01", D(2026, 3, 10)), 4: entered_late("B01", D(2026, 3, 10))}
    assert late_entry_order(national, findings, records) == [4, 9]


def test_late_entries_of_one_org_come_by_meeting_day_before_record_id(national):
    findings = [
        held_by("B02", "themed_party_day", 1),
        held_by("B01", "themed_party_day", 2),
        held_by("B01", "branch_committee_meeting", 5),
    ]
    records = {
        1: entered_late("B02", D(2026, 3, 2)),
        2: entered_late("B01", D(2026, 3, 20)),
        5: entered_late("B01", D(2026, 3, 10)),
    }
    assert late_entry_order(national, findings, records) == [5, 2, 1]


# --- half-year labels: the first half is 上半年, the second 下半年 ---------------------------


def test_the_first_half_year_is_named_the_upper_half_and_the_second_the_lower():
    assert "上半年" in H1.label_zh
    assert "下半年" not in H1.label_zh
    assert "下半年" in H2.label_zh
    assert "上半年" not in H2.label_zh


def half_year_feed(pack: RulePack, workdays: WorkCalendar) -> Feed:
    branch = Org("B01", "第一党支部", OrgType.BRANCH)
    findings = [Finding("B01", None, "party_lesson", p, Status.OPEN) for p in (H1, H2)]
    data = FeedInput(FeedSubject(FeedKind.BRANCH, branch), {"B01": branch}, {}, findings)
    return build_feed(data, pack, workdays, as_of=D(2026, 2, 1), first=H1.start, last=H2.end)


def test_a_half_yearly_deadline_in_a_feed_says_which_half_it_is(district, workdays):
    feed = half_year_feed(district, workdays)
    assert district.rule("party_lesson").period is Cadence.HALF_YEAR
    first, second = (
        next(e.summary for e in feed.events if label in e.uid) for label in ("2026-H1", "2026-H2")
    )
    assert "上半年" in first, first
    assert "下半年" not in first, first
    assert "下半年" in second, second
    assert "上半年" not in second, second
