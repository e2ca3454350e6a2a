"""The registers' revision: a counter that every change of the registers moves, and the change
log that says which orgs each revision touched.

The log (table ``revision_change``) holds rows ``(revision, org)``: the orgs whose records,
members or exemptions a change touched. ``org`` NULL is a marker: anything may have changed
(an org import reshapes the tree; a setting such as ``registers_begin`` changes every verdict).
Caches of evaluations (the dashboard's, :mod:`monitor.http.pages.dashboard_cache`) ask
:func:`changed_orgs` what moved between the revision they reflect and now, and re-judge just
those orgs' branches.

Bounded: each bump deletes the rows of revisions :data:`LOG_REVISIONS` or more behind the new
one, so the log answers for the last :data:`LOG_REVISIONS` revisions only (further back:
``None``, "evaluate in full"). A change touching more than :data:`LOG_MAX_ORGS` orgs is logged
as the marker instead of row by row (a cache would evaluate in full for it anyway).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.engine import Connection

from monitor.store.tables import RevisionChangeRow, RevisionRow

REVISION_TABLE = RevisionRow.__table__  # type: ignore[attr-defined]
CHANGE_TABLE = RevisionChangeRow.__table__  # type: ignore[attr-defined]

LOG_REVISIONS = 1000  # revisions the change log answers for
LOG_MAX_ORGS = 5000  # more orgs in one change: logged as "anything may have changed"


class OrgsOf:
    """The orgs of a change as a SQL query (``SELECT DISTINCT org FROM …``) run inside the
    changing transaction: a bulk import logs its orgs set-based, without reading them out."""

    def __init__(self, select_sql: str) -> None:
        self.select_sql = select_sql


def bump_revision(conn: Connection, orgs: Iterable[str] | OrgsOf | None = None) -> int:
    """Mark the registers changed, inside the transaction that changes them, and log the orgs
    the change touched (``None``: anything may have changed). Returns the new revision."""
    conn.execute(update(REVISION_TABLE).values(value=REVISION_TABLE.c.value + 1))
    revision = current_revision(conn)
    conn.execute(delete(CHANGE_TABLE).where(CHANGE_TABLE.c.revision <= revision - LOG_REVISIONS))
    if isinstance(orgs, OrgsOf):
        count = int(conn.execute(text(f"SELECT COUNT(*) FROM ({orgs.select_sql}) o")).scalar_one())
        if count <= LOG_MAX_ORGS:
            conn.execute(
                text(
                    f"INSERT INTO revision_change (revision, org) SELECT :revision, o.org "
                    f"FROM ({orgs.select_sql}) o WHERE o.org IS NOT NULL"
                ),
                {"revision": revision},
            )
            return revision
        orgs = None
    codes = None if orgs is None else sorted(set(orgs))
    if codes is not None and len(codes) > LOG_MAX_ORGS:
        codes = None
    if codes is None:
        conn.execute(insert(CHANGE_TABLE).values(revision=revision, org=None))
    elif codes:
        conn.execute(insert(CHANGE_TABLE), [{"revision": revision, "org": c} for c in codes])
    return revision


def current_revision(conn: Connection) -> int:
    """The revision as this connection sees it."""
    value = conn.execute(select(REVISION_TABLE.c.value)).scalar()
    return int(value or 0)


def changed_orgs(conn: Connection, since: int, until: int) -> frozenset[str] | None:
    """The orgs changed by the revisions after ``since`` up to ``until``; ``None`` when anything
    may have changed in between (a marker) or the log does not reach back to ``since``."""
    if since == until:
        return frozenset()
    if since > until or since < current_revision(conn) - LOG_REVISIONS:
        return None
    rows = conn.execute(
        select(CHANGE_TABLE.c.org)
        .where(CHANGE_TABLE.c.revision > since, CHANGE_TABLE.c.revision <= until)
        .distinct()
    ).all()
    codes = [row.org for row in rows]
    if any(code is None for code in codes):
        return None
    return frozenset(str(code) for code in codes)
