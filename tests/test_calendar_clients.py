"""Calendar feeds as real clients read them: Mozilla's ical.js (Node) and recurring-ical-events.

Every kind of feed of the demo district (a branch, a party group, a leading cadre, a committee
and a general branch) is generated with :func:`monitor.calendar.service.generate` and read back by
two independent parsers; a small register of our own pins themed Party days on known days of the
official 2026 holiday calendar (and the provisional 2027 one).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from icaljs import ensure_icaljs, parse_with_icaljs

from monitor.calendar.feed import CADRE_MISSED_MARK, MISSED_MARK, FeedEvent, FeedKind
from monitor.calendar.service import RenderedFeed, generate
from monitor.core.domain import Org
from monitor.core.periods import Period
from monitor.core.rules import Rule, RulePack
from monitor.core.schedule import scheduled_day
from monitor.core.workdays import WorkCalendar
from monitor.demo import DEMO_DIR, SNAPSHOT_DAY, demo_files
from monitor.holidays import work_calendar
from monitor.registers.readers import read_meetings, read_members, read_orgs
from monitor.store import Store

AS_OF = dt.date(2026, 11, 20)
FIRST = dt.date(2026, 1, 1)
LAST = dt.date(2027, 3, 31)  # 2027 has no official holiday data: provisional
NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 23, 17, 45, 12, tzinfo=dt.UTC)
ONE_DAY = dt.timedelta(days=1)
SHANGHAI_OFFSET = dt.timedelta(hours=8)

# Every kind of feed, with the calendar name a subscriber sees.
FEEDS: dict[str, tuple[FeedKind, str]] = {
    "JD01-01": (FeedKind.BRANCH, "幸福社区党支部 组织生活"),
    "JD01-01-G1": (FeedKind.GROUP, "幸福社区党支部第一网格党小组 组织生活"),
    "M0061": (FeedKind.CADRE, "冯玉兰（区实验小学党支部）双重组织生活"),
    "JD01": (FeedKind.OVERSIGHT, "幸福街道党工委 组织生活督导"),
    "JD01-06": (FeedKind.OVERSIGHT, "幸福街道社会组织党总支 组织生活督导"),
}
HIGHER_LEVEL = ["JD01", "JD01-06"]

# Months from FIRST to LAST as period labels (2026-01 … 2027-03).
MONTHS = [f"{y}-{m:02d}" for y in (2026, 2027) for m in range(1, 13) if (y, m) <= (2027, 3)]
TIMED_TRIGGERS = ["-P7D", "-P1D"]
ALL_DAY_TRIGGERS = ["-P6DT15H", "-PT15H"]  # 7 and 1 days before, at 09:00 local
CJK = re.compile(r"[\u4e00-\u9fff]")


# --------------------------------------------------------------------------- helpers


def _utc(value: dt.date | dt.datetime) -> str:
    """A feed event's start/end the way parse-ics.mjs prints it."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _by_uid(parsed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {event["uid"]: event for event in parsed["events"]}


def _rule(pack: RulePack, rule_id: str) -> Rule:
    return next(rule for rule in pack.rules if rule.id == rule_id)


def _load_demo(store: Store, pack: RulePack) -> None:
    files = demo_files()
    store.import_orgs(read_orgs(files["orgs"]))
    store.import_members(read_members(files["members"]))
    store.import_meetings(
        read_meetings(files["meetings"], today=SNAPSHOT_DAY, historical=True), pack.catalog
    )


def _generate(
    store: Store, pack: RulePack, workdays: WorkCalendar, code: str, now: dt.datetime = NOW
) -> RenderedFeed:
    return generate(store, pack, workdays, code, as_of=AS_OF, first=FIRST, last=LAST, now=now)


STATUSES = {"已落实": "held", "未按期开展": "missed", "进行中": "open"}


