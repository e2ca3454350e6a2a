"""Calendar feeds: URL tokens, per-event stamps, and a revision counter for feed caches.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revision",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO revision (id, value) VALUES (1, 0)")
    op.create_table(
        "feed_token",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_feed_token_subject", "feed_token", ["subject"])
    op.create_table(
        "feed_event",
        sa.Column("feed", sa.String(64), primary_key=True),
        sa.Column("uid", sa.String(255), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feed_event")
    op.drop_index("ix_feed_token_subject", table_name="feed_token")
    op.drop_table("feed_token")
    op.drop_table("revision")
