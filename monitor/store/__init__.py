"""The store: registers in SQL (SQLite or PostgreSQL), read as frozen domain objects.

The :class:`Store` facade opens the database, reads the registers and runs each import in one
transaction; rows are checked in :mod:`monitor.store.validation` and mapped to domain objects in
:mod:`monitor.store.mappers`. The store is the SQL foundation of every feature (tables,
migrations, the registers' revision); a feature's own queries live with the feature. May import
registers, holidays, text and core; never a feature.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from monitor.core.domain import Meeting, Member, Org
from monitor.core.errors import UnknownOrgError
from monitor.core.kinds import KindCatalog
from monitor.core.rules import Rule
from monitor.registers.readers import MeetingFields, MeetingStream, Parsed
from monitor.store import bulk, schema
from monitor.store.audit import AuditEvent, diff, events, record_event, record_events
from monitor.store.mappers import meeting_of, member_of, member_row, org_of, org_row
from monitor.store.revision import OrgsOf, bump_revision, changed_orgs, current_revision
from monitor.store.sql import (
    ATTENDANCE_TABLE,
    CHUNK,
    KIND_TABLE,
    MEETING_TABLE,
    MEMBER_TABLE,
    ORG_TABLE,
    all_rows,
    chunks,
)
from monitor.store.validation import (
    ALLOWED_PARENTS,
    ORG_TYPE_ZH,
    MeetingResolver,
    check_member,
    check_parent,
    check_type_changes,
    duplicate_record_error,
    groups_by_name,
    org_tree,
    with_group_code,
)

__all__ = [
    "ALLOWED_PARENTS",
    "ATTENDANCE_TABLE",
    "KIND_TABLE",
    "MEETING_TABLE",
    "MEMBER_TABLE",
    "ORG_TABLE",
    "ORG_TYPE_ZH",
    "ImportResult",
    "Store",
]

_STAGE_CHUNK = 50_000
_ANALYZE_AFTER = 10_000


def _member_orgs(rows: list[dict[str, Any]], stored_rows: dict[str, dict[str, Any]]) -> set[str]:
    """The orgs and party groups a member import touched: each member's new ones, and for a
    member who moved, the old ones too (their roster and cadres change as well)."""
    touched: set[str] = set()
    for row in rows:
        for before_or_after in (row, stored_rows.get(row["id"]) or {}):
            touched.update(
                str(code)
                for code in (before_or_after.get("org"), before_or_after.get("grp"))
                if code is not None
            )
    return touched


# The orgs of the records a meetings import added or changed (a changed record keeps its org:
# records are matched by org, month, day and key).
_STAGED_ORGS = OrgsOf("SELECT DISTINCT org FROM meeting_stage WHERE new = 1 OR changed = 1")


def _sort_rows(
    rows: list[dict[str, Any]], stored_rows: dict[str, dict[str, Any]], key: str
) -> tuple[
    list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, str, dict[str, list[Any]] | None]]
]:
    """Rows split into new and changed ones, with their audit events (id, action, changes)."""
    inserted: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    events: list[tuple[str, str, dict[str, list[Any]] | None]] = []
    for row in rows:
        old = stored_rows.get(row[key])
        if old is None:
            inserted.append(row)
            events.append((row[key], "created", None))
            continue
        changes = diff(old, row)
        if changes:
            updated.append(row)
            events.append((row[key], "edited", changes))
    return inserted, updated, events


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one import did: rows read, and how many were new, changed or unchanged.

    ``possible_duplicates`` pairs the line of each new meeting record with a stored record of
    one of its kinds, of its org and month: perhaps the same meeting with a corrected date or
    kind, which an edit (not a re-import) should correct.
    """

    kind: str
    rows: int
    inserted: int
    updated: int
    unchanged: int = 0
    possible_duplicates: tuple[tuple[int, int], ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)