def _status(event: FeedEvent, oversight: bool) -> str:
    """record, held, missed or open: what the event tells a subscriber."""
    if "会议记录" in event.categories:
        return "record"
    if event.summary.startswith((MISSED_MARK, CADRE_MISSED_MARK)):
        return "missed"
    if oversight:  # one event sums up a rule's period across the subtree
        return "held" if "均已" in event.summary else "open"
    return STATUSES[event.categories[-1]]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def workdays() -> WorkCalendar:
    return work_calendar()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, national: RulePack) -> Iterator[Store]:
    """The demo district on SQLite, shared by the module (its feeds are generated once)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with Store.open(f"sqlite:///{path}") as store:
        _load_demo(store, national)
        yield store


@pytest.fixture(scope="module")
def feeds(demo: Store, national: RulePack, workdays: WorkCalendar) -> dict[str, RenderedFeed]:
    return {code: _generate(demo, national, workdays, code) for code in FEEDS}


@pytest.fixture(scope="module")
def parsed(feeds: dict[str, RenderedFeed]) -> dict[str, dict[str, Any]]:
    """What ical.js reads from each feed (skips without Node, fails under CI=true)."""
    ensure_icaljs()
    return {code: parse_with_icaljs(rendered.body) for code, rendered in feeds.items()}


# --------------------------------------------------------------------------- ical.js


@pytest.mark.parametrize("code", FEEDS)
def test_icaljs_reads_every_feed_as_written(
    code: str, feeds: dict[str, RenderedFeed], parsed: dict[str, dict[str, Any]]
) -> None:
    rendered, result = feeds[code], parsed[code]
    kind, title = FEEDS[code]
    assert rendered.feed.subject.kind is kind
    assert rendered.feed.subject.title == title

    assert result["calendar"] == {
        "name": title,
        "refresh_interval": "PT6H",
        "refresh_interval_value_param": "DURATION",
        "published_ttl": "PT6H",
        "timezones": ["Asia/Shanghai"],
    }

    uids = [event["uid"] for event in result["events"]]
    assert len(uids) == len(set(uids)), "UIDs repeat within the feed"
    assert uids == [event.uid for event in rendered.feed.events]
    assert len(uids) >= 10

    read = _by_uid(result)
    for event in rendered.feed.events:
        got = read[event.uid]
        assert got["summary"], event.uid
        assert CJK.search(got["summary"]), got["summary"]
        # Chinese text survives rendering, folding and escaping exactly.
        assert (got["summary"], got["description"]) == (event.summary, event.description)
        assert got["categories"] == list(event.categories)
        assert got["sequence"] == 0
        assert got["status"] == "CONFIRMED"
        assert got["all_day"] is event.all_day
        assert (got["start"], got["end"]) == (_utc(event.start), _utc(event.end))
        if event.all_day:
            assert got["end"] == (event.day + ONE_DAY).isoformat()
        else:
            assert got["floating"] is False, event.uid
            assert got["start_tzid"] == got["start_tzid_param"] == "Asia/Shanghai"
        assert got["dtstamp_utc"] == got["last_modified_utc"] == "2026-11-20T08:00:00Z"
        assert got["is_recurring"] is False


@pytest.mark.parametrize("code", HIGHER_LEVEL)
def test_higher_level_feeds_hold_only_all_day_deadlines(
    code: str,
    feeds: dict[str, RenderedFeed],
    parsed: dict[str, dict[str, Any]],
    workdays: WorkCalendar,
    national: RulePack,
) -> None:
    events = parsed[code]["events"]
    assert events
    assert [e["uid"] for e in events if not e["all_day"]] == []
    for event in events:
        assert event["uid"].endswith(f".{code}.all@orglife"), event["uid"]
        assert "督导" in event["categories"]
        rule_id, label = event["uid"].split(".")[:2]
        period = Period.parse(label)
        # On the deadline's last workday (the period's end, or the end of the make-up window
        # of a rule with carry_over), one day long.
        day = workdays.last_workday(period.start, national.rule(rule_id).deadline(period))
        assert (event["start"], event["end"]) == (day.isoformat(), (day + ONE_DAY).isoformat())
    # The sessions of the branches below are summed up as deadlines, never as timed events.
    assert any(e["uid"].startswith("themed_party_day.2026-12.") for e in events)
    assert feeds[code].feed.subject.kind is FeedKind.OVERSIGHT


# --------------------------------------------------------------------------- recurring-ical-events


@pytest.mark.parametrize("code", FEEDS)
def test_recurring_ical_events_expands_every_feed(
    code: str, feeds: dict[str, RenderedFeed]
) -> None:
    rendered = feeds[code]
    cal = icalendar.Calendar.from_ical(rendered.body)
    assert str(cal["X-WR-CALNAME"]) == FEEDS[code][1]
    occurrences = recurring_ical_events.of(cal).between(FIRST, LAST + ONE_DAY)
    uids = [str(occurrence["UID"]) for occurrence in occurrences]
    assert len(uids) == len(set(uids))
    expected = {event.uid: event for event in rendered.feed.events}
    assert set(uids) == set(expected)
    timed = 0
    for occurrence in occurrences:
        event = expected[str(occurrence["UID"])]
        start = occurrence["DTSTART"].dt
        assert str(occurrence["SUMMARY"]) == event.summary
        if event.all_day:
            assert not isinstance(start, dt.datetime)
            assert start == event.start
        else:
            timed += 1
            assert isinstance(start, dt.datetime)
            assert start.tzinfo is not None, event.uid
            assert start.utcoffset() == SHANGHAI_OFFSET
            assert start == event.start
    kind = FEEDS[code][0]
    if kind in (FeedKind.BRANCH, FeedKind.CADRE):
        assert timed == len(MONTHS)  # one themed Party day a month
    else:
        assert timed == 0


# --------------------------------------------------------------------------- themed Party days


def test_demo_branch_party_days_are_nine_to_eleven_on_the_scheduled_day(
    demo: Store,
    feeds: dict[str, RenderedFeed],
    parsed: dict[str, dict[str, Any]],
    national: RulePack,
    workdays: WorkCalendar,
) -> None:
    with (DEMO_DIR / "orgs.csv").open(encoding="utf-8-sig", newline="") as f:
        party_days = {row["组织编码"]: row["主题党日"] for row in csv.DictReader(f)}
    assert party_days["JD01-01"] == "15"
    assert party_days["JD01-02"] == "1FR"

    read = _by_uid(parsed["JD01-01"])
    sessions = {uid: e for uid, e in read.items() if uid.startswith("themed_party_day.")}
    assert set(sessions) == {f"themed_party_day.{m}.JD01-01@orglife" for m in MONTHS}
    themed = [e for e in read.values() if "主题党日" in e["summary"] and not e["all_day"]]
    assert sorted(e["uid"] for e in themed) == sorted(sessions)

    # Known days: the 15th, or the next workday when it is a weekend or a holiday.
    known = {
        "2026-01": "2026-01-15",
        "2026-02": "2026-02-24",  # 15 Feb is in the Spring Festival holiday (15–23 Feb)
        "2026-03": "2026-03-16",  # a Sunday
        "2026-08": "2026-08-17",  # a Saturday
        "2026-11": "2026-11-16",  # a Sunday
        "2026-12": "2026-12-15",
        "2027-03": "2027-03-15",
    }
    rule = _rule(national, "themed_party_day")
    assert rule.schedule is not None
    org = demo.org("JD01-01")
    for month in MONTHS:
        event = sessions[f"themed_party_day.{month}.JD01-01@orglife"]
        year, mon = map(int, month.split("-"))
        day = scheduled_day(rule.schedule, org, year, mon, workdays).day
        assert day.month == mon
        assert workdays.is_workday(day)
        assert event["all_day"] is False
        assert event["floating"] is False
        assert event["start_tzid"] == "Asia/Shanghai"
        assert event["start"] == f"{day.isoformat()}T01:00:00Z"  # 09:00 in Shanghai
        assert event["end"] == f"{day.isoformat()}T03:00:00Z"  # 11:00
        if month in known:
            assert day.isoformat() == known[month]


def test_demo_first_friday_branch_meets_on_the_make_up_sunday(
    demo: Store, national: RulePack, workdays: WorkCalendar
) -> None:
    rendered = _generate(demo, national, workdays, "JD01-02")
    event = _by_uid(parse_with_icaljs(rendered.body))["themed_party_day.2026-01.JD01-02@orglife"]
    assert (event["start"], event["end"]) == ("2026-01-04T01:00:00Z", "2026-01-04T03:00:00Z")
    assert event["start_tzid"] == "Asia/Shanghai"


def test_future_party_days_are_in_the_branch_feed_without_records(
    feeds: dict[str, RenderedFeed], parsed: dict[str, dict[str, Any]]
) -> None:
    read = _by_uid(parsed["JD01-01"])
    records = [e for e in feeds["JD01-01"].feed.events if e.uid.startswith("record.")]
    assert records
    assert max(e.day for e in records) <= AS_OF
    for month in ["2026-12", "2027-01", "2027-02", "2027-03"]:
        event = read[f"themed_party_day.{month}.JD01-01@orglife"]
        assert event["summary"] == "主题党日"
        assert event["start"] > AS_OF.isoformat()
        assert "进行中" in event["categories"]
        assert [a["trigger"] for a in event["alarms"]] == TIMED_TRIGGERS
        assert not [r for r in records if r.day.isoformat()[:7] == month]
    provisional = read["themed_party_day.2027-01.JD01-01@orglife"]["description"]
    assert "2027年放假安排尚未公布" in provisional
    assert "推算" in provisional
    assert "尚未公布" not in read["themed_party_day.2026-12.JD01-01@orglife"]["description"]


ORGS_CSV = """\
组织编码,组织名称,组织类型,上级组织编码,成立日期,主题党日,主题党日时间
T01,测试党委,党委,,2000-01-01,,
T01-01,第一周五党支部,党支部,T01,2000-01-01,1FR,
T01-02,十五日党支部,党支部,T01,2000-01-01,15,
T01-03,月末周五党支部,党支部,T01,2000-01-01,-1FR,14:30
"""
MEMBERS_CSV = """\
党员编号,姓名,所在组织编码,职务,入党日期
A0001,张建国,T01-01,书记,1990-07-01
A0002,李秀梅,T01-01,,2001-07-01
B0001,王志强,T01-02,书记,1995-07-01
B0002,赵丽华,T01-02,,2005-07-01
C0001,刘德明,T01-03,书记,1993-07-01
"""


@dataclass(frozen=True)
class Official:
    """Three branches with known party days: their orgs and ical.js's reading of their feeds."""

    orgs: dict[str, Org]
    events: dict[str, dict[str, dict[str, Any]]]  # by org code, then UID


