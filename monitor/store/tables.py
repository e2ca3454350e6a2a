"""SQLModel tables of the registers. Rows map to frozen domain objects in :mod:`monitor.store`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlmodel import Field, SQLModel


class OrgRow(SQLModel, table=True):
    __tablename__ = "org"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    type: str = Field(max_length=20, index=True)
    parent: str | None = Field(default=None, max_length=64, index=True)
    founded: dt.date | None = None
    party_day: str | None = Field(default=None, max_length=8)
    has_committee: bool | None = None
    party_time: str | None = Field(default=None, max_length=11)  # HH:MM-HH:MM


class MemberRow(SQLModel, table=True):
    __tablename__ = "member"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    org: str = Field(
        sa_column=Column(String(64), ForeignKey("org.code"), nullable=False, index=True)
    )
    grp: str | None = Field(default=None, max_length=64)
    role: str = Field(max_length=20)
    joined: dt.date | None = None
    status: str = Field(max_length=20)
    leader: bool = Field(default=False, index=True)


class MeetingRow(SQLModel, table=True):
    """One record; ``kinds`` is a bitmask (see :class:`KindRow`), ``month`` its month index."""

    __tablename__ = "meeting"
    # One index serves both the natural key of the upsert and the (org, month) aggregation;
    # its org prefix keeps inserts of a register file local in the B-tree.
    # The partial index answers "the earliest month a live record counts in" (when the
    # registers began, read by every evaluation) without scanning the table.
    __table_args__ = (
        Index("uq_meeting_record", "org", "month", "day", "key", unique=True),
        Index(
            "ix_meeting_live_month",
            "month",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40)
    org: str = Field(sa_column=Column(String(64), ForeignKey("org.code"), nullable=False))
    kinds: int = Field(sa_column=Column(BigInteger, nullable=False))
    day: dt.date
    month: int
    expected: int | None = None
    attended: int | None = None
    lecturer: str | None = Field(default=None, max_length=100)
    topic: str | None = Field(default=None, max_length=500)
    # The entry date (Beijing) that late-entry checks use, and the moment orglife first saw the
    # record: both set once, when the record is created, and never moved afterwards.
    recorded: dt.date | None = None
    recorded_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    for_period: str | None = Field(default=None, max_length=16)  # the period it counts for
    deleted_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class AttendanceRow(SQLModel, table=True):
    __tablename__ = "attendance"

    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    )
    member_id: str = Field(
        sa_column=Column(String(64), ForeignKey("member.id"), primary_key=True, index=True)
    )


class KindRow(SQLModel, table=True):
    """Which bit of ``meeting.kinds`` stands for which kind; bits never move once given."""

    __tablename__ = "meeting_kind"

    id: str = Field(primary_key=True, max_length=64)
    bit: int = Field(unique=True)
    name: str = Field(max_length=100)


class RevisionRow(SQLModel, table=True):
    """One row counting changes to the registers, so feed caches know when to rebuild."""

    __tablename__ = "revision"

    id: int = Field(primary_key=True)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class RevisionChangeRow(SQLModel, table=True):
    """Which orgs a revision's change touched (org NULL: anything may have changed), so caches
    of evaluations can re-judge just those; only the last revisions are kept."""

    __tablename__ = "revision_change"
    __table_args__ = (Index("ix_revision_change_revision", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    revision: int = Field(sa_column=Column(BigInteger, nullable=False))
    org: str | None = Field(default=None, max_length=64)


class FeedTokenRow(SQLModel, table=True):
    """A calendar feed's secret URL token; a revoked token stays so it is never reissued."""

    __tablename__ = "feed_token"

    token: str = Field(primary_key=True, max_length=64)
    subject: str = Field(max_length=64, index=True)  # org code or member id
    created: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class FeedEventRow(SQLModel, table=True):
    """The stamp of one event of one feed: its content digest, SEQUENCE and LAST-MODIFIED."""

    __tablename__ = "feed_event"

    feed: str = Field(primary_key=True, max_length=64)  # org code or member id
    uid: str = Field(primary_key=True, max_length=255)
    digest: str = Field(max_length=64)
    sequence: int
    modified: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ChatRow(SQLModel, table=True):
    """A chat linked to an org with a role (branch or inspector): a Telegram chat or a robot.

    ``address`` names the destination (``telegram:<id>`` or the platform and a digest of the
    webhook); ``webhook`` and ``secret`` are credentials and never leave the store unredacted.
    """

    __tablename__ = "chat"
    __table_args__ = (Index("uq_chat_address", "address", "org", "role", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True, index=True)
    )
    platform: str = Field(
        default="telegram",
        sa_column=Column(String(20), nullable=False, server_default="telegram"),
    )
    address: str = Field(sa_column=Column(String(80), nullable=False, index=True))
    webhook: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    secret: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # When the chat got its first digest of what was already outstanding (None: not yet).
    welcomed: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    org: str = Field(sa_column=Column(String(64), ForeignKey("org.code"), nullable=False))
    role: str = Field(max_length=20)
    show_names: bool = False
    created: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    disabled: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    disabled_reason: str | None = Field(default=None, max_length=500)


