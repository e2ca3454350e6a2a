"""Bulk loading of meeting records: stage into a temporary table, then merge set-based.

Rows go to the database in chunks through the driver (COPY on PostgreSQL, ``executemany`` on
SQLite, the values already in the form each driver takes) inside the caller's transaction, so a
bad row found late still rolls back everything. Each step is one statement over the staged rows:
duplicates within the file, matching staged rows to stored records, which matched records
changed (skipped when none matched), possible duplicates of new rows, the inserts and updates,
the attendance lists and the ``created`` events of the audit trail. A staged record is known by
its file line (the stage's primary key); its attendance list is staged beside it as a JSON
array of member ids, expanded in SQL (``json_each``, ``jsonb_array_elements_text``) only where
records are compared or stored.

A stored record's entry date (``recorded``) and entry time (``recorded_at``) are set when it
is inserted and never moved by a later import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any

from sqlalchemy import Connection, DateTime, bindparam, text
from sqlalchemy.exc import IntegrityError

STAGE_COLUMNS = (
    "line",
    "key",
    "org",
    "kinds",
    "day",
    "month",
    "expected",
    "attended",
    "lecturer",
    "topic",
    "recorded",
    "for_period",
    "attendees",
)
MEETING_COLUMNS = STAGE_COLUMNS[1:-1]
# What an import may change of a stored record (the rest is its natural key or its entry time).
UPDATED_COLUMNS = ("kinds", "expected", "attended", "lecturer", "topic", "for_period")
_NATURAL_KEY = "meeting_stage (org, month, day, key)"
_STAGED = (
    "meeting_stage.org = {t}.org AND meeting_stage.month = {t}.month "
    "AND meeting_stage.day = {t}.day AND meeting_stage.key = {t}.key"
)
# A record entered before orglife stamped entry times is taken as entered at the start of its
# entry day in Beijing (as migration 0007 stamped the records it found).
_START_OF_ENTRY_DAY = {
    "postgresql": "(COALESCE(recorded, day)::timestamp AT TIME ZONE 'Asia/Shanghai')",
    "sqlite": "datetime(COALESCE(recorded, day), '-8 hours')",
}

_WRITE_LOCK = 7716020261202  # PostgreSQL advisory lock key: one register write at a time

StageRow = tuple[Any, ...]  # values in STAGE_COLUMNS order; attendees as a JSON array or None


class Stage:
    """Temporary table ``meeting_stage`` on one connection.

    Besides the staged values a staged row gets ``id`` (the stored record it is, once matched
    or inserted), ``new`` (1: not stored before this import) and ``changed`` (1: stored, and
    this import changes it).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self._raw: Any = conn.connection.driver_connection
        self._create()

    def _create(self) -> None:
        if self.dialect == "postgresql":
            # Room in each page lets the updates of id, new and changed stay HOT (no new index
            # entries for the row's new version).
            suffix, temp = " WITH (fillfactor = 60) ON COMMIT DROP", "TEMPORARY"
            text_type, date_type = "TEXT", "DATE"
        else:
            suffix, temp = "", "TEMP"
            text_type, date_type = "TEXT", "TEXT"
            self._sql("DROP TABLE IF EXISTS temp.meeting_stage")
        # new = 1 until matched to a stored record; line is the key (a file line is one row).
        self._sql(
            f"CREATE {temp} TABLE meeting_stage (line INTEGER PRIMARY KEY, key {text_type}, "
            f"org {text_type}, kinds BIGINT, day {date_type}, month INTEGER, expected INTEGER, "
            f"attended INTEGER, lecturer {text_type}, topic {text_type}, recorded {date_type}, "
            f"for_period {text_type}, attendees {text_type}, id BIGINT, new INTEGER DEFAULT 1, "
            f"changed INTEGER DEFAULT 0){suffix}"
        )

    def drop(self) -> None:
        if self.dialect != "postgresql":  # PostgreSQL drops it at commit or rollback
            self._sql("DROP TABLE IF EXISTS temp.meeting_stage")

    def write(self, rows: Sequence[StageRow]) -> None:
        """Stage rows in :data:`STAGE_COLUMNS` order."""
        if not rows:
            return
        table, columns = "meeting_stage", STAGE_COLUMNS
        cursor = self._raw.cursor()
        try:
            if self.dialect == "postgresql":
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                # The rows hold dates as ISO text already (the resolver's ``text_dates``).
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                )
        finally:
            cursor.close()

    def first_duplicate(self) -> tuple[int, int, str] | None:
        """Lines and date of the first record staged twice (same org, date and key), if any."""
        # A unique index on the natural key finds whether any record is staged twice while it
        # is built; only then does the GROUP BY look for the first one.
        name = "ix_meeting_stage_record"
        qualified = name if self.dialect == "postgresql" else f"temp.{name}"
        try:
            # PostgreSQL aborts the transaction on a failed statement: a savepoint keeps it.
            with self.conn.begin_nested() if self.dialect == "postgresql" else nullcontext():
                self._sql(f"CREATE UNIQUE INDEX {qualified} ON {_NATURAL_KEY}")
            return None
        except IntegrityError:
            pass
        row = self._sql(
            "SELECT MIN(line), MAX(line), MIN(day) FROM meeting_stage "
            "GROUP BY org, month, day, key HAVING COUNT(*) > 1 ORDER BY MIN(line) LIMIT 1"
        ).first()
        return None if row is None else (int(row[0]), int(row[1]), str(row[2]))

    def _sql(self, statement: str) -> Any:
        """Run one statement of plain SQL; its rows are untyped."""
        return self.conn.exec_driver_sql(statement)

    def _differs(self, a: str, b: str) -> str:
        """SQL true when ``a`` and ``b`` differ, NULLs compared as values."""
        operator = "IS DISTINCT FROM" if self.dialect == "postgresql" else "IS NOT"
        return f"{a} {operator} {b}"

    def match(self) -> tuple[int, int, int]:
        """Match staged rows to stored records and mark what changes: (new, changed, unchanged).

        A stored record that was deleted is left as it is (it counts as unchanged): an import
        does not bring back what someone deleted with a reason.
        """
        if self.dialect == "postgresql":
            self._sql("ANALYZE meeting_stage")  # a temporary table has no statistics otherwise
            self._sql(
                "UPDATE meeting_stage SET id = m.id, new = 0 FROM meeting m WHERE "
                + _STAGED.format(t="m")
            )
        else:
            # A lookup per staged row by the whole natural key. SQLite's planner may otherwise
            # drive the join from ``meeting`` and probe the stage by (org, month) alone: on a
            # re-import of one org's 60,000 records that took 36 s instead of a fraction of one.
            self._sql(
                "UPDATE meeting_stage SET id = (SELECT m.id FROM meeting m WHERE "
                + _STAGED.format(t="m")
                + ")"
            )
            self._sql("UPDATE meeting_stage SET new = 0 WHERE id IS NOT NULL")
        matched = self._sql("SELECT COUNT(*) FROM meeting_stage WHERE new = 0").scalar()
        if matched:
            self._mark_changed()
        total, new, changed = self._sql(
            "SELECT COUNT(*), COALESCE(SUM(new), 0), COALESCE(SUM(changed), 0) FROM meeting_stage"
        ).one()
        return int(new), int(changed), int(total) - int(new) - int(changed)

    def _each(self, alias: str) -> str:
        """A FROM item of the member ids in ``alias``'s staged attendance list, as ``j.value``."""
        if self.dialect == "postgresql":
            return f"jsonb_array_elements_text(CAST({alias}.attendees AS jsonb)) AS j(value)"
        return f"json_each({alias}.attendees) AS j"

    def _mark_changed(self) -> None:
        """Mark the matched rows whose fields or attendance list differ from the stored record."""
        fields = " OR ".join(self._differs(f"m.{c}", f"meeting_stage.{c}") for c in UPDATED_COLUMNS)
        each = self._each("meeting_stage")
        self._sql(
            "UPDATE meeting_stage SET changed = 1 WHERE new = 0 AND EXISTS ("
            "SELECT 1 FROM meeting m WHERE m.id = meeting_stage.id AND m.deleted_at IS NULL "
            f"AND ({fields} "
            f"OR EXISTS (SELECT 1 FROM {each} WHERE NOT EXISTS (SELECT 1 FROM attendance t "
            "WHERE t.meeting_id = meeting_stage.id AND t.member_id = j.value)) "
            "OR EXISTS (SELECT 1 FROM attendance t WHERE t.meeting_id = meeting_stage.id "
            f"AND NOT EXISTS (SELECT 1 FROM {each} WHERE j.value = t.member_id))))"
        )

    def possible_duplicates(
        self, periods: Mapping[int, int] | None = None
    ) -> list[tuple[int, int]]:
        """(line, record id) for each new row whose org already has a record of one of its
        kinds in the same period: perhaps a corrected date or kind of that record.

        ``periods`` maps a bitmask of kinds to the length in months of their period (the
        shortest cadence of the rules that count them); kinds it leaves out compare by month.
        Periods start in January, so ``month / length`` numbers them in both databases.
        """
        same: list[str] = []
        covered = 0
        for mask, months in sorted((periods or {}).items()):
            same.append(
                f"((m.kinds & i.kinds & {int(mask)}) <> 0 "
                f"AND m.month / {int(months)} = i.month / {int(months)})"
            )
            covered |= int(mask)
        same.append(f"((m.kinds & i.kinds & ~{covered}) <> 0 AND m.month = i.month)")
        rows = self._sql(
            "SELECT i.line, MIN(m.id) FROM meeting_stage i JOIN meeting m "
            f"ON m.org = i.org AND ({' OR '.join(same)}) "
            "AND m.deleted_at IS NULL WHERE i.new = 1 GROUP BY i.line ORDER BY i.line"
        )
        return [(int(line), int(record)) for line, record in rows]

    def changes(self) -> dict[int, dict[str, list[Any]]]:
        """What this import changes of each stored record it changes: field → [old, new]."""
        columns = ", ".join(f"m.{c}, i.{c}" for c in UPDATED_COLUMNS if c != "kinds")
        found: dict[int, dict[str, list[Any]]] = {}
        fields = [c for c in UPDATED_COLUMNS if c != "kinds"]
        for row in self._sql(
            f"SELECT i.id, {columns} FROM meeting_stage i JOIN meeting m ON m.id = i.id "
            "WHERE i.changed = 1"
        ):
            values = list(row[1:])
            found[int(row[0])] = {
                field: [values[2 * n], values[2 * n + 1]]
                for n, field in enumerate(fields)
                if values[2 * n] != values[2 * n + 1]
            }
        if not found:
            return found
        before: dict[int, list[str]] = {}
        for record, member in self._sql(
            "SELECT t.meeting_id, t.member_id FROM attendance t JOIN meeting_stage i "
            "ON i.id = t.meeting_id WHERE i.changed = 1 ORDER BY t.member_id"
        ):
            before.setdefault(int(record), []).append(str(member))
        after: dict[int, list[str]] = {}
        for record, member in self._sql(
            f"SELECT i.id, j.value FROM meeting_stage i, {self._each('i')} "
            "WHERE i.changed = 1 ORDER BY j.value"
        ):
            after.setdefault(int(record), []).append(str(member))
        for record, fields_changed in found.items():
            old, new = before.get(record, []), after.get(record, [])
            if old != new:
                fields_changed["attendees"] = [old, new]
        return found

    def merge(self, now: dt.datetime | None, *, actor: str, reason: str | None) -> None:
        """Insert the new records, update the changed ones, replace their attendance lists and
        write a ``created`` event for each new record.

        New records are stamped ``recorded_at = now`` (without ``now``: the start of their entry
        day, or of their meeting day when they have none, in Beijing); stored records keep
        their entry date and time.
        """
        columns = ", ".join(MEETING_COLUMNS)
        stamp = ":now" if now is not None else _START_OF_ENTRY_DAY[self.dialect]
        inserted = text(
            f"INSERT INTO meeting ({columns}, recorded_at) SELECT {columns}, {stamp} "
            "FROM meeting_stage WHERE new = 1 ORDER BY line"  # ids in the file's order
        )
        if now is not None:
            inserted = inserted.bindparams(bindparam("now", now, type_=DateTime(timezone=True)))
        self.conn.execute(inserted)
        self._sql(
            "UPDATE meeting_stage SET id = (SELECT m.id FROM meeting m WHERE "
            f"{_STAGED.format(t='m')}) WHERE new = 1"
        )
        updates = ", ".join(f"{c} = i.{c}" for c in UPDATED_COLUMNS)
        self._sql(
            f"UPDATE meeting SET {updates} FROM meeting_stage i "
            "WHERE meeting.id = i.id AND i.changed = 1"
        )
        self._sql(
            "DELETE FROM attendance WHERE meeting_id IN "
            "(SELECT id FROM meeting_stage WHERE changed = 1)"
        )
        self._sql(
            # A list names each member once (the resolver), so no DISTINCT is needed.
            "INSERT INTO attendance (meeting_id, member_id) SELECT m.id, j.value "
            f"FROM meeting_stage m, {self._each('m')} WHERE m.new = 1 OR m.changed = 1"
        )
        # The event is dated with the record's entry time.
        self.conn.execute(
            text(
                "INSERT INTO audit_event (at, actor, entity, entity_id, action, reason, changes) "
                "SELECT m.recorded_at, :actor, 'meeting', CAST(m.id AS TEXT), 'created', "
                ":reason, NULL FROM meeting_stage i JOIN meeting m ON m.id = i.id WHERE i.new = 1"
            ).bindparams(bindparam("actor", actor), bindparam("reason", reason))
        )


def lock_imports(conn: Connection) -> None:
    """Serialise imports and record changes on PostgreSQL until the transaction ends, so two
    imports of one file cannot both count its rows as new, nor an edit race an import to the
    same natural key; SQLite serialises writers by itself."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK})"))


def analyze(conn: Connection, *tables: str) -> None:
    """Refresh planner statistics after a large load, so subtree queries use the indexes.

    Right after a bulk load PostgreSQL has no statistics until autovacuum gets to the tables,
    and then plans a one-branch check as a scan of the whole province.
    """
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.execute(text(f"ANALYZE {table}"))
    else:
        conn.exec_driver_sql("PRAGMA optimize")


def sqlite_value(value: Any) -> Any:
    """A value as the SQLite driver path must pass it: SQLAlchemy keeps dates as ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value