@pytest.fixture(scope="module")
def official(
    tmp_path_factory: pytest.TempPathFactory, national: RulePack, workdays: WorkCalendar
) -> Official:
    folder = tmp_path_factory.mktemp("official")
    (folder / "orgs.csv").write_text(ORGS_CSV, encoding="utf-8")
    (folder / "members.csv").write_text(MEMBERS_CSV, encoding="utf-8")
    ensure_icaljs()
    codes = ("T01-01", "T01-02", "T01-03")
    with Store.open(f"sqlite:///{folder / 'x.db'}") as store:
        store.import_orgs(read_orgs(folder / "orgs.csv"))
        store.import_members(read_members(folder / "members.csv"))
        return Official(
            orgs={code: store.org(code) for code in codes},
            events={
                code: _by_uid(parse_with_icaljs(_generate(store, national, workdays, code).body))
                for code in codes
            },
        )


@pytest.mark.parametrize(
    ("code", "month", "day", "holiday"),
    [
        # 2 Jan (first Friday) is 元旦; Sunday 4 Jan is the 调休 make-up workday.
        ("T01-01", "2026-01", "2026-01-04", ("2026-01-01", "2026-01-03")),
        ("T01-01", "2026-05", "2026-05-06", ("2026-05-01", "2026-05-05")),
        ("T01-01", "2026-10", "2026-10-08", ("2026-10-01", "2026-10-07")),
        ("T01-02", "2026-02", "2026-02-24", ("2026-02-15", "2026-02-23")),
        ("T01-02", "2026-03", "2026-03-16", None),  # the 15th is a Sunday
        ("T01-02", "2026-04", "2026-04-15", None),
        # 2027 is provisional: 1 Jan 2027 is a Friday and 元旦.
        ("T01-01", "2027-01", "2027-01-04", ("2027-01-01", "2027-01-01")),
        ("T01-02", "2027-02", "2027-02-15", None),
    ],
)
def test_party_day_follows_the_official_calendar(
    official: Official,
    national: RulePack,
    workdays: WorkCalendar,
    code: str,
    month: str,
    day: str,
    holiday: tuple[str, str] | None,
) -> None:
    event = official.events[code][f"themed_party_day.{month}.{code}@orglife"]
    assert (event["start"], event["end"]) == (f"{day}T01:00:00Z", f"{day}T03:00:00Z")
    assert event["start_tzid"] == "Asia/Shanghai"
    assert event["floating"] is False

    when = dt.date.fromisoformat(day)
    year, mon = map(int, month.split("-"))
    spec = "1FR" if code == "T01-01" else "15"
    nominal = dt.date(year, mon, 1) if spec == "1FR" else dt.date(year, mon, 15)
    while spec == "1FR" and nominal.weekday() != 4:
        nominal += ONE_DAY
    # Cross-checks with the working-day calendar and the scheduler.
    assert workdays.next_workday(nominal) == when
    assert workdays.is_workday(when)
    assert when not in workdays.holidays(year)
    rule = _rule(national, "themed_party_day")
    assert rule.schedule is not None
    assert official.orgs[code].party_day == spec
    assert scheduled_day(rule.schedule, official.orgs[code], year, mon, workdays).day == when

    description = event["description"]
    assert f"时间：{year}年{when.month}月{when.day}日 09:00—11:00" in description
    if holiday is not None:
        first, last = map(dt.date.fromisoformat, holiday)
        assert first <= nominal <= last  # the nominal day is in the holiday…
        assert not first <= when <= last  # …and the session is not
        assert workdays.holiday_name(nominal) in description
        assert "顺延至下一个工作日" in description
    if when == nominal:
        assert "顺延" not in description
    if year == 2027:
        assert workdays.is_provisional(2027)
        assert "2027年放假安排尚未公布" in description
        assert "推算" in description
    else:
        assert "尚未公布" not in description
        assert "推算" not in description


