"""Registers: orgs, members, meeting records, attendance and meeting-kind bits.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Bits 0-7 are the core kinds; they are fixed here so every database agrees on them.
CORE_KIND_BITS = [
    ("general_meeting", 0, "支部党员大会"),
    ("committee_meeting", 1, "支部委员会会议"),
    ("group_meeting", 2, "党小组会"),
    ("party_lesson", 3, "党课"),
    ("themed_party_day", 4, "主题党日"),
    ("org_life_meeting", 5, "组织生活会"),
    ("democratic_appraisal", 6, "民主评议党员"),
    ("heart_to_heart_talk", 7, "谈心谈话"),
]


def upgrade() -> None:
    op.create_table(
        "org",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("parent", sa.String(64), nullable=True),
        sa.Column("founded", sa.Date(), nullable=True),
        sa.Column("party_day", sa.String(8), nullable=True),
        sa.Column("has_committee", sa.Boolean(), nullable=True),
    )
    op.create_index("ix_org_type", "org", ["type"])
    op.create_index("ix_org_parent", "org", ["parent"])
    op.create_table(
        "member",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("org", sa.String(64), sa.ForeignKey("org.code"), nullable=False),
        sa.Column("grp", sa.String(64), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("joined", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("leader", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_member_org", "member", ["org"])
    op.create_index("ix_member_leader", "member", ["leader"])
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("org", sa.String(64), sa.ForeignKey("org.code"), nullable=False),
        sa.Column("kinds", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=True),
        sa.Column("attended", sa.Integer(), nullable=True),
        sa.Column("lecturer", sa.String(100), nullable=True),
        sa.Column("topic", sa.String(500), nullable=True),
        sa.Column("recorded", sa.Date(), nullable=True),
    )
    # The natural key of a record (key hashes kinds, topic and lecturer), led by org and month
    # so the same index serves the per-org aggregation.
    op.create_index("uq_meeting_record", "meeting", ["org", "month", "day", "key"], unique=True)
    op.create_table(
        "attendance",
        sa.Column(
            "meeting_id",
            sa.Integer(),
            sa.ForeignKey("meeting.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("member_id", sa.String(64), sa.ForeignKey("member.id"), primary_key=True),
    )
    op.create_index("ix_attendance_member_id", "attendance", ["member_id"])
    kinds = op.create_table(
        "meeting_kind",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("bit", sa.Integer(), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
    )
    op.bulk_insert(kinds, [{"id": i, "bit": b, "name": n} for i, b, n in CORE_KIND_BITS])


def downgrade() -> None:
    for table in ("attendance", "meeting", "member", "meeting_kind", "org"):
        op.drop_table(table)
