"""An index of live records' months: when the registers began, without a scan.

Every evaluation reads the earliest month a live record counts in (``registers_begin``); on a
province that was a scan of the whole meeting table, longer than judging one branch.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_meeting_live_month",
        "meeting",
        ["month"],
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_meeting_live_month", table_name="meeting")
