"""The problem ledger (问题台账): items and their audit trail.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_FINDING = sa.text("source = 'finding'")


def upgrade() -> None:
    op.create_table(
        "ledger_item",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("org", sa.String(64), nullable=False),
        sa.Column("member", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=True),
        sa.Column("period", sa.String(16), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("issue", sa.Text(), nullable=False),
        sa.Column("opened", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("rectification", sa.Text(), nullable=True),
        sa.Column("cleared", sa.Date(), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("overdue_alerted", _TS, nullable=True),
    )
    op.create_index(
        "uq_ledger_finding",
        "ledger_item",
        ["org", "member", "rule", "period"],
        unique=True,
        sqlite_where=_FINDING,
        postgresql_where=_FINDING,
    )
    op.create_index("ix_ledger_item_org", "ledger_item", ["org"])
    op.create_index("ix_ledger_item_status", "ledger_item", ["status"])
    op.create_table(
        "ledger_event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item", sa.Integer(), sa.ForeignKey("ledger_item.id"), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_ledger_event_item", "ledger_event", ["item"])


def downgrade() -> None:
    op.drop_index("ix_ledger_event_item", table_name="ledger_event")
    op.drop_table("ledger_event")
    op.drop_index("ix_ledger_item_status", table_name="ledger_item")
    op.drop_index("ix_ledger_item_org", table_name="ledger_item")
    op.drop_index("uq_ledger_finding", table_name="ledger_item")
    op.drop_table("ledger_item")
