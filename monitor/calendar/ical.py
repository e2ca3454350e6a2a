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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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
    head = _calendar(feed.subject.title, refresh)
    assert head.endswith(_END)
    parts = [head[: -len(_END)]]
    parts += [_vevent_bytes(event, stamps[event.uid], _zone(event)) for event in feed.events]
    parts.append(_END)
    return b"".join(parts)


_END = b"END:VCALENDAR\r\n"


@functools.lru_cache(maxsize=256)
def _calendar(title: str, refresh: dt.timedelta) -> bytes:
    """The VCALENDAR wrapper (properties and VTIMEZONE) without events."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", title)
    cal.add("x-wr-calname", title)
    cal.add("x-wr-caldesc", f"{title}（orglife 自动生成，请勿手工修改）")
    cal.add("x-wr-timezone", TZID)
    # icalendar writes a timedelta without VALUE=DURATION (RFC 7986 requires it) and renders
    # X-PUBLISHED-TTL, which it does not know, as "6:00:00"; both are spelled out here.
    cal.add("refresh-interval", icalendar.vDuration(refresh), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(refresh))
    cal.add_component(_shanghai())
    body: bytes = cal.to_ical()
    return body


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


def _shanghai() -> icalendar.Timezone:
    """Asia/Shanghai has kept UTC+8 without daylight saving since 1991."""
    tz = icalendar.Timezone()
    tz.add("tzid", TZID)
    tz.add("x-lic-location", TZID)
    standard = icalendar.TimezoneStandard()
    standard.add("dtstart", dt.datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", dt.timedelta(hours=8))
    standard.add("tzoffsetto", dt.timedelta(hours=8))
    standard.add("tzname", "CST")
    tz.add_component(standard)
    return tz


# Events are written by hand, not through icalendar's objects, which cost ~1 ms an event (a
# branch's feed has ~130): the bytes are the same as icalendar 7 writes (property order, TEXT
# escaping, folding; ``tests/test_ical.py`` compares them), and the calendar's head still
# comes from icalendar.


def _vevent(event: FeedEvent, stamp: EventStamp) -> bytes:
    """One VEVENT: icalendar's canonical order (SUMMARY, DTSTART, DTEND, DTSTAMP, UID,
    SEQUENCE), then the other properties by name, then the alarms."""
    lines = [
        "BEGIN:VEVENT",
        "SUMMARY:" + _text(event.summary),
        _moment("DTSTART", event.start),
        _moment("DTEND", event.end),
        _moment("DTSTAMP", stamp.modified),
        "UID:" + _text(event.uid),
        f"SEQUENCE:{stamp.sequence}",
    ]
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(map(_text, event.categories)))
    lines += [
        "DESCRIPTION:" + _text(event.description),
        _moment("LAST-MODIFIED", stamp.modified),
        "STATUS:CONFIRMED",
        # Deadlines and records mark a day; only sessions take up time.
        "TRANSP:" + ("TRANSPARENT" if event.all_day else "OPAQUE"),
    ]
    for days in event.reminders:
        lines += _alarm(event, days)
    lines.append("END:VEVENT")
    return b"".join(_fold(line.encode()) for line in lines)


def _alarm(event: FeedEvent, days: int) -> list[str]:
    when = "今天" if days == 0 else "明天" if days == 1 else f"{days}天后"
    trigger = dt.timedelta(days=-days)
    if event.all_day:
        # Relative to local midnight of the day: remind at 09:00 instead.
        trigger += dt.timedelta(hours=_REMIND_AT.hour, minutes=_REMIND_AT.minute)
    return [
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "DESCRIPTION:" + _text(f"{when}：{event.summary}"),
        "TRIGGER:" + _duration(trigger),
        "UID:" + _text(event.uid.replace("@", f".remind{days}@", 1)),
        "END:VALARM",
    ]


def _text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 (and icalendar) does; the order of the steps matters."""
    return (
        value.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _moment(name: str, value: dt.date | dt.datetime) -> str:
    """A DATE or DATE-TIME property: UTC with a Z, a zone's local time with its TZID."""
    if not isinstance(value, dt.datetime):
        return f"{name};VALUE=DATE:{value:%Y%m%d}"
    if value.tzinfo is dt.UTC:
        return f"{name}:{value:%Y%m%dT%H%M%S}Z"
    return _zoned(name, value, str(value.tzinfo))


@functools.lru_cache(maxsize=1024)
def _zoned(name: str, value: dt.datetime, zone: str) -> str:
    # Any other zone is spelled by icalendar (its TZID, or Z for another spelling of UTC).
    return str(icalendar.Event().content_line(name, icalendar.vDDDTypes(value)))


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
