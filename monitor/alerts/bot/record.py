"""``/record``: the one-line meeting record a branch secretary sends, read into a register row,
and the reader's or the import's refusal turned into one sentence for the chat.

``/record 主题党日 2026-11-06 应到12 实到11 环境整治`` becomes a row of the meetings register
(Chinese headers), which :func:`monitor.registers.readers.meetings_from_rows` checks and builds
exactly as it would a file's row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from monitor.core.errors import RegisterError, RegisterErrorCode
from monitor.core.kinds import KindCatalog
from monitor.registers.readers import MEETING_COLUMNS
from monitor.text import bot as text

Code = RegisterErrorCode

# The meetings register's Chinese headers: the reader's errors name the column by them.
HEADER = {c.name: c.zh[0] for c in MEETING_COLUMNS}

_COUNT_TOKEN = re.compile(r"(应到|实到)(?:人数)?[:：]?(.*)")
_LECTURER_TOKEN = re.compile(r"(?:授课人|讲课人)[:：]?(.*)")
_LOOKS_LIKE_DATE = re.compile(r"\d{4}\s*[-/.年]")
_JOINED_KINDS = re.compile(r"\s*([+＋])\s*")
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class RecordLine:
    """The cells of a /record line, as the sender wrote them (checked by the reader)."""

    kind: str
    day: str
    expected: str = ""
    attended: str = ""
    lecturer: str = ""
    topic: str = ""

    def row(self, org: str, today: dt.date) -> dict[str, str]:
        """The line as a meetings register row of ``org``, entered ``today``."""
        return {
            HEADER["org"]: org,
            HEADER["kind"]: self.kind,
            HEADER["date"]: self.day,
            HEADER["expected"]: self.expected,
            HEADER["attended"]: self.attended,
            HEADER["topic"]: self.topic,
            HEADER["recorded"]: today.isoformat(),
            HEADER["lecturer"]: self.lecturer,
        }


def parse_record(args: str) -> RecordLine | None:
    """The cells of what follows ``/record``; None when there are not even a kind and a date.

    The kind and the date come first, in either order; then counts (``应到12``, ``实到 11``,
    ``应到人数：12``) and the lecturer (``授课人M0001``) anywhere; the other words are the topic.
    """
    words = _JOINED_KINDS.sub(r"\1", args).split()  # "主题党日 + 党课" is one kind cell
    if (
        len(words) >= 2
        and _LOOKS_LIKE_DATE.match(words[0])
        and not _LOOKS_LIKE_DATE.match(words[1])
    ):
        words[0], words[1] = words[1], words[0]  # "2026-11-06 主题党日 …" reads the same
    if len(words) < 2:
        return None
    kind, day, rest = words[0], words[1], words[2:]
    counts = {"应到": "", "实到": ""}
    lecturer = ""
    topic: list[str] = []
    index = 0
    while index < len(rest):
        word = rest[index]
        index += 1
        if (match := _COUNT_TOKEN.fullmatch(word)) is not None:
            value = match.group(2)
            if not value and index < len(rest):  # "应到 12"
                value = rest[index]
                index += 1
            counts[match.group(1)] = value
        elif (match := _LECTURER_TOKEN.fullmatch(word)) is not None:
            lecturer = match.group(1)
            if not lecturer and index < len(rest):
                lecturer = rest[index]
                index += 1
        else:
            topic.append(word)
    return RecordLine(kind, day, counts["应到"], counts["实到"], lecturer, " ".join(topic))


def refusal(error: RegisterError, catalog: KindCatalog) -> str:
    """A reader's or the import's error about a /record row as one sentence for the chat."""
    column = error.column or ""
    value = "" if error.value is None else str(error.value)
    code = error.code
    kinds = [k.name for k in catalog]
    if code is Code.UNKNOWN_KIND or (code is Code.MISSING_VALUE and column == HEADER["kind"]):
        return text.record_bad_kind(value, kinds)
    if code is Code.MISSING_VALUE and column == HEADER["date"]:
        return text.RECORD_MISSING_DATE
    if code is Code.NO_SUCH_DAY:
        return text.record_no_such_day(value)
    if code is Code.BAD_DATE:
        return text.record_bad_date(value)
    if code is Code.ATTENDED_OVER_EXPECTED:
        attended, expected = _NUMBER.findall(value)  # the value holds both, attended first
        return text.record_attended_over_expected(attended, expected)
    if code is Code.NEGATIVE_COUNT:
        return text.record_negative_count(column, value)
    if code is Code.BAD_COUNT:
        return text.record_bad_count(column, value)
    if code is Code.UNKNOWN_ORG:
        return text.record_unknown_org(value)
    if code is Code.FUTURE_MEETING:
        return error.reason  # names the date and today
    if column:
        return text.record_bad_cell(column, value)
    return text.RECORD_UNREADABLE
