"""Writing iCalendar: the bytes clients read, and the stamps that tell them what changed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.calendar.feed import Feed, FeedEvent, FeedKind, FeedSubject, uid
from monitor.calendar.ical import DEFAULT_REFRESH, PRODID, EventStamp, etag, render, restamp, stamp
from monitor.core.domain import Org, OrgType
from monitor.core.schedule import SHANGHAI

NOW = dt.datetime(2026, 11, 20, 2, 30, 15, 123456, tzinfo=dt.UTC)
LONG = "主题党日：" + "学习贯彻党的二十届四中全会精神，" * 6 + "𠀋"  # a 4-byte character at the end


@pytest.fixture
def feed() -> Feed:
    org = Org("B01", "第一党支部", OrgType.BRANCH)
    events = (
        FeedEvent(
            uid("themed_party_day", "2026-12", "B01"),
            LONG,
            "第一行\n第二行；含逗号,和分号;",
            dt.datetime(2026, 12, 4, 9, tzinfo=SHANGHAI),
            dt.datetime(2026, 12, 4, 11, tzinfo=SHANGHAI),
            ("组织生活", "主题党日"),
            (7, 1),
        ),
        FeedEvent(
            uid("branch_general_meeting", "2026-Q4", "B01"),
            "本季度支部党员大会尚未召开，截止12月31日",
            "说明",
            dt.date(2026, 12, 31),
            dt.date(2027, 1, 1),
            ("组织生活",),
            (7, 1, 0),
        ),
    )
    return Feed(
        FeedSubject(FeedKind.BRANCH, org), dt.date(2026, 1, 1), dt.date(2026, 12, 31), events
    )


def lines(body: bytes) -> list[bytes]:
    assert body.endswith(b"\r\n")
    return body[:-2].split(b"\r\n")


def test_lines_end_in_crlf_and_fold_within_75_octets_between_characters(feed: Feed):
    body = render(feed, stamp(feed.events, {}, NOW))
    assert b"\n" not in body.replace(b"\r\n", b"")
    for line in lines(body):
        assert len(line) <= 75, line
        line.decode("utf-8")  # each physical line is whole UTF-8: no character split
    unfolded = body.replace(b"\r\n ", b"").decode()
    assert f"SUMMARY:{LONG}\r\n" in unfolded


def test_calendar_properties_are_written_the_way_clients_read_them(feed: Feed):
    body = render(feed, stamp(feed.events, {}, NOW), refresh=dt.timedelta(hours=4)).decode()
    unfolded = body.replace("\r\n ", "")
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert "X-WR-CALNAME:第一党支部 组织生活\r\n" in unfolded
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT4H\r\n" in body
    assert "X-PUBLISHED-TTL:PT4H\r\n" in body
    assert "BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\n" in body
    assert "TZOFFSETTO:+0800" in body
    assert "DTSTART;TZID=Asia/Shanghai:20261204T090000\r\n" in body
    assert "DTSTART;VALUE=DATE:20261231\r\nDTEND;VALUE=DATE:20270101\r\n" in body
    assert "DESCRIPTION:第一行\\n第二行；含逗号\\,和分号\\;\r\n" in unfolded


def test_dtstamp_is_the_stored_change_time_not_the_clock(feed: Feed):
    stamps = stamp(feed.events, {}, NOW)
    later = render(feed, stamps).decode()
    assert later.count("DTSTAMP:20261120T023015Z") == 2
    assert later.count("LAST-MODIFIED:20261120T023015Z") == 2
    # The same stamps, rendered again at any time, give the same bytes.
    assert render(feed, stamps) == render(feed, dict(stamps))


def test_reminders_are_relative_to_the_session_or_to_nine_in_the_morning(feed: Feed):
    cal = icalendar.Calendar.from_ical(render(feed, stamp(feed.events, {}, NOW)))
    session, deadline = cal.walk("VEVENT")
    triggers = [a["TRIGGER"].dt for a in session.walk("VALARM")]
    assert triggers == [dt.timedelta(days=-7), dt.timedelta(days=-1)]
    # All-day: relative to local midnight, so 7 and 1 days before at 09:00, and 09:00 that day.
    triggers = [a["TRIGGER"].dt for a in deadline.walk("VALARM")]
    assert triggers == [
        dt.timedelta(days=-7, hours=9),
        dt.timedelta(days=-1, hours=9),
        dt.timedelta(hours=9),
    ]
    descriptions = [str(a["DESCRIPTION"]) for a in deadline.walk("VALARM")]
    assert descriptions[0].startswith("7天后：")
    assert descriptions[1].startswith("明天：")
    assert descriptions[2].startswith("今天：")


def test_stamps_move_only_for_changed_content():
    a = FeedEvent("a@orglife", "甲", "", dt.date(2026, 1, 5), dt.date(2026, 1, 6))
    b = FeedEvent("b@orglife", "乙", "", dt.date(2026, 1, 5), dt.date(2026, 1, 6))
    first = stamp([a, b], {}, NOW)
    assert {s.sequence for s in first.values()} == {0}
    assert first["a@orglife"].modified == NOW.replace(microsecond=0)
    b2 = FeedEvent("b@orglife", "乙（已开展）", "", b.start, b.end)
    later = NOW + dt.timedelta(days=3)
    second = stamp([a, b2], first, later)
    assert second["a@orglife"] == first["a@orglife"]
    assert second["b@orglife"].sequence == 1
    assert second["b@orglife"].modified == later.replace(microsecond=0)


def test_last_modified_never_goes_back_even_if_the_clock_does():
    old = EventStamp("x" * 64, 3, NOW.replace(microsecond=0))
    earlier = NOW - dt.timedelta(hours=5)
    new = restamp(old, "y" * 64, earlier)
    assert new.sequence == 4
    assert new.modified == old.modified + dt.timedelta(seconds=1)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        restamp(None, "x", dt.datetime(2026, 1, 1))


def test_etag_is_strong_and_follows_the_bytes():
    assert etag(b"a") == etag(b"a")
    assert etag(b"a") != etag(b"b")
    assert etag(b"a").startswith('"')
    assert not etag(b"a").startswith("W/")


def test_the_same_instant_in_another_zone_is_not_served_from_the_cache(feed: Feed):
    shanghai = feed.events[0]
    assert isinstance(shanghai.start, dt.datetime)
    assert isinstance(shanghai.end, dt.datetime)
    utc = dataclasses.replace(
        shanghai, start=shanghai.start.astimezone(dt.UTC), end=shanghai.end.astimezone(dt.UTC)
    )
    assert utc == shanghai  # equal instants: a cache keyed by the event alone would mix them
    stamps = {shanghai.uid: EventStamp("x", 0, NOW.replace(microsecond=0))}
    first = render(Feed(feed.subject, feed.first, feed.last, (shanghai,)), stamps)
    second = render(Feed(feed.subject, feed.first, feed.last, (utc,)), stamps)
    assert b"DTSTART;TZID=Asia/Shanghai:20261204T090000" in first
    assert b"DTSTART:20261204T010000Z" in second


# --- the hand-written writer against icalendar's objects ---------------------------------------

# The feed's bytes are written by hand for speed; icalendar 7 is the oracle they must equal, so
# what subscribed clients receive did not change.


def icalendar_head(title: str, refresh: dt.timedelta) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", title)
    cal.add("x-wr-calname", title)
    cal.add("x-wr-caldesc", f"{title}（orglife 自动生成，请勿手工修改）")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    cal.add("refresh-interval", icalendar.vDuration(refresh), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(refresh))
    tz = icalendar.Timezone()
    tz.add("tzid", "Asia/Shanghai")
    tz.add("x-lic-location", "Asia/Shanghai")
    standard = icalendar.TimezoneStandard()
    standard.add("dtstart", dt.datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", dt.timedelta(hours=8))
    standard.add("tzoffsetto", dt.timedelta(hours=8))
    standard.add("tzname", "CST")
    tz.add_component(standard)
    cal.add_component(tz)
    body: bytes = cal.to_ical()
    return body


def icalendar_vevent(event: FeedEvent, stamp: EventStamp) -> bytes:
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp.modified)
    vevent.add("last-modified", stamp.modified)
    vevent.add("sequence", stamp.sequence)
    vevent.add("summary", event.summary)
    vevent.add("description", event.description)
    vevent.add("dtstart", event.start)
    vevent.add("dtend", event.end)
    if event.categories:
        vevent.add("categories", list(event.categories))
    vevent.add("status", "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if event.all_day else "OPAQUE")
    for days in event.reminders:
        alarm = icalendar.Alarm()
        alarm.add("uid", event.uid.replace("@", f".remind{days}@", 1))
        alarm.add("action", "DISPLAY")
        when = "今天" if days == 0 else "明天" if days == 1 else f"{days}天后"
        alarm.add("description", f"{when}：{event.summary}")
        trigger = dt.timedelta(days=-days)
        if event.all_day:
            trigger += dt.timedelta(hours=9)
        alarm.add("trigger", trigger)
        vevent.add_component(alarm)
    body: bytes = vevent.to_ical()
    return body


def icalendar_render(feed: Feed, stamps: dict[str, EventStamp], refresh: dt.timedelta) -> bytes:
    head = icalendar_head(feed.subject.title, refresh)
    end = b"END:VCALENDAR\r\n"
    events = b"".join(icalendar_vevent(e, stamps[e.uid]) for e in feed.events)
    return head[: -len(end)] + events + end


# Text that exercises escaping (\ ; , CR LF and a literal \N), folding next to an escape or a
# caret, and characters of 1 to 4 bytes in UTF-8.
TRICKY = st.text(
    st.sampled_from(["a", "Z", "\\", ";", ",", "\n", "\r", "N", "^", ":", '"', "党", "é", "𠀋"]),
    max_size=160,
)


@settings(max_examples=150, deadline=None)
@given(
    # icalendar writes the calendar's name unescaped and refuses a line break in it.
    title=TRICKY.filter(lambda t: "\n" not in t and "\r" not in t),
    summary=TRICKY,
    description=TRICKY,
    category=TRICKY,
    code=st.text(st.sampled_from(["B", "1", "-", "党", ".", "@"]), min_size=1, max_size=70),
    timed=st.booleans(),
    utc=st.booleans(),
    reminders=st.lists(st.integers(0, 30), max_size=3, unique=True),
    sequence=st.integers(0, 1000),
    refresh_minutes=st.integers(1, 60 * 48),
)
def test_the_feed_is_byte_for_byte_what_icalendar_writes(
    title: str,
    summary: str,
    description: str,
    category: str,
    code: str,
    timed: bool,
    utc: bool,
    reminders: list[int],
    sequence: int,
    refresh_minutes: int,
):
    start: dt.date | dt.datetime = dt.date(2026, 12, 31)
    end: dt.date | dt.datetime = dt.date(2027, 1, 1)
    if timed:
        zone = dt.UTC if utc else SHANGHAI
        start = dt.datetime(2026, 12, 4, 9, 5, 7, tzinfo=SHANGHAI).astimezone(zone)
        end = dt.datetime(2026, 12, 4, 11, tzinfo=SHANGHAI).astimezone(zone)
    event = FeedEvent(
        uid("themed_party_day", "2026-12", code),
        summary,
        description,
        start,
        end,
        ("组织生活", category) if category else (),
        tuple(reminders),
    )
    assert_as_icalendar_writes(title, event, sequence, dt.timedelta(minutes=refresh_minutes))


# "SUMMARY:" is 8 octets, so the 66th character of a summary ends the first physical line:
# an escape's backslash or a caret there moves to the next line.
@pytest.mark.parametrize("tail", ["\\", ";", ",", "\n", "^", "党", "𠀋"])
def test_folding_next_to_an_escape_is_what_icalendar_writes(tail: str):
    text = "a" * 65 + tail + "b" * 20
    event = FeedEvent(
        "x@orglife", text, "说明" * 9 + text, dt.date(2026, 12, 31), dt.date(2027, 1, 1)
    )
    assert_as_icalendar_writes("第一党支部", event, 0, DEFAULT_REFRESH)


def assert_as_icalendar_writes(
    title: str, event: FeedEvent, sequence: int, refresh: dt.timedelta
) -> None:
    org = Org("B01", title, OrgType.BRANCH)
    feed = Feed(
        FeedSubject(FeedKind.BRANCH, org), dt.date(2026, 1, 1), dt.date(2026, 12, 31), (event,)
    )
    stamps = {event.uid: EventStamp("x", sequence, NOW.replace(microsecond=0))}
    assert render(feed, stamps, refresh=refresh) == icalendar_render(feed, stamps, refresh)


def test_a_line_break_in_the_calendars_name_stays_within_its_line():
    org = Org("B01", "第一\r\n党支部", OrgType.BRANCH)
    feed = Feed(FeedSubject(FeedKind.BRANCH, org), dt.date(2026, 1, 1), dt.date(2026, 12, 31), ())
    unfolded = render(feed, {}).decode().replace("\r\n ", "")
    assert "\r\nNAME:第一\\n党支部 组织生活\r\n" in unfolded
    assert "\r\nX-WR-CALNAME:第一\\n党支部 组织生活\r\n" in unfolded
