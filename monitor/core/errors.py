"""The errors a user can cause, each saying what is wrong, where, and how to fix it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path


class OrglifeError(ValueError):
    """Base class of every error orglife reports to a user."""


class RegisterErrorCode(StrEnum):
    """What kind of failure a :class:`RegisterError` is, for code that reacts to it (the bot's
    replies, an API's error field) without reading the English message."""

    # The file as a whole
    UNSUPPORTED_FILE = "unsupported_file"  # not .csv or .xlsx
    FILE_NOT_FOUND = "file_not_found"
    UNREADABLE_FILE = "unreadable_file"  # the OS refused to read it
    NOT_TEXT = "not_text"  # a CSV that is neither UTF-8 nor GB18030
    NOT_A_WORKBOOK = "not_a_workbook"  # an .xlsx openpyxl cannot open
    NO_WORKSHEET = "no_worksheet"
    MALFORMED_CSV = "malformed_csv"  # bad quoting, in the header or a row
    # The header
    EMPTY_HEADER = "empty_header"
    DUPLICATE_COLUMN = "duplicate_column"  # two headers name the same column
    MISSING_COLUMN = "missing_column"  # a required column has no header
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
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        text = f"{where}: {message}"
        if value is not None:
            text += f" (value: {value!r})"
        super().__init__(text)


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
            where += f", line {line}"
        if rule is not None:
            where += f", rule {rule!r}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


class HolidayDataError(OrglifeError):
    """A holiday arrangement file in calendars/holidays/ is malformed."""


class UnknownOrgError(OrglifeError):
    """An org code was given that the register does not hold."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            f"No organisation by the code {code!r} is registered; "
            "check the code or import it with `orglife import orgs FILE`"
        )
