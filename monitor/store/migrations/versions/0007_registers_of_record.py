"""Registers of record: entry times the system stamps, attribution, soft deletes, exemptions,
one audit trail, and settings (the registers' beginning).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("recorded_at", _TS, nullable=True))
        batch.add_column(sa.Column("for_period", sa.String(16), nullable=True))
        batch.add_column(sa.Column("deleted_at", _TS, nullable=True))
    # Records entered before this migration kept only an entry date: take them as entered at
    # the start of that day in Beijing (UTC+8, no daylight saving).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE meeting SET recorded_at = "
            "(recorded::timestamp AT TIME ZONE 'Asia/Shanghai') WHERE recorded IS NOT NULL"
        )
    else:
        op.execute(
            "UPDATE meeting SET recorded_at = datetime(recorded, '-8 hours') "
            "WHERE recorded IS NOT NULL"
        )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),  # meeting, exemption, org, member…
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),  # created, edited, deleted, …
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changes", sa.Text(), nullable=True),  # JSON: field -> [old, new]
    )
    op.create_index("ix_audit_event_entity", "audit_event", ["entity", "entity_id"])
    op.create_table(
        "exemption",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("org", sa.String(64), sa.ForeignKey("org.code"), nullable=False),
        sa.Column("member", sa.String(64), nullable=False, server_default=""),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by", sa.String(100), nullable=False),
        sa.Column("granted_at", _TS, nullable=False),
        sa.Column("revoked_by", sa.String(100), nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_exemption_org", "exemption", ["org"])
    op.create_table(
        "setting",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("setting")
    op.drop_index("ix_exemption_org", table_name="exemption")
    op.drop_table("exemption")
    op.drop_index("ix_audit_event_entity", table_name="audit_event")
    op.drop_table("audit_event")
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("for_period")
        batch.drop_column("recorded_at")