class Store:
    """Registers on one database; every import runs in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str = schema.DEFAULT_URL, *, migrate: bool = True) -> Store:
        engine = schema.make_engine(url)
        if migrate:
            schema.upgrade(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def events(self, entity: str, entity_id: str | int) -> list[AuditEvent]:
        """The audit trail of one record, org, member or exemption, oldest first."""
        with self.engine.connect() as conn:
            return events(conn, entity, entity_id)

    def revision(self) -> int:
        """A number that grows whenever the registers change (imports, records)."""
        with self.engine.connect() as conn:
            return current_revision(conn)

    def changed_orgs(self, since: int, until: int) -> frozenset[str] | None:
        """The orgs whose registers changed after revision ``since`` up to ``until``; None when
        anything may have changed (an org import, a setting) or the log does not reach back."""
        with self.engine.connect() as conn:
            return changed_orgs(conn, since, until)

    # --- reads -------------------------------------------------------------------------

    def orgs(self, codes: Iterable[str] | None = None) -> list[Org]:
        query = select(ORG_TABLE).order_by(ORG_TABLE.c.code)
        with self.engine.connect() as conn:
            if codes is None:
                return [org_of(r) for r in conn.execute(query)]
            result = []
            for chunk in chunks(sorted(set(codes)), CHUNK):
                result += [
                    org_of(r) for r in conn.execute(query.where(ORG_TABLE.c.code.in_(chunk)))
                ]
            return sorted(result, key=lambda o: o.code)

    def org(self, code: str) -> Org:
        with self.engine.connect() as conn:
            row = conn.execute(select(ORG_TABLE).where(ORG_TABLE.c.code == code)).first()
        if row is None:
            raise UnknownOrgError(code)
        return org_of(row)

    def subtree(self, code: str) -> list[str]:
        """The org and everything below it, by code."""
        self.org(code)
        tree = select(ORG_TABLE.c.code).where(ORG_TABLE.c.code == code).cte(recursive=True)
        tree = tree.union(select(ORG_TABLE.c.code).where(ORG_TABLE.c.parent == tree.c.code))
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(tree.c.code)).scalars())

    def member(self, member_id: str) -> Member | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(MEMBER_TABLE).where(MEMBER_TABLE.c.id == member_id)).first()
        return None if row is None else member_of(row)

    def records(
        self,
        orgs: Iterable[str],
        first: dt.date,
        last: dt.date,
        *,
        attendee: str | None = None,
    ) -> list[Meeting]:
        """The records of ``orgs`` held from ``first`` to ``last``, optionally only those
        ``attendee`` took part in; ordered by day. Deleted records are not among them."""
        bits = self.kind_bits()
        query = select(MEETING_TABLE).where(
            MEETING_TABLE.c.day >= first,
            MEETING_TABLE.c.day <= last,
            MEETING_TABLE.c.deleted_at.is_(None),
        )
        if attendee is not None:
            attended = select(ATTENDANCE_TABLE.c.meeting_id).where(
                ATTENDANCE_TABLE.c.member_id == attendee
            )
            query = query.where(MEETING_TABLE.c.id.in_(attended))
        rows: list[Any] = []
        attendees: dict[int, list[str]] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(set(orgs)), CHUNK):
                found = all_rows(conn, query.where(MEETING_TABLE.c.org.in_(chunk)))
                rows += found
                ids = [r.id for r in found]
                for part in chunks(ids, CHUNK):
                    pairs = select(ATTENDANCE_TABLE.c.meeting_id, ATTENDANCE_TABLE.c.member_id)
                    pairs = pairs.where(ATTENDANCE_TABLE.c.meeting_id.in_(part))
                    order = (ATTENDANCE_TABLE.c.meeting_id, ATTENDANCE_TABLE.c.member_id)
                    for meeting_id, member_id in all_rows(conn, pairs.order_by(*order)):
                        attendees.setdefault(int(meeting_id), []).append(str(member_id))
        rows.sort(key=lambda r: (r.day, r.org, r.id))
        return [meeting_of(r, bits, attendees.get(r.id, ())) for r in rows]

    def members(
        self, orgs: Iterable[str] | None = None, *, leaders_only: bool = False
    ) -> list[Member]:
        query = select(MEMBER_TABLE).order_by(MEMBER_TABLE.c.id)
        if leaders_only:
            query = query.where(MEMBER_TABLE.c.leader.is_(True))
        with self.engine.connect() as conn:
            if orgs is None:
                return [member_of(r) for r in conn.execute(query)]
            result = []
            for chunk in chunks(sorted(set(orgs)), CHUNK):
                result += [
                    member_of(r) for r in conn.execute(query.where(MEMBER_TABLE.c.org.in_(chunk)))
                ]
            return sorted(result, key=lambda m: m.id)

    def meetings(self, orgs: Iterable[str] | None = None) -> list[Meeting]:
        """Every record (deleted ones excepted), optionally of ``orgs`` only; by id."""
        bits = self.kind_bits()
        with self.engine.connect() as conn:
            attendees: dict[int, list[str]] = {}
            pairs = select(ATTENDANCE_TABLE.c.meeting_id, ATTENDANCE_TABLE.c.member_id)
            order = (ATTENDANCE_TABLE.c.meeting_id, ATTENDANCE_TABLE.c.member_id)
            for meeting_id, member_id in all_rows(conn, pairs.order_by(*order)):
                attendees.setdefault(int(meeting_id), []).append(str(member_id))
            rows = all_rows(
                conn,
                select(MEETING_TABLE)
                .where(MEETING_TABLE.c.deleted_at.is_(None))
                .order_by(MEETING_TABLE.c.id),
            )
        wanted = None if orgs is None else set(orgs)
        return [
            meeting_of(r, bits, attendees.get(r.id, ()))
            for r in rows
            if wanted is None or r.org in wanted
        ]

    def kind_bits(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = all_rows(conn, select(KIND_TABLE.c.id, KIND_TABLE.c.bit))
            return {str(k): int(b) for k, b in rows}

    def counts(self) -> dict[str, int]:
        """How many orgs, members and (not deleted) meeting records are registered."""
        live = MEETING_TABLE.c.deleted_at.is_(None)
        with self.engine.connect() as conn:
            return {
                name: conn.execute(
                    select(func.count()).select_from(table).where(*where)
                ).scalar_one()
                for name, table, where in (
                    ("orgs", ORG_TABLE, ()),
                    ("members", MEMBER_TABLE, ()),
                    ("meetings", MEETING_TABLE, (live,)),
                )
            }

    # --- imports -----------------------------------------------------------------------

    def import_orgs(
        self, parsed: Parsed[Org], *, now: dt.datetime | None = None, actor: str = "import"
    ) -> ImportResult:
        """Store the orgs of a file: new ones added, changed ones updated (and their changes
        written to the audit trail when ``now`` is given), unchanged ones left alone."""
        with self.engine.begin() as conn:
            bulk.lock_imports(conn)
            before = org_tree(conn)
            stored_rows = {str(r.code): dict(r._mapping) for r in all_rows(conn, select(ORG_TABLE))}
            known = dict(before)
            for org in parsed.records:
                known[org.code] = (org.type, org.parent)
            for org, line in zip(parsed.records, parsed.lines, strict=True):
                check_parent(parsed, org, line, known)
            check_type_changes(conn, parsed, before, known)
            rows = [org_row(o) for o in parsed.records]
            inserted, updated, events = _sort_rows(rows, stored_rows, "code")
            self._upsert(conn, ORG_TABLE, inserted + updated, ["code"])
            self._log_changes(conn, "org", events, now, actor, parsed)
            if inserted or updated:
                bump_revision(conn, orgs=None)  # the tree may have changed: anything may have
            if len(rows) >= _ANALYZE_AFTER:
                bulk.analyze(conn, "org")
        return ImportResult(
            "orgs", len(rows), len(inserted), len(updated), len(rows) - len(inserted) - len(updated)
        )

    def import_members(
        self, parsed: Parsed[Member], *, now: dt.datetime | None = None, actor: str = "import"
    ) -> ImportResult:
        """Store the members of a file, like :meth:`import_orgs`."""
        with self.engine.begin() as conn:
            bulk.lock_imports(conn)
            orgs = org_tree(conn)
            # Registers often name the party group rather than give its code.
            by_name = (
                groups_by_name(conn)
                if any(m.group is not None and m.group not in orgs for m in parsed.records)
                else {}
            )
            members = [
                check_member(parsed, with_group_code(member, by_name), line, orgs)
                for member, line in zip(parsed.records, parsed.lines, strict=True)
            ]
            rows = [member_row(m) for m in members]
            stored_rows: dict[str, dict[str, Any]] = {}
            for chunk in chunks(sorted({m.id for m in members}), CHUNK):
                query = select(MEMBER_TABLE).where(MEMBER_TABLE.c.id.in_(chunk))
                stored_rows.update({str(r.id): dict(r._mapping) for r in all_rows(conn, query)})
            inserted, updated, events = _sort_rows(rows, stored_rows, "id")
            self._upsert(conn, MEMBER_TABLE, inserted + updated, ["id"])
            self._log_changes(conn, "member", events, now, actor, parsed)
            if inserted or updated:
                bump_revision(conn, orgs=_member_orgs(inserted + updated, stored_rows))
            if len(rows) >= _ANALYZE_AFTER:
                bulk.analyze(conn, "member")
        return ImportResult(
            "members",
            len(rows),
            len(inserted),
            len(updated),
            len(rows) - len(inserted) - len(updated),
        )

    @staticmethod
    def _log_changes(
        conn: Connection,
        entity: str,
        events: list[tuple[str, str, dict[str, list[Any]] | None]],
        now: dt.datetime | None,
        actor: str,
        parsed: Parsed[Any],
    ) -> None:
        """The audit events of an org or member import (none without ``now``: fixtures)."""
        if now is not None:
            record_events(
                conn,
                at=now,
                actor=actor,
                entity=entity,
                action_changes=events,
                reason=parsed.path.name,
            )

    def import_meetings(
        self,
        source: Parsed[Meeting] | MeetingStream,
        catalog: KindCatalog,
        *,
        progress: Callable[[int], None] | None = None,
        rules: Sequence[Rule] = (),
        now: dt.datetime | None = None,
        historical: bool = False,
        actor: str = "import",
    ) -> ImportResult:
        """Stage the records chunk by chunk and merge them set-based, in one transaction.

        ``source`` may be a parsed file or a stream
        (:func:`monitor.registers.readers.stream_meetings`): only one chunk of records is held at
        a time, and a bad row anywhere rolls back all. ``rules`` (the pack in force) bound the
        periods a record may say it counts for (``for_period``, see
        :func:`monitor.store.validation.check_for_period`).

        Records new to the database take the entry date the reader gave them (``--today``, or
        with ``historical`` the file's 录入日期) and the entry time ``now``; stored records keep
        both, whatever the file says. A ``historical`` import is itself logged in the audit trail
        (entity ``import``). Without ``now`` (fixtures, tests) new records are stamped at the
        start of their entry day in Beijing.
        """
        # A stream's records stay tuples of fields: the resolver reads nothing else of them.
        numbered: Iterable[tuple[int, Meeting | MeetingFields]] = (
            zip(source.lines, source.records, strict=True)
            if isinstance(source, Parsed)
            else source.fields
        )
        with self.engine.begin() as conn:
            bulk.lock_imports(conn)
            stage = bulk.Stage(conn)
            try:
                total = 0
                chunk: list[tuple[int, Meeting | MeetingFields]] = []
                resolver = MeetingResolver(conn, source, catalog, rules)
                for item in numbered:
                    chunk.append(item)
                    if len(chunk) >= _STAGE_CHUNK:
                        total += self._stage(stage, resolver, chunk, progress, total)
                total += self._stage(stage, resolver, chunk, progress, total)
                duplicate = stage.first_duplicate()
                if duplicate is not None:
                    raise duplicate_record_error(source, *duplicate)
                new, changed, unchanged = stage.match()
                hints = tuple(stage.possible_duplicates(resolver.periods())) if new else ()
                edits = stage.changes() if changed else {}
                if new or changed:
                    stage.merge(now, actor=actor, reason=source.path.name)
                    if edits and now is not None:
                        record_events(
                            conn,
                            at=now,
                            actor=actor,
                            entity="meeting",
                            action_changes=[(i, "edited", c) for i, c in sorted(edits.items())],
                            reason=source.path.name,
                        )
                    bump_revision(conn, orgs=_STAGED_ORGS)
                if historical and now is not None:
                    record_event(
                        conn,
                        at=now,
                        actor=actor,
                        entity="import",
                        entity_id=source.path.name[-64:],
                        action="historical",
                        reason=str(source.path)[-1000:],
                        changes={"new": [None, new], "changed": [None, changed]},
                    )
                if total >= _ANALYZE_AFTER:
                    bulk.analyze(conn, "meeting", "attendance")
            finally:
                stage.drop()
        return ImportResult("meetings", total, new, changed, unchanged, hints)

    @staticmethod
    def _stage(
        stage: bulk.Stage,
        resolver: MeetingResolver,
        chunk: list[tuple[int, Meeting | MeetingFields]],
        progress: Callable[[int], None] | None,
        done: int,
    ) -> int:
        """Validate and stage one chunk of records; returns how many it held."""
        stage.write(resolver.rows(chunk, text_dates=stage.dialect == "sqlite"))
        count = len(chunk)
        chunk.clear()
        if progress is not None and count:
            progress(done + count)
        return count

    def _upsert(
        self,
        conn: Connection,
        table: Any,
        rows: list[dict[str, Any]],
        keys: list[str],
    ) -> None:
        if not rows:
            return
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(table)
        changed = {
            c.name: statement.excluded[c.name]
            for c in table.columns
            if c.name not in keys and not c.primary_key
        }
        conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed), rows)
