"""The ical.js harness itself (tests/icaljs.py + tests/js/parse-ics.mjs) on hand-written feeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from icaljs import ensure_icaljs, parse_with_icaljs

CRLF = "\r\n"

SHANGHAI_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Asia/Shanghai",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0800",
    "TZOFFSETTO:+0800",
    "TZNAME:CST",
    "END:STANDARD",
    "END:VTIMEZONE",
]


@pytest.fixture(scope="module", autouse=True)
def icaljs() -> None:
    ensure_icaljs()


def calendar(*lines: str, header: tuple[str, ...] = ()) -> bytes:
    """A VCALENDAR around the given content lines, CRLF-terminated, as UTF-8 bytes."""
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//orglife//harness test//EN"]
    return CRLF.join([*body, *header, *lines, "END:VCALENDAR", ""]).encode("utf-8")


def vevent(*lines: str, uid: str = "e1@orglife.test") -> list[str]:
    return ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20251220T080000Z", *lines, "END:VEVENT"]


def fold_utf8(line: str, limit: int = 75) -> bytes:
    """RFC 5545 folding at <= `limit` octets per physical line, never inside a character."""
    chunks: list[bytes] = []
    current = b""
    for char in line:
        encoded = char.encode("utf-8")
        # continuation lines start with a space that counts towards the limit
        room = limit - (1 if chunks else 0)
        if len(current) + len(encoded) > room:
            chunks.append(current)
            current = b""
        current += encoded
    chunks.append(current)
    return b"\r\n ".join(chunks)


def test_tzid_with_vtimezone_resolves_to_utc(tmp_path: Path) -> None:
    ics = calendar(
        *SHANGHAI_VTIMEZONE,
        *vevent(
            "DTSTART;TZID=Asia/Shanghai:20260104T090000",
            "DTEND;TZID=Asia/Shanghai:20260104T113000",
            "SUMMARY:支部委员会",
            "SEQUENCE:2",
            "STATUS:CONFIRMED",
            "CATEGORIES:支委会,组织生活",
            "LAST-MODIFIED:20251221T010203Z",
        ),
        header=(
            "X-WR-CALNAME:组织生活\\, 2026",
            "REFRESH-INTERVAL;VALUE=DURATION:PT12H",
            "X-PUBLISHED-TTL:PT12H",
        ),
    )
    path = tmp_path / "shanghai.ics"
    path.write_bytes(ics)

    parsed = parse_with_icaljs(path)

    assert parsed["calendar"] == {
        "name": "组织生活, 2026",
        "refresh_interval": "PT12H",
        "refresh_interval_value_param": "DURATION",
        "published_ttl": "PT12H",
        "timezones": ["Asia/Shanghai"],
    }
    (event,) = parsed["events"]
    assert event["start"] == "2026-01-04T01:00:00Z"
    assert event["end"] == "2026-01-04T03:30:00Z"
    assert event["start_tzid"] == "Asia/Shanghai"
    assert event["floating"] is False
    assert event["all_day"] is False
    assert event["summary"] == "支部委员会"
    assert event["sequence"] == 2
    assert event["status"] == "CONFIRMED"
    assert event["categories"] == ["支委会", "组织生活"]
    assert event["dtstamp_utc"] == "2025-12-20T08:00:00Z"
    assert event["last_modified_utc"] == "2025-12-21T01:02:03Z"
    assert event["is_recurring"] is False
    assert event["occurrences"] == []
    assert parse_with_icaljs(str(path)) == parsed == parse_with_icaljs(ics)


def test_refresh_interval_without_value_param_is_reported() -> None:
    parsed = parse_with_icaljs(calendar(header=("REFRESH-INTERVAL:P1D",)))
    assert parsed["calendar"]["refresh_interval"] == "P1D"
    assert parsed["calendar"]["refresh_interval_value_param"] is None
    assert parsed["calendar"]["name"] is None
    assert parsed["events"] == []


def test_floating_time_is_flagged() -> None:
    parsed = parse_with_icaljs(calendar(*vevent("DTSTART:20260104T090000")))
    (event,) = parsed["events"]
    assert event["floating"] is True
    assert event["start_tzid"] == "floating"
    assert event["start_tzid_param"] is None


def test_tzid_without_vtimezone_is_detectable() -> None:
    parsed = parse_with_icaljs(calendar(*vevent("DTSTART;TZID=Asia/Shanghai:20260104T090000")))
    (event,) = parsed["events"]
    assert parsed["calendar"]["timezones"] == []
    assert event["start_tzid_param"] == "Asia/Shanghai"
    assert event["start_tzid"] != "Asia/Shanghai"
    assert event["floating"] is True


def test_utc_time_is_not_floating() -> None:
    parsed = parse_with_icaljs(calendar(*vevent("DTSTART:20260104T010000Z")))
    (event,) = parsed["events"]
    assert event["start"] == "2026-01-04T01:00:00Z"
    assert event["start_tzid"] == "UTC"
    assert event["floating"] is False


def test_all_day_event_has_dates_with_exclusive_end() -> None:
    parsed = parse_with_icaljs(
        calendar(
            *vevent("DTSTART;VALUE=DATE:20260104", "DTEND;VALUE=DATE:20260106", uid="two-days"),
            *vevent("DTSTART;VALUE=DATE:20260110", uid="one-day-no-dtend"),
        )
    )
    two_days, one_day = parsed["events"]
    assert two_days["all_day"] is True
    assert (two_days["start"], two_days["end"]) == ("2026-01-04", "2026-01-06")
    assert two_days["floating"] is False
    assert one_day["all_day"] is True
    assert (one_day["start"], one_day["end"]) == ("2026-01-10", "2026-01-11")


def test_folded_utf8_summary_survives() -> None:
    summary = (
        "关于召开二〇二六年第一季度党员大会暨组织生活会的通知——请全体党员准时参加并做好发言准备"
    )
    folded = fold_utf8(f"SUMMARY:{summary}")
    physical = folded.split(b"\r\n")
    assert len(physical) > 1
    assert all(len(line) <= 75 for line in physical)
    ics = calendar(*vevent("DTSTART:20260104T010000Z")).replace(
        b"END:VEVENT", folded + b"\r\nEND:VEVENT"
    )

    (event,) = parse_with_icaljs(ics)["events"]

    assert event["summary"] == summary


def test_fold_inside_a_character_is_rejected() -> None:
    line = "SUMMARY:党员大会".encode()
    split_inside_char = line[:9] + b"\r\n " + line[9:]  # 9 = inside the 3-byte "党"
    ics = calendar(*vevent("DTSTART:20260104T010000Z")).replace(
        b"END:VEVENT", split_inside_char + b"\r\nEND:VEVENT"
    )
    with pytest.raises(AssertionError, match="not valid UTF-8"):
        parse_with_icaljs(ics)


def test_valarm_is_reported() -> None:
    parsed = parse_with_icaljs(
        calendar(
            *vevent(
                "DTSTART;VALUE=DATE:20260104",
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                "TRIGGER:-P1D",
                "DESCRIPTION:明天召开党员大会",
                "END:VALARM",
            )
        )
    )
    (event,) = parsed["events"]
    assert event["alarms"] == [
        {"action": "DISPLAY", "trigger": "-P1D", "description": "明天召开党员大会"}
    ]


def test_rrule_expands_occurrences() -> None:
    parsed = parse_with_icaljs(
        calendar(
            *SHANGHAI_VTIMEZONE,
            *vevent(
                "DTSTART;TZID=Asia/Shanghai:20260105T143000",
                "RRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=3",
                uid="monthly",
            ),
            *vevent("DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=WEEKLY", uid="endless"),
        )
    )
    monthly, endless = parsed["events"]
    assert monthly["is_recurring"] is True
    assert monthly["occurrences"] == [
        "2026-01-05T06:30:00Z",
        "2026-02-02T06:30:00Z",
        "2026-03-02T06:30:00Z",
    ]
    assert endless["is_recurring"] is True
    assert len(endless["occurrences"]) == 50
    assert endless["occurrences"][:2] == ["2026-01-01", "2026-01-08"]


@pytest.mark.parametrize(
    "ics",
    [
        pytest.param(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", id="unterminated"),
        pytest.param(b"this is not a calendar\r\n", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(
            CRLF.join(
                ["BEGIN:VCALENDAR", *vevent("DTSTART:2026XX04"), "END:VCALENDAR", ""]
            ).encode(),
            id="bad-date",
        ),
    ],
)
def test_broken_input_raises_assertion_error(ics: bytes) -> None:
    with pytest.raises(AssertionError, match=r"ical\.js failed to parse"):
        parse_with_icaljs(ics)


def test_missing_file_raises_assertion_error(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="ENOENT"):
        parse_with_icaljs(tmp_path / "absent.ics")
