"""The errors a user can cause, each saying what is wrong, where, and how to fix it."""

from __future__ import annotations

from pathlib import Path


class OrglifeError(ValueError):
    """Base class of every error orglife reports to a user."""


class RegisterError(OrglifeError):
    """A register file (orgs, members, meetings) has a bad row or cannot be read."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.path = str(path)
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