def test_party_time_of_the_org_register_is_used(official: Official) -> None:
    # -1FR at 14:30 (a start alone: two hours); the last Friday of November 2026 is the 27th.
    event = official.events["T01-03"]["themed_party_day.2026-11.T01-03@orglife"]
    assert (event["start"], event["end"]) == ("2026-11-27T06:30:00Z", "2026-11-27T08:30:00Z")
    assert "时间：2026年11月27日 14:30—16:30" in event["description"]


# --------------------------------------------------------------------------- a cadre's feed


def test_cadre_feed_has_dual_org_life_and_branch_sessions(
    demo: Store,
    feeds: dict[str, RenderedFeed],
    parsed: dict[str, dict[str, Any]],
    national: RulePack,
    workdays: WorkCalendar,
) -> None:
    rendered = feeds["M0061"]
    member = rendered.feed.subject.member
    assert member is not None
    assert (member.id, member.org) == ("M0061", "JD01-03")
    read = _by_uid(parsed["M0061"])
    uids = set(read)
    assert {uid.split(".")[0] for uid in uids} == {"dual_org_life", "themed_party_day", "record"}
    assert {m for uid in uids for m in re.findall(r"M\d{4}", uid)} == {"M0061"}

    dual = {uid for uid in uids if uid.startswith("dual_org_life.")}
    assert dual
    assert all(".M0061@" in uid for uid in dual)
    upcoming = read["dual_org_life.2027-Q1.M0061@orglife"]
    assert upcoming["all_day"] is True
    assert upcoming["start"] == workdays.last_workday(dt.date(2027, 1, 1), LAST).isoformat()
    assert "双重组织生活" in upcoming["summary"]
    assert [a["trigger"] for a in upcoming["alarms"]] == ALL_DAY_TRIGGERS

    # The themed Party days of their branch, at the branch's own time (14:30–16:30).
    sessions = {uid for uid in uids if uid.startswith("themed_party_day.")}
    assert sessions == {f"themed_party_day.{m}.JD01-03.M0061@orglife" for m in MONTHS}
    rule = _rule(national, "themed_party_day")
    assert rule.schedule is not None
    branch = demo.org("JD01-03")
    for month in MONTHS:
        event = read[f"themed_party_day.{month}.JD01-03.M0061@orglife"]
        year, mon = map(int, month.split("-"))
        when = scheduled_day(rule.schedule, branch, year, mon, workdays)
        assert event["start_tzid"] == "Asia/Shanghai"
        assert event["floating"] is False
        assert (event["start"], event["end"]) == (_utc(when.start), _utc(when.end))
    november = read["themed_party_day.2026-11.JD01-03.M0061@orglife"]
    assert (november["start"], november["end"]) == ("2026-11-27T06:30:00Z", "2026-11-27T08:30:00Z")

    # Only records of their branch and party group that they attended, up to as_of.
    records = [e for e in rendered.feed.events if e.uid.startswith("record.")]
    assert records
    assert {e.uid.split(".")[1] for e in records} <= {"JD01-03", "JD01-03-G1"}
    assert max(e.day for e in records) <= AS_OF
    attended = demo.records(["JD01-03", "JD01-03-G1"], FIRST, AS_OF, attendee="M0061")
    assert len(records) == len(attended)


