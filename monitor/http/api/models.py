"""Request and response bodies of the API (pydantic), shared by the resource modules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from monitor.accounts.model import Role
from monitor.accounts.passwords import MIN_LENGTH
from monitor.alerts.plan import ChatRole, Platform
from monitor.core.domain import Status
from monitor.ledger.model import LedgerSource, LedgerStatus
from monitor.ledger.warning import Colour


class OrgOut(BaseModel):
    """An org as `GET /api/v1/orgs/{code}` gives it."""

    code: str
    name: str
    type: str
    parent: str | None
    founded: str | None = None
    party_day: str | None = None


class EvidenceOut(BaseModel):
    counted: int
    seen: int
    records: list[int]
    best_attendance_ratio: float | None


class FindingOut(BaseModel):
    """One finding, as `orglife check --format json` prints it."""

    org: str
    member: str | None
    rule: str
    period: str
    status: str
    rule_name: str
    period_start: str
    period_end: str
    deadline: str
    grace_until: str
    status_zh: str
    evidence: EvidenceOut
    reason: str


# --- shared input types ---------------------------------------------------------------------

_NO_NUL = r"^[^\x00]*$"  # PostgreSQL stores no NUL character in text

Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NO_NUL)]
"""An org code, a member id or a rule id."""
Note = Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)]
"""Free text a person writes: an issue, a rectification, a reason."""
MAX_ID = 2_147_483_647
"""The largest id of a stored row (ledger item, exemption, chat, token): a 32-bit integer."""
Moment = Annotated[
    dt.datetime,
    PlainSerializer(lambda moment: moment.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
"""A moment as the CLI's JSON writes it (``isoformat``: ``2026-11-24T02:00:00+00:00``)."""
Password = Annotated[
    str,
    StringConstraints(max_length=1024),
    Field(json_schema_extra={"format": "password", "writeOnly": True}),
]
"""A password in a request body: never echoed (not even in an error), logged or stored."""