class LinkCodeRow(SQLModel, table=True):
    """A one-time code linking a chat to an org (`chats code`) or a user to a member."""

    __tablename__ = "link_code"

    code: str = Field(primary_key=True, max_length=16)
    kind: str = Field(max_length=10)  # "chat" or "member"
    org: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=20)
    member: str | None = Field(default=None, max_length=64)
    expires: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class TelegramUserRow(SQLModel, table=True):
    """A Telegram user linked to a member of the registers."""

    __tablename__ = "telegram_user"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    member: str = Field(sa_column=Column(String(64), ForeignKey("member.id"), nullable=False))
    linked: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class FindingStateRow(SQLModel, table=True):
    """A finding the alerts announced: missed, or later held by a late record (补录)."""

    __tablename__ = "finding_state"

    org: str = Field(primary_key=True, max_length=64)
    member: str = Field(primary_key=True, max_length=64)  # "" for an org's own finding
    rule: str = Field(primary_key=True, max_length=64)
    period: str = Field(primary_key=True, max_length=16)
    state: str = Field(max_length=10)
    changed: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class RobotRow(SQLModel, table=True):
    """A destination's shared throttle: blocked until a time (DingTalk's 10-minute block)."""

    __tablename__ = "robot"

    address: str = Field(primary_key=True, max_length=80)
    blocked_until: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class RobotSendRow(SQLModel, table=True):
    """One send slot taken on a destination: the per-robot rate limit, shared by replicas."""

    __tablename__ = "robot_send"
    __table_args__ = (Index("ix_robot_send_address_at", "address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=80)
    at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class OutboxRow(SQLModel, table=True):
    """One notice for one chat; sent at most once per (key, chat)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("uq_outbox_notice", "key", "chat", unique=True),
        Index("ix_outbox_pending", "state", "available"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255)
    chat: int = Field(sa_column=Column(Integer, ForeignKey("chat.id"), nullable=False))
    kind: str = Field(max_length=20)
    line: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(max_length=10)  # pending, sent, dropped
    created: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    available: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    sent: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    document: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    filename: str | None = Field(default=None, max_length=200)


class DeliveryRow(SQLModel, table=True):
    """Every attempt to deliver an outbox row, kept for the record."""

    __tablename__ = "delivery"

    id: int | None = Field(default=None, primary_key=True)
    outbox: int = Field(
        sa_column=Column(Integer, ForeignKey("outbox.id"), nullable=False, index=True)
    )
    at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    worker: str = Field(max_length=64)
    outcome: str = Field(max_length=20)  # sent, retry, dropped
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class LedgerItemRow(SQLModel, table=True):
    """One problem of the ledger (问题台账): a final miss, or a problem found on site.

    A finding's item is unique per (org, member, rule, period), ``member`` being "" for an
    org's own finding, so opening items from an evaluation is idempotent; an inspector's items
    (source ``inspection``) may repeat.
    """

    __tablename__ = "ledger_item"
    __table_args__ = (
        Index(
            "uq_ledger_finding",
            "org",
            "member",
            "rule",
            "period",
            unique=True,
            sqlite_where=text("source = 'finding'"),
            postgresql_where=text("source = 'finding'"),
        ),
        Index("ix_ledger_item_org", "org"),
        Index("ix_ledger_item_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # No foreign key: orgs are never deleted, `add` checks the code, and a province's first
    # evaluation opens ~50k items whose per-row key checks would double the time it takes.
    org: str = Field(max_length=64)
    member: str = Field(default="", max_length=64)  # "" for an org's own problem
    rule: str | None = Field(default=None, max_length=64)
    period: str | None = Field(default=None, max_length=16)  # a period label, e.g. 2026-Q3
    source: str = Field(max_length=20)
    issue: str = Field(sa_column=Column(Text, nullable=False))
    opened: dt.date
    deadline: dt.date
    status: str = Field(max_length=20)
    rectification: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    cleared: dt.date | None = None
    reopened: int = 0
    overdue_alerted: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class LedgerEventRow(SQLModel, table=True):
    """One change to a ledger item, for the audit trail: who, when, what."""

    __tablename__ = "ledger_event"

    id: int | None = Field(default=None, primary_key=True)
    item: int = Field(
        sa_column=Column(Integer, ForeignKey("ledger_item.id"), nullable=False, index=True)
    )
    at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=100)
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class AuditEventRow(SQLModel, table=True):
    """One change to the registers (a record, an exemption, an org or a member): who, when, why."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=100)
    entity: str = Field(max_length=20)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=20)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    changes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON


class ExemptionRow(SQLModel, table=True):
    """A period an inspector excused (免于考核) for one subject and rule; revocable."""

    __tablename__ = "exemption"
    __table_args__ = (Index("ix_exemption_org", "org"),)

    id: int | None = Field(default=None, primary_key=True)
    org: str = Field(sa_column=Column(String(64), ForeignKey("org.code"), nullable=False))
    member: str = Field(default="", max_length=64)  # "" for an org's own rule
    rule: str = Field(max_length=64)
    period: str = Field(max_length=16)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    granted_by: str = Field(max_length=100)
    granted_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_by: str | None = Field(default=None, max_length=100)
    revoked_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    revoke_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SettingRow(SQLModel, table=True):
    """Settings of the registers kept in the database (e.g. ``registers_begin``)."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))


class UserRow(SQLModel, table=True):
    """An account: a role over an org's part of the tree (an admin's ``org`` is empty)."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    role: str = Field(max_length=20)
    org: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("org.code"), nullable=True)
    )
    created: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    disabled: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ApiTokenRow(SQLModel, table=True):
    """An API token: only its SHA-256 digest is kept; the value is shown once."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    name: str = Field(max_length=100)
    digest: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_used: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    revoked: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser: the cookie's digest, its user, when it ends, its CSRF token."""

    __tablename__ = "web_session"

    digest: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=False))
    created: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    csrf: str = Field(max_length=64)


class LoginAttemptRow(SQLModel, table=True):
    """A failed sign-in, for throttling per username and per address (shared by replicas)."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    address: str = Field(max_length=64)
    at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AttachmentRow(SQLModel, table=True):
    """A file attached to a meeting record or a ledger item (minutes, sign-in sheet, photo).

    The bytes live under the data directory by their SHA-256 (:mod:`monitor.attachments`);
    the row says whose they are, so they are served only to those who may see the owner."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_owner", "owner", "owner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=20)  # meeting | ledger
    owner_id: int = Field(sa_column=Column(Integer, nullable=False))
    org: str = Field(sa_column=Column(String(64), ForeignKey("org.code"), nullable=False))
    sha256: str = Field(max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=8)  # jpg | png | pdf | docx
    size: int = Field(sa_column=Column(Integer, nullable=False))
    uploaded: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    uploaded_by: str = Field(max_length=100)
    removed: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