def test_cadre_feeds_of_one_branch_stay_apart(
    demo: Store, national: RulePack, workdays: WorkCalendar
) -> None:
    for me, other in (("M0097", "M0098"), ("M0098", "M0097")):
        rendered = _generate(demo, national, workdays, me)
        uids = [e.uid for e in rendered.feed.events]
        assert any(uid.startswith("dual_org_life.") and me in uid for uid in uids)
        assert not [uid for uid in uids if other in uid]
        assert rendered.feed.subject.title.endswith("（街道机关党支部）双重组织生活")


def test_cadre_quarters_with_attended_sessions_are_not_missed(
    demo: Store, feeds: dict[str, RenderedFeed], national: RulePack
) -> None:
    rule = _rule(national, "dual_org_life")
    attended = demo.records(["JD01-03", "JD01-03-G1"], FIRST, AS_OF, attendee="M0061")
    met = {
        Period.containing(rule.period, record.date).label
        for record in attended
        if record.kinds & set(rule.kinds)
    }
    assert met == {"2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"}  # the demo registers
    shown = {
        e.uid.split(".")[1]: e
        for e in feeds["M0061"].feed.events
        if e.uid.startswith("dual_org_life.")
    }
    assert shown["2027-Q1"].categories[-1] == "进行中"
    # A quarter whose requirement is met is not a missed (or still open) deadline.
    wrong = {
        label: e.summary
        for label, e in shown.items()
        if label in met and (_status(e, oversight=False) != "held" or e.reminders)
    }
    assert wrong == {}


