"""Writing feeds as iCalendar (RFC 5545), and the stamps that let clients see what changed.

Pure: a :class:`~monitor.calendar.feed.Feed` and the stamps stored for its events in, bytes out.
An event's SEQUENCE and LAST-MODIFIED move only when its content (its digest) changes, and
DTSTAMP is the stored LAST-MODIFIED, not the clock: regenerating a feed from unchanged data
gives byte-identical output, which is also what makes HTTP revalidation (ETag) work.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar

import monitor
from monitor.calendar.feed import Feed, FeedEvent

TZID = "Asia/Shanghai"
PRODID = f"-//orglife//orglife {monitor.__version__}//ZH"
DEFAULT_REFRESH = dt.timedelta(hours=6)
_REMIND_AT = dt.time(9, 0)  # all-day entries remind at 09:00 local, not at midnight
_SECOND = dt.timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class EventStamp:
    """What the store keeps per event UID: the content digest and its change counter."""

    digest: str
    sequence: int
    modified: dt.datetime  # UTC, whole seconds: when this content first appeared


def stamp(
    events: Iterable[FeedEvent], previous: Mapping[str, EventStamp], now: dt.datetime
) -> dict[str, EventStamp]:
    """Stamps for ``events``: unchanged events keep theirs, changed ones get SEQUENCE + 1."""
    return {e.uid: restamp(previous.get(e.uid), e.digest(), now) for e in events}


def restamp(old: EventStamp | None, digest: str, now: dt.datetime) -> EventStamp:
    """The stamp of content ``digest`` whose stored stamp is ``old``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(dt.UTC).replace(microsecond=0)
    if old is None:
        return EventStamp(digest, 0, now)
    if old.digest == digest:
        return old
    # LAST-MODIFIED must move forward even if a clock was set back.
    return EventStamp(digest, old.sequence + 1, max(now, old.modified + _SECOND))


def render(
    feed: Feed,
    stamps: Mapping[str, EventStamp],
    *,
    refresh: dt.timedelta = DEFAULT_REFRESH,
) -> bytes:
    """The feed as an iCalendar object: CRLF lines, folded at 75 octets between characters."""
    parts = [_calendar(feed.subject.title, refresh)]
    parts += [_vevent_bytes(event, stamps[event.uid], _zone(event)) for event in feed.events]
    parts.append(_END)
    return b"".join(parts)


_END = b"END:VCALENDAR\r\n"


def _calendar(title: str, refresh: dt.timedelta) -> bytes:
    """The VCALENDAR's properties and VTIMEZONE, in icalendar's order: all but its END."""
    # RFC 7986 wants VALUE=DURATION on REFRESH-INTERVAL; X-PUBLISHED-TTL is the same duration.
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:" + _text(PRODID),
        "CALSCALE:GREGORIAN",
        "X-WR-CALDESC:" + _raw(f"{title}（orglife 自动生成，请勿手工修改）"),
        "NAME:" + _raw(title),
        "X-WR-CALNAME:" + _raw(title),
        "REFRESH-INTERVAL;VALUE=DURATION:" + _duration(refresh),
        "X-PUBLISHED-TTL:" + _duration(refresh),
        "X-WR-TIMEZONE:" + TZID,
    ]
    return b"".join(_fold(line.encode()) for line in lines) + _SHANGHAI


# Most events are unchanged between two builds of a feed: their bytes are kept, keyed by the
# event (frozen) and its stamp. ~1.5 KB each.
@functools.lru_cache(maxsize=20_000)
def _vevent_bytes(event: FeedEvent, stamp: EventStamp, zone: str) -> bytes:
    # ``zone`` is only part of the key: aware datetimes of one instant in two zones are equal.
    return _vevent(event, stamp)


def _zone(event: FeedEvent) -> str:
    return str(event.start.tzinfo) if isinstance(event.start, dt.datetime) else ""


