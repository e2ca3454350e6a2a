"""Orgs: the time of the themed Party day (``HH:MM-HH:MM``), when it is not the rule's default.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column needs no table rebuild: SQLite and PostgreSQL both ALTER TABLE ADD it.
    op.add_column("org", sa.Column("party_time", sa.String(11), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the org table that members
    # and meetings reference while foreign keys are enforced.
    op.drop_column("org", "party_time")
