"""SQLModel tables of the registers. Rows map to frozen domain objects in :mod:`monitor.store`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, Integer, String
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
    __table_args__ = (Index("uq_meeting_record", "org", "month", "day", "key", unique=True),)

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
    recorded: dt.date | None = None


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