def etag(body: bytes) -> str:
    """A strong HTTP entity tag for a rendered feed."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


# Asia/Shanghai has kept UTC+8 without daylight saving since 1991.
_SHANGHAI = (
    b"BEGIN:VTIMEZONE\r\n"
    b"TZID:Asia/Shanghai\r\n"
    b"X-LIC-LOCATION:Asia/Shanghai\r\n"
    b"BEGIN:STANDARD\r\n"
    b"DTSTART:19700101T000000\r\n"
    b"TZNAME:CST\r\n"
    b"TZOFFSETFROM:+0800\r\n"
    b"TZOFFSETTO:+0800\r\n"
    b"END:STANDARD\r\n"
    b"END:VTIMEZONE\r\n"
)


# Feeds are written by hand, not through icalendar's objects, which cost ~1 ms an event (a
# branch's feed has ~130) and ~5 ms a calendar head: the bytes are the same as icalendar 7
# writes (property order, TEXT escaping, folding; ``tests/test_ical.py`` compares them).


def _vevent(event: FeedEvent, stamp: EventStamp) -> bytes:
    """One VEVENT: icalendar's canonical order (SUMMARY, DTSTART, DTEND, DTSTAMP, UID,
    SEQUENCE), then the other properties by name, then the alarms."""
    parts = [
        b"BEGIN:VEVENT\r\n",
        _fold(b"SUMMARY:" + _text(event.summary).encode()),
        _moment(b"DTSTART", event.start),
        _moment(b"DTEND", event.end),
        _moment(b"DTSTAMP", stamp.modified),
        _fold(b"UID:" + _text(event.uid).encode()),
        b"SEQUENCE:%d\r\n" % stamp.sequence,
    ]
    if event.categories:
        parts.append(_fold(b"CATEGORIES:" + ",".join(map(_text, event.categories)).encode()))
    parts += [
        _fold(b"DESCRIPTION:" + _text(event.description).encode()),
        _moment(b"LAST-MODIFIED", stamp.modified),
        b"STATUS:CONFIRMED\r\n",
        # Deadlines and records mark a day; only sessions take up time.
        b"TRANSP:OPAQUE\r\n" if not event.all_day else b"TRANSP:TRANSPARENT\r\n",
    ]
    for days in event.reminders:
        parts.append(_alarm(event, days))
    parts.append(b"END:VEVENT\r\n")
    return b"".join(parts)


def _alarm(event: FeedEvent, days: int) -> bytes:
    when = "今天" if days == 0 else "明天" if days == 1 else f"{days}天后"
    trigger = dt.timedelta(days=-days)
    if event.all_day:
        # Relative to local midnight of the day: remind at 09:00 instead.
        trigger += dt.timedelta(hours=_REMIND_AT.hour, minutes=_REMIND_AT.minute)
    return b"".join(
        (
            b"BEGIN:VALARM\r\nACTION:DISPLAY\r\n",
            _fold(b"DESCRIPTION:" + _text(f"{when}：{event.summary}").encode()),
            b"TRIGGER:" + _duration(trigger).encode() + b"\r\n",
            _fold(b"UID:" + _text(event.uid.replace("@", f".remind{days}@", 1)).encode()),
            b"END:VALARM\r\n",
        )
    )


_TEXT_SPECIAL = re.compile(r"[\\;,\r\n]")


def _text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 (and icalendar) does; the order of the steps matters."""
    if _TEXT_SPECIAL.search(value) is None:
        return value
    return (
        value.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _raw(value: str) -> str:
    """The calendar's name as icalendar writes these properties: unescaped (its ``vUnknown``),
    except that a line break, which icalendar refuses, is written as an escaped one."""
    return value.replace("\r\n", r"\n").replace("\n", r"\n").replace("\r", r"\n")


def _moment(name: bytes, value: dt.date | dt.datetime) -> bytes:
    """A DATE or DATE-TIME property line: UTC with a Z, a zone's local time with its TZID."""
    # The zone is part of the key: aware datetimes of one instant in two zones are equal.
    zone = value.tzinfo if isinstance(value, dt.datetime) else None
    return _moment_line(name, value, zone)


@functools.lru_cache(maxsize=4096)
def _moment_line(name: bytes, value: dt.date | dt.datetime, zone: dt.tzinfo | None) -> bytes:
    if not isinstance(value, dt.datetime):
        return b"%s;VALUE=DATE:%04d%02d%02d\r\n" % (name, value.year, value.month, value.day)
    local = b"%04d%02d%02dT%02d%02d%02d" % (
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
    )
    if zone is dt.UTC:
        return b"%s:%sZ\r\n" % (name, local)
    if isinstance(zone, ZoneInfo) and zone.key == TZID:
        return b"%s;TZID=%s:%s\r\n" % (name, TZID.encode(), local)
    # Any other zone is spelled by icalendar (its TZID, or Z for another spelling of UTC).
    line = icalendar.Event().content_line(name.decode(), icalendar.vDDDTypes(value))
    return _fold(str(line).encode())


def _duration(delta: dt.timedelta) -> str:
    """A DURATION value as icalendar writes it: -P6DT15H, PT9H, P0D."""
    sign = ""
    if delta.days < 0:
        sign, delta = "-", -delta
    time = ""
    if delta.seconds:
        hours, rest = divmod(delta.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        time = "T" + (f"{hours}H" if hours else "")
        time += f"{minutes}M" if minutes or (hours and seconds) else ""
        time += f"{seconds}S" if seconds else ""
    if delta.days == 0 and time:
        return f"{sign}P{time}"
    return f"{sign}P{delta.days}D{time}"


_FOLD = 74  # octets of content per physical line (a continuation adds its space: 75)


def _fold(line: bytes) -> bytes:
    """``line`` with CRLF: folded between characters (UTF-8) every 74 octets, never right
    after a backslash or a caret, so an escape stays on one line (as icalendar folds)."""
    if len(line) <= _FOLD:
        return line + b"\r\n"
    parts = []
    start, size = 0, len(line)
    while size - start > _FOLD:
        cut = start + _FOLD
        while line[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: not between characters
            cut -= 1
        if line[cut - 1] in b"\\^" and cut - 1 > start:
            cut -= 1
        parts.append(line[start:cut])
        start = cut
    parts.append(line[start:])
    return b"\r\n ".join(parts) + b"\r\n"