# --------------------------------------------------------------------------- alarms


@pytest.mark.parametrize("code", FEEDS)
def test_alarms_only_on_open_requirements(
    code: str, feeds: dict[str, RenderedFeed], parsed: dict[str, dict[str, Any]]
) -> None:
    read = _by_uid(parsed[code])
    oversight = FEEDS[code][0] is FeedKind.OVERSIGHT
    seen: dict[str, int] = {"record": 0, "held": 0, "missed": 0, "open": 0}
    for event in feeds[code].feed.events:
        alarms = read[event.uid]["alarms"]
        status = _status(event, oversight)
        seen[status] += 1
        if not oversight and status != "record":  # the summary and the category agree
            assert (status == "missed") is (event.categories[-1] == "未按期开展"), event.uid
        if status != "open":
            assert alarms == [], event.uid
            continue
        # An open requirement: reminded 7 days and 1 day before.
        triggers = ALL_DAY_TRIGGERS if event.all_day else TIMED_TRIGGERS
        assert [a["trigger"] for a in alarms] == triggers, event.uid
        assert [a["action"] for a in alarms] == ["DISPLAY", "DISPLAY"]
        assert [a["description"] for a in alarms] == [
            f"7天后：{event.summary}",
            f"明天：{event.summary}",
        ]
    assert seen["open"]
    assert seen["missed"] + seen["held"] + seen["record"]
    # After as_of there are neither records nor missed periods: everything there is still to do.
    future = [e for e in feeds[code].feed.events if e.day > AS_OF]
    assert future
    assert {_status(e, oversight) for e in future} <= {"open", "held"}
    assert [e.uid for e in future if not read[e.uid]["alarms"]] == [
        e.uid for e in future if _status(e, oversight) == "held"
    ]


