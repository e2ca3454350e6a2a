"""The registers' revision: a counter that every change of the registers moves."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from monitor.store.tables import RevisionRow

REVISION_TABLE = RevisionRow.__table__  # type: ignore[attr-defined]


def bump_revision(conn: Connection) -> None:
    """Mark the registers changed, inside the transaction that changes them."""
    conn.execute(update(REVISION_TABLE).values(value=REVISION_TABLE.c.value + 1))


def current_revision(conn: Connection) -> int:
    """The revision as this connection sees it."""
    value = conn.execute(select(REVISION_TABLE.c.value)).scalar()
    return int(value or 0)
