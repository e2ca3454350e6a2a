"""Alerts: linked chats, one-time link codes, Telegram users, finding states, the outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("org", sa.String(64), sa.ForeignKey("org.code"), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("show_names", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created", _TS, nullable=False),
        sa.Column("disabled", _TS, nullable=True),
        sa.Column("disabled_reason", sa.String(500), nullable=True),
    )
    op.create_index("ix_chat_chat_id", "chat", ["chat_id"])
    op.create_index("uq_chat_link", "chat", ["chat_id", "org", "role"], unique=True)
    op.create_table(
        "link_code",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("org", sa.String(64), nullable=True),
        sa.Column("role", sa.String(20), nullable=True),
        sa.Column("member", sa.String(64), nullable=True),
        sa.Column("expires", _TS, nullable=False),
        sa.Column("used", _TS, nullable=True),
    )
    op.create_table(
        "telegram_user",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("member", sa.String(64), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("linked", _TS, nullable=False),
    )
    op.create_table(
        "finding_state",
        sa.Column("org", sa.String(64), primary_key=True),
        sa.Column("member", sa.String(64), primary_key=True),
        sa.Column("rule", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("changed", _TS, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("chat", sa.Integer(), sa.ForeignKey("chat.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.Column("available", _TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", _TS, nullable=True),
        sa.Column("sent", _TS, nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("uq_outbox_notice", "outbox", ["key", "chat"], unique=True)
    op.create_index("ix_outbox_pending", "outbox", ["state", "available"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("outbox", sa.Integer(), sa.ForeignKey("outbox.id"), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("worker", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_delivery_outbox", "delivery", ["outbox"])


def downgrade() -> None:
    op.drop_index("ix_delivery_outbox", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_index("uq_outbox_notice", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("finding_state")
    op.drop_table("telegram_user")
    op.drop_table("link_code")
    op.drop_index("uq_chat_link", table_name="chat")
    op.drop_index("ix_chat_chat_id", table_name="chat")
    op.drop_table("chat")
