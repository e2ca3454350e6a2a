"""The pure feed builder: findings and records in, calendar events out (no store, no clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.calendar.feed import (
    MISSED_MARK,
    FeedEvent,
    FeedInput,
    FeedKind,
    FeedSubject,
    build_feed,
    uid,
)
from monitor.core.domain import Evidence, Finding, Meeting, Member, Org, OrgType, Role, Status
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack
from monitor.core.schedule import SHANGHAI
from monitor.core.workdays import WorkCalendar
from monitor.holidays import work_calendar

AS_OF = dt.date(2026, 11, 20)
BRANCH = Org("B01", "第一党支部", OrgType.BRANCH, parent="C01", party_day="1FR")
GROUP = Org("B01-G1", "第一党支部第一党小组", OrgType.GROUP, parent="B01")
FIFTEENTH = Org("B02", "第二党支部", OrgType.BRANCH, parent="C01", party_day="15")
COMMITTEE = Org("C01", "街道党工委", OrgType.COMMITTEE)
CADRE = Member("L1", "王书记", "B01", group="B01-G1", role=Role.MEMBER, leader=True)
ORGS = {o.code: o for o in (COMMITTEE, BRANCH, GROUP, FIFTEENTH)}


@pytest.fixture(scope="module")
def workdays() -> WorkCalendar:
    return work_calendar(warn=lambda year, hint: None)


def month(year: int, index: int) -> Period:
    return Period(Cadence.MONTH, year, index)


def quarter(year: int, index: int) -> Period:
    return Period(Cadence.QUARTER, year, index)


def finding(
    rule: str, period: Period, status: Status, org: str = "B01", member: str | None = None, **ev
) -> Finding:
    return Finding(org, member, rule, period, status, Evidence(**ev))


def feed_of(
    who: FeedSubject,
    findings: list[Finding],
    pack: RulePack,
    workdays: WorkCalendar,
    records: tuple[Meeting, ...] = (),
    first: dt.date = dt.date(2026, 1, 1),
    last: dt.date = dt.date(2027, 12, 31),
) -> dict[str, FeedEvent]:
    data = FeedInput(who, ORGS, {CADRE.id: CADRE}, findings, records)
    feed = build_feed(data, pack, workdays, as_of=AS_OF, first=first, last=last)
    return {e.uid: e for e in feed.events}


def branch() -> FeedSubject:
    return FeedSubject(FeedKind.BRANCH, BRANCH)


@pytest.mark.parametrize(
    ("org", "period", "day", "why"),
    [
        (
            BRANCH,
            month(2026, 1),
            dt.date(2026, 1, 4),
            "元旦",
        ),  # 1FR = Jan 2, a holiday; Sunday 4th is 调休
        (BRANCH, month(2026, 10), dt.date(2026, 10, 8), "国庆节"),  # Oct 2 in the National Day week
        (FIFTEENTH, month(2026, 2), dt.date(2026, 2, 24), "春节"),  # Feb 15 in Spring Festival
        (BRANCH, month(2026, 11), dt.date(2026, 11, 6), None),  # an ordinary first Friday
    ],
)
def test_themed_party_day_is_timed_on_the_scheduled_workday(
    national: RulePack, workdays: WorkCalendar, org: Org, period: Period, day: dt.date, why: str
):
    f = finding("themed_party_day", period, Status.OPEN, org=org.code)
    who = FeedSubject(FeedKind.BRANCH, org)
    events = feed_of(who, [f], national, workdays)
    event = events[uid("themed_party_day", period.label, org.code)]
    assert "主题党日" in event.summary
    assert event.start == dt.datetime.combine(day, dt.time(9), SHANGHAI)
    assert event.end == dt.datetime.combine(day, dt.time(11), SHANGHAI)
    if why:
        assert why in event.description
        assert "顺延" in event.description
    else:
        assert "顺延" not in event.description


def test_october_2026_session_avoids_the_national_day_week(
    national: RulePack, workdays: WorkCalendar
):
    events = feed_of(
        branch(), [finding("themed_party_day", month(2026, 10), Status.OPEN)], national, workdays
    )
    (event,) = events.values()
    assert isinstance(event.start, dt.datetime)
    assert not dt.date(2026, 10, 1) <= event.start.date() <= dt.date(2026, 10, 7)
    assert workdays.is_workday(event.start.date())


def test_a_year_without_official_holidays_is_scheduled_provisionally(
    national: RulePack, workdays: WorkCalendar
):
    year = 2031  # no official arrangement ships for it
    f = finding("themed_party_day", month(year, 10), Status.OPEN)
    (event,) = feed_of(branch(), [f], national, workdays, last=dt.date(year, 12, 31)).values()
    assert isinstance(event.start, dt.datetime)
    assert not dt.date(year, 10, 1) <= event.start.date() <= dt.date(year, 10, 3)
    assert "尚未公布" in event.description


def test_a_held_session_says_when_it_was_actually_held(national: RulePack, workdays: WorkCalendar):
    record = Meeting(
        "B01", frozenset({"themed_party_day"}), dt.date(2026, 3, 10), topic="义务植树", id=3
    )
    f = finding("themed_party_day", month(2026, 3), Status.HELD, counted=1, records=(3,))
    events = feed_of(branch(), [f], national, workdays, records=(record,))
    session = events[uid("themed_party_day", "2026-03", "B01")]
    assert session.start == dt.datetime(2026, 3, 6, 9, tzinfo=SHANGHAI)
    assert "实际开展：2026年3月10日（义务植树）" in session.description


def test_a_session_keeps_its_day_whatever_its_status(national: RulePack, workdays: WorkCalendar):
    period = month(2026, 3)
    for status, mark in ((Status.HELD, "（已开展）"), (Status.MISSED, MISSED_MARK)):
        (event,) = feed_of(
            branch(), [finding("themed_party_day", period, status, counted=1)], national, workdays
        ).values()
        assert mark in event.summary
        assert isinstance(event.start, dt.datetime)
        assert event.start.date() == dt.date(2026, 3, 6)
        assert event.reminders == ()


def test_an_open_deadline_is_all_day_on_the_last_workday_and_says_what_is_due(
    national: RulePack, workdays: WorkCalendar
):
    f = finding("branch_general_meeting", quarter(2026, 3), Status.OPEN)
    (event,) = feed_of(branch(), [f], national, workdays).values()
    assert event.all_day
    assert event.start == dt.date(2026, 9, 30)
    assert event.end == dt.date(2026, 10, 1)
    assert event.summary == "本季度支部党员大会尚未召开，截止9月30日"
    assert event.reminders == (7, 1)
    for text in (
        "2026年第三季度",
        "2026-Q3",
        "《中国共产党支部工作条例（试行）》",
        "branch_general_meeting",
    ):
        assert text in event.description


def test_a_deadline_on_a_weekend_moves_to_the_last_workday(
    national: RulePack, workdays: WorkCalendar
):
    # May 2026 ends on a Sunday; the 1st–5th are the Labour Day holiday, the 9th a 调休 Saturday.
    f = finding("branch_committee_meeting", month(2026, 5), Status.OPEN)
    (event,) = feed_of(branch(), [f], national, workdays).values()
    assert event.start == dt.date(2026, 5, 29)
    assert "截止5月31日" in event.summary


def test_a_partly_met_count_says_how_many_are_still_needed(
    national: RulePack, workdays: WorkCalendar
):
    pack = national.__class__(
        **{
            **{f: getattr(national, f) for f in national.__dataclass_fields__},
            "rules": tuple(
                r.model_copy(update={"count": 2}) if r.id == "party_lesson" else r
                for r in national.rules
            ),
        }
    )
    f = finding("party_lesson", quarter(2026, 4), Status.OPEN, counted=1, seen=1)
    (event,) = feed_of(branch(), [f], pack, workdays).values()
    assert event.summary == "本季度党课已开展1次，尚需1次，截止12月31日"


def test_a_missed_period_is_a_marked_entry_and_a_met_one_says_so(
    national: RulePack, workdays: WorkCalendar
):
    findings = [
        finding("branch_general_meeting", quarter(2026, 2), Status.MISSED),
        finding("branch_general_meeting", quarter(2026, 1), Status.HELD, counted=1, records=(7,)),
    ]
    events = feed_of(branch(), findings, national, workdays)
    met = events[uid("branch_general_meeting", "2026-Q1", "B01")]
    assert met.summary == "本季度支部党员大会已召开"
    assert met.reminders == ()
    missed = events[uid("branch_general_meeting", "2026-Q2", "B01")]
    assert missed.summary.startswith("【未按期召开】")
    assert missed.reminders == ()
    assert "未按期开展" in missed.description


def test_held_records_show_on_their_day_with_topic_and_attendance(
    national: RulePack, workdays: WorkCalendar
):
    record = Meeting(
        "B01",
        frozenset({"general_meeting", "party_lesson"}),
        dt.date(2026, 3, 12),
        expected=20,
        attended=18,
        topic="学习全会精神",
        recorded=dt.date(2026, 3, 30),
        id=7,
    )
    findings = [
        finding("branch_general_meeting", quarter(2026, 1), Status.HELD, counted=1, records=(7,)),
        finding("party_lesson", quarter(2026, 1), Status.HELD, counted=1, records=(7,)),
    ]
    events = feed_of(branch(), findings, national, workdays, records=(record,))
    (event,) = (e for e in events.values() if e.uid.startswith("record."))
    assert event.all_day
    assert event.start == dt.date(2026, 3, 12)
    # A lesson is not a meeting: the record as a whole was 开展, not 召开.
    assert event.summary == "【已开展】支部党员大会＋党课：学习全会精神"
    assert "实到18人／应到20人（90%）" in event.description
    assert "会后18天录入" in event.description
    assert "2026年第一季度支部党员大会" in event.description
    assert "2026年第一季度党课" in event.description


def test_a_branch_feed_includes_its_groups_with_their_short_names(
    national: RulePack, workdays: WorkCalendar
):
    f = finding("party_group_meeting", month(2026, 11), Status.OPEN, org="B01-G1")
    (event,) = feed_of(branch(), [f], national, workdays).values()
    assert event.summary.startswith("本月第一党小组：党小组会尚未召开")
    group_feed = feed_of(FeedSubject(FeedKind.GROUP, GROUP), [f], national, workdays)
    (own,) = group_feed.values()
    assert own.summary.startswith("本月党小组会尚未召开")
    # Each feed names its events for itself: clients that merge equal UIDs across calendars
    # would otherwise show the group's meeting in only one of the two.
    assert own.uid == uid("party_group_meeting", "2026-11", "B01-G1")
    assert event.uid == uid("party_group_meeting", "2026-11", "B01-G1", "B01")


def test_a_cadre_feed_has_their_obligation_and_their_branch_sessions(
    national: RulePack, workdays: WorkCalendar
):
    findings = [
        finding("dual_org_life", quarter(2026, 4), Status.OPEN, member="L1"),
        finding("dual_org_life", quarter(2026, 4), Status.OPEN, member="OTHER"),
        finding("themed_party_day", month(2026, 12), Status.OPEN),
        finding("branch_general_meeting", quarter(2026, 4), Status.OPEN),
    ]
    who = FeedSubject(FeedKind.CADRE, BRANCH, CADRE)
    events = feed_of(who, findings, national, workdays)
    assert set(events) == {
        uid("dual_org_life", "2026-Q4", "L1"),
        uid("themed_party_day", "2026-12", "B01", "L1"),
    }
    own = events[uid("dual_org_life", "2026-Q4", "L1")]
    assert own.summary == "本季度双重组织生活尚未参加，截止12月31日"
    assert "王书记" in own.description
    assert who.title == "王书记（第一党支部）双重组织生活"


def test_a_cadres_missed_obligation_says_not_attended(national: RulePack, workdays: WorkCalendar):
    findings = [finding("dual_org_life", quarter(2026, 3), Status.MISSED, member="L1")]
    events = feed_of(FeedSubject(FeedKind.CADRE, BRANCH, CADRE), findings, national, workdays)
    assert (
        events[uid("dual_org_life", "2026-Q3", "L1")].summary == "【未按期参加】本季度双重组织生活"
    )
    oversight = feed_of(FeedSubject(FeedKind.OVERSIGHT, COMMITTEE), findings, national, workdays)
    assert oversight[uid("dual_org_life", "2026-Q3", "C01", "all")].summary == (
        "【未按期参加】本季度双重组织生活：1名领导干部未按期参加"
    )


def test_a_higher_level_feed_has_one_all_day_deadline_per_rule_and_period(
    national: RulePack, workdays: WorkCalendar
):
    q3 = quarter(2026, 3)
    findings = [
        finding("branch_general_meeting", q3, Status.MISSED, org="B01"),
        finding("branch_general_meeting", q3, Status.HELD, org="B02", counted=1),
        finding("themed_party_day", month(2026, 12), Status.OPEN, org="B01"),
        finding("themed_party_day", month(2026, 12), Status.OPEN, org="B02"),
        finding("dual_org_life", q3, Status.HELD, member="L1", counted=1),
    ]
    who = FeedSubject(FeedKind.OVERSIGHT, COMMITTEE)
    events = feed_of(who, findings, national, workdays)
    assert all(e.all_day for e in events.values())
    general = events[uid("branch_general_meeting", "2026-Q3", "C01", "all")]
    assert general.summary == "【未按期召开】本季度支部党员大会：1个支部未按期召开"
    assert "第一党支部（B01）" in general.description
    day = events[uid("themed_party_day", "2026-12", "C01", "all")]
    assert day.summary == "本月主题党日截止12月31日：2个支部尚未开展（共2）"
    assert day.reminders == (7, 1)
    assert events[uid("dual_org_life", "2026-Q3", "C01", "all")].summary == (
        "本季度双重组织生活：1名领导干部均已参加"
    )


def test_events_outside_the_dates_asked_for_are_left_out(
    national: RulePack, workdays: WorkCalendar
):
    findings = [finding("themed_party_day", month(2026, m), Status.OPEN) for m in range(1, 13)]
    events = feed_of(
        branch(), findings, national, workdays, first=dt.date(2026, 3, 1), last=dt.date(2026, 5, 31)
    )
    assert [e.start.month for e in events.values()] == [3, 4, 5]


def test_exempt_findings_make_no_event(national: RulePack, workdays: WorkCalendar):
    f = finding("branch_general_meeting", quarter(2026, 1), Status.EXEMPT)
    assert feed_of(branch(), [f], national, workdays) == {}


def test_uids_escape_codes_that_are_not_plain_ascii():
    assert uid("themed_party_day", "2026-01", "支部 1") == (
        "themed_party_day.2026-01.%E6%94%AF%E9%83%A8%201@orglife"
    )


def test_the_digest_changes_exactly_when_the_event_does():
    event = FeedEvent("u@orglife", "主题党日", "说明", dt.date(2026, 1, 5), dt.date(2026, 1, 6))
    same = FeedEvent("u@orglife", "主题党日", "说明", dt.date(2026, 1, 5), dt.date(2026, 1, 6))
    assert event.digest() == same.digest()
    for changed in (
        FeedEvent("u@orglife", "主题党日（已开展）", "说明", event.start, event.end),
        FeedEvent("u@orglife", "主题党日", "说明", event.start, event.end, reminders=(1,)),
        FeedEvent("u@orglife", "主题党日", "说明", dt.date(2026, 1, 6), dt.date(2026, 1, 7)),
    ):
        assert changed.digest() != event.digest()


def test_an_inverted_range_is_refused(national: RulePack, workdays: WorkCalendar):
    with pytest.raises(ValueError, match="earlier than its first day"):
        build_feed(
            FeedInput(branch(), ORGS, {}, []),
            national,
            workdays,
            as_of=AS_OF,
            first=dt.date(2026, 5, 1),
            last=dt.date(2026, 4, 1),
        )


def test_a_lecturer_named_by_member_id_is_shown_by_name(national: RulePack, workdays: WorkCalendar):
    record = Meeting("B01", frozenset({"party_lesson"}), dt.date(2026, 5, 8), lecturer="M9", id=4)
    data = FeedInput(branch(), ORGS, {}, [], (record,), names={"M9": "李四"})
    feed = build_feed(
        data, national, workdays, as_of=AS_OF, first=AS_OF.replace(month=1, day=1), last=AS_OF
    )
    (event,) = feed.events
    assert "主讲人：李四（M9）" in event.description
    assert "计入：无" in event.description
