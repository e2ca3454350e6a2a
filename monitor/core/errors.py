"""The errors a user can cause, each saying what is wrong, where, and how to fix it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path


class OrglifeError(ValueError):
    """Base class of every error orglife reports to a user."""


class RegisterErrorCode(StrEnum):
    """What kind of failure a :class:`RegisterError` is, for code that reacts to it (the bot's
    replies, an API's error field) without reading the message."""

    # The file as a whole
    UNSUPPORTED_FILE = "unsupported_file"  # not .csv, .xlsx, .xls or .ods
    FILE_NOT_FOUND = "file_not_found"
    UNREADABLE_FILE = "unreadable_file"  # the OS refused to read it
    NOT_TEXT = "not_text"  # a CSV that is neither UTF-8 nor GB18030
    NOT_A_WORKBOOK = "not_a_workbook"  # a workbook that cannot be opened or read (damaged)
    NO_WORKSHEET = "no_worksheet"  # no sheet, or no sheet by the --sheet name
    NOT_A_SHEET_FILE = "not_a_sheet_file"  # --sheet given for a CSV
    MALFORMED_CSV = "malformed_csv"  # bad quoting, in the header or a row
    # The header
    EMPTY_HEADER = "empty_header"
    DUPLICATE_COLUMN = "duplicate_column"  # two headers name the same column
    MISSING_COLUMN = "missing_column"  # a required column has no header
    NO_HEADER = "no_header"  # no row within the first ten names the required columns
    EXTRA_CELLS = "extra_cells"  # a row has cells to the right of the header
    # A cell
    MISSING_VALUE = "missing_value"  # a required cell is blank
    BAD_DATE = "bad_date"  # not a date in any accepted form
    NO_SUCH_DAY = "no_such_day"  # a date's form is right but the day does not exist (02-30)
    BAD_COUNT = "bad_count"  # not a whole number of people
    NEGATIVE_COUNT = "negative_count"
    ATTENDED_OVER_EXPECTED = "attended_over_expected"
    BAD_BOOLEAN = "bad_boolean"
    BAD_PARTY_DAY = "bad_party_day"
    BAD_PARTY_TIME = "bad_party_time"
    BAD_ORG_TYPE = "bad_org_type"
    BAD_ROLE = "bad_role"
    BAD_STATUS = "bad_status"
    UNKNOWN_KIND = "unknown_kind"  # a meeting kind the catalog does not know
    TOO_LONG = "too_long"  # text longer than its column holds
    BAD_CHARACTER = "bad_character"  # a NUL or another control character
    COUNT_TOO_LARGE = "count_too_large"  # a head count above the bound
    DATE_OUT_OF_RANGE = "date_out_of_range"  # before 1921 or more than a year ahead
    FUTURE_MEETING = "future_meeting"  # a meeting dated after today
    RECORDED_BEFORE_MEETING = "recorded_before_meeting"  # 录入日期 before the meeting date
    RECORDED_IN_FUTURE = "recorded_in_future"  # 录入日期 after today
    BAD_PERIOD = "bad_period"  # 所属期间 is not a period label
    PERIOD_AFTER_MEETING = "period_after_meeting"  # 所属期间 starts after the meeting date
    # A row against the others, or against what is registered
    DUPLICATE_ROW = "duplicate_row"  # an org code, member id or meeting record given twice
    UNKNOWN_ORG = "unknown_org"  # an org (or parent) code that is not registered
    MISSING_PARENT = "missing_parent"
    WRONG_PARENT_TYPE = "wrong_parent_type"  # e.g. a 党支部 under a 党小组
    PARENT_LOOP = "parent_loop"  # an org that is its own ancestor (or parent)
    NOT_A_BRANCH = "not_a_branch"  # a member's org is not a 党支部
    UNKNOWN_GROUP = "unknown_group"  # a member's 党小组 is not registered
    FOREIGN_GROUP = "foreign_group"  # a member's 党小组 belongs to another branch
    UNKNOWN_ATTENDEE = "unknown_attendee"  # no member, or several, by an attendee entry
    TOO_MANY_KINDS = "too_many_kinds"  # more meeting kinds than the store's bit mask holds
    BAD_FOR_PERIOD = "bad_for_period"  # 所属期间 is not a period label, or not yet begun
    OUTSIDE_MAKE_UP_WINDOW = "outside_make_up_window"  # held after its period's 补开 window


class RegisterError(OrglifeError):
    """A register file (orgs, members, meetings) has a bad row or cannot be read."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        code: RegisterErrorCode,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.path = str(path)
        self.code = code
        self.line = line
        self.column = column
        self.value = value
        self.reason = message
        super().__init__(register_error_text(self.path, message, line, column, value))


SHOWN_LENGTH = 60  # a value longer than this is cut in messages


def shown(value: object, length: int | None = SHOWN_LENGTH) -> str:
    """A value as an error line shows it: on one line, control characters escaped, and cut
    to ``length`` characters (None: whole)."""
    text = str(value)
    if length is not None and len(text) > length:
        text = text[:length] + "…"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def register_error_text(
    path: str, message: str, line: int | None, column: str | None, value: object
) -> str:
    """会议记录.xlsx 第12行 “日期”列：<message>（值：“…”） on one line."""
    where = path
    if line is not None:
        where += f" 第{line}行"
    if column is not None:
        where += f" “{shown(column)}”列"
    text = f"{where}：{message}"
    if value is not None and value != "" and f"“{shown(value)}”" not in message:
        text += f"（值：“{shown(value)}”）"
    return shown(text, None)


class RulePackError(OrglifeError):
    """A rule pack is malformed; names the file, the rule id and the field."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        rule: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path = str(path)
        self.rule = rule
        self.field = field
        self.line = line
        self.reason = message
        where = self.path
        if line is not None:
            where += f" 第{line}行"
        if rule is not None:
            where += f" 规则“{rule}”"
        if field is not None:
            where += f" 字段“{field}”"
        super().__init__(f"{where}：{message}")


class HolidayDataError(OrglifeError):
    """A holiday arrangement file in calendars/holidays/ is malformed."""


class UnknownOrgError(OrglifeError):
    """An org code was given that the register does not hold."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            f"组织台账中没有编码为“{code}”的组织：请核对编码，或先用 orglife import orgs 导入组织"
        )
