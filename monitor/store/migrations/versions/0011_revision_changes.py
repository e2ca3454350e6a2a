"""The revision's change log: which orgs each change of the registers touched.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revision_change",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("org", sa.String(64), nullable=True),
    )
    op.create_index("ix_revision_change_revision", "revision_change", ["revision"])
    # What changed before the log began is unknown: a marker at the current revision says so.
    op.execute("INSERT INTO revision_change (revision, org) SELECT value, NULL FROM revision")


def downgrade() -> None:
    op.drop_index("ix_revision_change_revision", table_name="revision_change")
    op.drop_table("revision_change")