class _Input(BaseModel):
    """A request body: unknown fields are refused (a typo is not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


# --- the problem ledger (问题台账) -----------------------------------------------------------


class LedgerItemOut(BaseModel):
    """One item as `orglife ledger list --format json` prints it, with its warning colour
    (三色预警) today: ``warning`` is "red", "yellow" or null (cleared, or colours off)."""

    id: int
    subject: str
    rule: str | None
    period: str | None
    status: LedgerStatus
    deadline: dt.date
    org: str
    org_name: str | None
    member: str | None
    member_name: str | None
    source: LedgerSource
    issue: str
    opened: dt.date
    rectification: str | None
    cleared: dt.date | None
    reopened: int
    status_zh: str
    warning: Colour | None
    warning_zh: str | None


class LedgerEventOut(BaseModel):
    """One change of an item: who (``user:<name>`` for API callers, ``system`` for the
    evaluation), when, from which status to which, and the note."""

    item: int
    at: Moment
    actor: str
    action: str
    action_zh: str
    from_status: LedgerStatus | None
    to_status: LedgerStatus
    note: str | None


class LedgerItemIn(_Input):
    """A problem an inspector found on site (明察暗访), as `orglife ledger add` takes it."""

    org: Code = Field(description="The org the problem belongs to.")
    issue: Note = Field(description="What is wrong, e.g. 会议记录不规范.")
    member: Code | None = Field(None, description="The member concerned (a cadre).")
    rule: Code | None = Field(None, description="The rule concerned, by id.")
    period: Annotated[str, StringConstraints(max_length=16)] | None = Field(
        None, description="The period concerned: 2026-09, 2026-Q3, 2026-H2, 2026."
    )
    found: dt.date | None = Field(None, description="The day it was found (today).")
    deadline: dt.date | None = Field(
        None, description="Rectify by this day (default: found + 30 days)."
    )


class RectifyIn(_Input):
    note: Note = Field(description="What was done: 补开会议 (date, topic) or 书面说明.")


class ClearIn(_Input):
    note: Note | None = Field(None, description="What the inspector verified.")


class ReturnIn(_Input):
    note: Note = Field(description="Why the rectification is not accepted (退回理由).")


# --- exemptions (免于考核) -------------------------------------------------------------------


class ExemptionOut(BaseModel):
    """One exemption as `orglife exemptions list --format json` prints it."""

    id: int
    org: str
    member: str | None
    rule: str
    period: str
    reason: str
    by: str
    at: Moment
    active: bool
    revoked_by: str | None
    revoked_at: Moment | None
    revoke_reason: str | None


class ExemptionIn(_Input):
    """One period of one rule excused for an org (or a leading cadre of it)."""

    org: Code
    rule: Code
    period: Annotated[str, StringConstraints(min_length=1, max_length=16)] = Field(
        description="The period label: 2025, 2025-Q4, 2025-H2, 2025-B6, 2025-10."
    )
    reason: Note = Field(description="Why the period is excused.")
    member: Code | None = Field(None, description="A leading cadre's id (cadre rules).")


class RevokeIn(_Input):
    reason: Note = Field(description="Why the exemption is revoked.")


# --- monthly reports (月度检查通报) ----------------------------------------------------------


class FiguresOut(BaseModel):
    required: int
    held: int
    missed: int
    rate: float | None
    open: int
    exempt: int


class ReportRowOut(BaseModel):
    """One finding of the month, as `orglife check --format json` names it, and late_entry."""

    org: str
    member: str | None
    rule: str
    period: str
    status: Status
    late_entry: bool
    org_name: str
    member_name: str | None
    branch: str | None
    rule_name: str
    period_zh: str
    period_end: dt.date
    status_zh: str
    reason: str
    records: list[int]


class BranchOut(FiguresOut):
    rank: int | None
    org: str
    name: str
    parent: str | None
    parent_name: str | None
    late_entries: int
    weak: bool


class CountedOut(BaseModel):
    org: str
    member: str | None
    rule: str
    rule_name: str
    period: str


class LateEntryOut(BaseModel):
    record: int
    org: str
    org_name: str
    branch: str | None
    date: dt.date
    recorded: dt.date
    days_late: int
    counted_for: list[CountedOut]


class ReportLedgerItemOut(BaseModel):
    id: int
    org: str
    member: str | None
    rule: str | None
    period: str | None
    source: LedgerSource
    source_zh: str
    issue: str
    opened: dt.date
    deadline: dt.date
    status: LedgerStatus
    status_zh: str
    rectification: str | None
    cleared: dt.date | None
    reopened: int
    warning: Colour | None
    warning_zh: str | None


class ReportLedgerOut(BaseModel):
    opened: int
    cleared: int
    outstanding: int
    overdue: int
    total: int
    cleared_total: int
    clearance_rate: float | None
    items: list[ReportLedgerItemOut]
    red: int
    yellow: int


class TrendPointOut(FiguresOut):
    month: str


class ReportOut(BaseModel):
    """The monthly summary as `orglife report --format json` prints it."""

    month: str
    org: str
    totals: FiguresOut
    rows: list[ReportRowOut]
    title: str
    org_name: str
    month_zh: str
    as_of: dt.date
    since: dt.date
    rules: str
    scope: str
    cadres: FiguresOut
    branches: list[BranchOut]
    weak: list[BranchOut]
    weak_tied: list[BranchOut]
    weak_rule: str
    weak_cut: int
    late_days: int
    late_rule: str
    late_entries: list[LateEntryOut]
    ledger: ReportLedgerOut
    trend: list[TrendPointOut]


# --- chats (admin) ---------------------------------------------------------------------------


class ChatOut(BaseModel):
    """A linked chat as `orglife chats list --format json` prints it: a robot's webhook
    redacted, its secret never (``signed`` says whether it has one)."""

    id: int
    channel: Platform
    org: str
    org_name: str
    role: ChatRole
    disabled: bool
    reason: str | None
    chat_id: int | None
    webhook: str | None
    signed: bool
    show_names: bool


class ChatIn(_Input):
    """A chat to link, as `orglife chats add` takes it: a Telegram ``chat_id``, or a group
    robot's ``webhook`` (and signing ``secret``). Linking again re-enables a disabled chat."""

    org: Code
    role: ChatRole = Field(
        description="branch: the org's own chat; inspector: misses of its subtree."
    )
    channel: Platform = Platform.TELEGRAM
    chat_id: int | None = Field(
        None, ge=-(2**63), le=2**63 - 1, description="Telegram chat id (groups < 0)."
    )
    webhook: Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)] | None = Field(
        None, description="The robot's whole webhook URL (wecom, dingtalk, feishu)."
    )
    secret: Annotated[str, StringConstraints(max_length=500, pattern=_NO_NUL)] | None = Field(
        None, description="The robot's signing secret (加签), for dingtalk and feishu."
    )
    show_names: bool = Field(False, description="Allow members' names in this chat.")


class DisableChatIn(_Input):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=_NO_NUL)]


# --- users and API tokens (admin) ------------------------------------------------------------


class UserOut(BaseModel):
    """An account as `orglife users list --format json` prints it (never its password)."""

    username: str
    role: Role
    org: str | None
    disabled: bool
    created: Moment | None


class UserIn(_Input):
    """A new account. The password is never echoed, logged or stored in clear."""

    username: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NO_NUL)]
    role: Role
    org: Code | None = Field(None, description="The org it works in (not for admin).")
    password: Password = Field(description=f"At least {MIN_LENGTH} characters.")


class PasswordIn(_Input):
    password: Password = Field(description=f"At least {MIN_LENGTH} characters.")


class TokenOut(BaseModel):
    """An API token as `orglife tokens list --format json` prints it (never its value)."""

    id: int
    user: str
    name: str
    created: Moment
    last_used: Moment | None
    revoked: Moment | None


class TokenCreatedOut(TokenOut):
    """A new token: ``token`` is its value, shown this once (only its digest is stored)."""

    token: str


class TokenIn(_Input):
    user: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NO_NUL)]
    name: Annotated[str, StringConstraints(max_length=100, pattern=_NO_NUL)] | None = None