# --------------------------------------------------------------------------- regeneration


def test_regenerating_gives_identical_bytes(
    demo_store: Store,
    feeds: dict[str, RenderedFeed],
    national: RulePack,
    workdays: WorkCalendar,
) -> None:
    ensure_icaljs()
    for code in FEEDS:
        first = _generate(demo_store, national, workdays, code, NOW)
        again = _generate(demo_store, national, workdays, code, LATER)
        assert again.body == first.body, code
        assert (again.etag, again.last_modified, again.changed) == (first.etag, NOW, 0)
        # The same bytes on every backend (the module's feeds are on SQLite).
        assert first.body == feeds[code].body, code
        before, after = parse_with_icaljs(first.body), parse_with_icaljs(again.body)
        assert [e["uid"] for e in after["events"]] == [e["uid"] for e in before["events"]]
        assert {e["sequence"] for e in after["events"]} == {0}


def test_feeds_survive_a_round_trip_through_a_file(
    feeds: dict[str, RenderedFeed], parsed: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "JD01-01.ics"
    path.write_bytes(feeds["JD01-01"].body)
    assert parse_with_icaljs(path) == parsed["JD01-01"]
    lines = feeds["JD01-01"].body.split(b"\r\n")
    assert lines[-1] == b""
    assert max(len(line) for line in lines) <= 75


def test_no_uid_is_shared_between_feeds(feeds: dict[str, RenderedFeed]) -> None:
    # Some clients (Google) merge equal UIDs across subscribed calendars: a group's event in its
    # branch's feed, or a branch's session in a cadre's feed, must not collide.
    owners: dict[str, str] = {}
    for code, rendered in feeds.items():
        for event in rendered.feed.events:
            assert owners.setdefault(event.uid, code) == code, event.uid
    in_branch = [uid for uid, code in owners.items() if code == "JD01-01" and "JD01-01-G1" in uid]
    assert in_branch  # the group's entries are in its branch's feed too, under other UIDs
