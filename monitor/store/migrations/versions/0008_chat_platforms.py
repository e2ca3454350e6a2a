"""Chats on every platform: group robots (WeCom, DingTalk, Feishu) beside Telegram chats, and
the per-robot rate limit shared by replicas.

A chat is now named by its ``address`` (``telegram:<id>``, or the platform and a digest of the
webhook); ``chat_id`` is Telegram's and empty for a robot. Chats linked before this revision
count as having had their first digest (``welcomed``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("chat") as batch:
        batch.add_column(
            sa.Column("platform", sa.String(20), nullable=False, server_default="telegram")
        )
        batch.add_column(sa.Column("address", sa.String(80), nullable=True))
        batch.add_column(sa.Column("webhook", sa.Text(), nullable=True))
        batch.add_column(sa.Column("secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("welcomed", _TS, nullable=True))
    chat = sa.table(
        "chat",
        sa.column("chat_id", sa.BigInteger()),
        sa.column("address", sa.String(80)),
        sa.column("created", _TS),
        sa.column("welcomed", _TS),
    )
    op.execute(
        chat.update().values(
            address=sa.literal("telegram:") + sa.cast(chat.c.chat_id, sa.String(40)),
            welcomed=chat.c.created,
        )
    )
    with op.batch_alter_table("chat") as batch:
        batch.alter_column("address", existing_type=sa.String(80), nullable=False)
        batch.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=True)
        batch.drop_index("uq_chat_link")
        batch.create_index("uq_chat_address", ["address", "org", "role"], unique=True)
        batch.create_index("ix_chat_address", ["address"])
    op.create_table(
        "robot",
        sa.Column("address", sa.String(80), primary_key=True),
        sa.Column("blocked_until", _TS, nullable=True),
    )
    op.create_table(
        "robot_send",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("address", sa.String(80), nullable=False),
        sa.Column("at", _TS, nullable=False),
    )
    op.create_index("ix_robot_send_address_at", "robot_send", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_robot_send_address_at", table_name="robot_send")
    op.drop_table("robot_send")
    op.drop_table("robot")
    robots = "SELECT id FROM chat WHERE chat_id IS NULL"
    rows = f"SELECT id FROM outbox WHERE chat IN ({robots})"
    op.execute(f"DELETE FROM delivery WHERE outbox IN ({rows})")
    op.execute(f"DELETE FROM outbox WHERE chat IN ({robots})")
    op.execute("DELETE FROM chat WHERE chat_id IS NULL")
    with op.batch_alter_table("chat") as batch:
        batch.drop_index("ix_chat_address")
        batch.drop_index("uq_chat_address")
        batch.create_index("uq_chat_link", ["chat_id", "org", "role"], unique=True)
        batch.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_column("welcomed")
        batch.drop_column("secret")
        batch.drop_column("webhook")
        batch.drop_column("address")
        batch.drop_column("platform")
