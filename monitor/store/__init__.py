"""The store: registers in SQL (SQLite or PostgreSQL), mapped to frozen domain objects here."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from monitor.core.domain import Meeting, Member, MemberStatus, Org, OrgType, Role, record_key
from monitor.core.errors import RegisterError, RegisterErrorCode, UnknownOrgError
from monitor.core.kinds import KindCatalog
from monitor.core.periods import month_index
from monitor.registers.readers import MeetingStream, Parsed
from monitor.store import bulk, schema
from monitor.store.revision import bump_revision, current_revision
from monitor.store.tables import AttendanceRow, KindRow, MeetingRow, MemberRow, OrgRow

if TYPE_CHECKING:
    from pathlib import Path


class _Source(Protocol):
    """What an error needs of a register: its path and how its headers were written."""

    @property
    def path(self) -> Path: ...

    @property
    def columns(self) -> dict[str, str]: ...


T = TypeVar("T")

ORG_TABLE = OrgRow.__table__  # type: ignore[attr-defined]
MEMBER_TABLE = MemberRow.__table__  # type: ignore[attr-defined]
MEETING_TABLE = MeetingRow.__table__  # type: ignore[attr-defined]
ATTENDANCE_TABLE = AttendanceRow.__table__  # type: ignore[attr-defined]
KIND_TABLE = KindRow.__table__  # type: ignore[attr-defined]

# Which parent types each org type may hang under (None: may be a root).
ALLOWED_PARENTS: dict[OrgType, frozenset[OrgType | None]] = {
    OrgType.COMMITTEE: frozenset({OrgType.COMMITTEE, None}),
    OrgType.GENERAL_BRANCH: frozenset({OrgType.COMMITTEE, None}),
    OrgType.BRANCH: frozenset({OrgType.COMMITTEE, OrgType.GENERAL_BRANCH, None}),
    OrgType.GROUP: frozenset({OrgType.BRANCH}),
}
ORG_TYPE_ZH = {
    OrgType.COMMITTEE: "党委",
    OrgType.GENERAL_BRANCH: "党总支",
    OrgType.BRANCH: "党支部",
    OrgType.GROUP: "党小组",
}
_CHUNK = 500
_STAGE_CHUNK = 50_000
_ANALYZE_AFTER = 10_000


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one import did: rows read, and how many were new or replaced existing ones."""

    kind: str
    rows: int
    inserted: int
    updated: int


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

    def revision(self) -> int:
        """A number that grows whenever the registers change (imports, records)."""
        with self.engine.connect() as conn:
            return current_revision(conn)

    # --- reads -------------------------------------------------------------------------

    def orgs(self, codes: Iterable[str] | None = None) -> list[Org]:
        query = select(ORG_TABLE).order_by(ORG_TABLE.c.code)
        with self.engine.connect() as conn:
            if codes is None:
                return [_org(r) for r in conn.execute(query)]
            result = []
            for chunk in _chunks(sorted(set(codes)), _CHUNK):
                result += [_org(r) for r in conn.execute(query.where(ORG_TABLE.c.code.in_(chunk)))]
            return sorted(result, key=lambda o: o.code)

    def org(self, code: str) -> Org:
        with self.engine.connect() as conn:
            row = conn.execute(select(ORG_TABLE).where(ORG_TABLE.c.code == code)).first()
        if row is None:
            raise UnknownOrgError(code)
        return _org(row)

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
        return None if row is None else _member(row)

    def records(
        self,
        orgs: Iterable[str],
        first: dt.date,
        last: dt.date,
        *,
        attendee: str | None = None,
    ) -> list[Meeting]:
        """The records of ``orgs`` held from ``first`` to ``last``, optionally only those
        ``attendee`` took part in; ordered by day."""
        bits = self.kind_bits()
        query = select(MEETING_TABLE).where(
            MEETING_TABLE.c.day >= first, MEETING_TABLE.c.day <= last
        )
        if attendee is not None:
            attended = select(ATTENDANCE_TABLE.c.meeting_id).where(
                ATTENDANCE_TABLE.c.member_id == attendee
            )
            query = query.where(MEETING_TABLE.c.id.in_(attended))
        rows: list[Any] = []
        attendees: dict[int, list[str]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(orgs)), _CHUNK):
                found = _rows(conn, query.where(MEETING_TABLE.c.org.in_(chunk)))
                rows += found
                ids = [r.id for r in found]
                for part in _chunks(ids, _CHUNK):
                    pairs = select(ATTENDANCE_TABLE.c.meeting_id, ATTENDANCE_TABLE.c.member_id)
                    pairs = pairs.where(ATTENDANCE_TABLE.c.meeting_id.in_(part))
                    order = (ATTENDANCE_TABLE.c.meeting_id, ATTENDANCE_TABLE.c.member_id)
                    for meeting_id, member_id in _rows(conn, pairs.order_by(*order)):
                        attendees.setdefault(int(meeting_id), []).append(str(member_id))
        rows.sort(key=lambda r: (r.day, r.org, r.id))
        return [_meeting(r, bits, attendees.get(r.id, ())) for r in rows]

    def members(
        self, orgs: Iterable[str] | None = None, *, leaders_only: bool = False
    ) -> list[Member]:
        query = select(MEMBER_TABLE).order_by(MEMBER_TABLE.c.id)
        if leaders_only:
            query = query.where(MEMBER_TABLE.c.leader.is_(True))
        with self.engine.connect() as conn:
            if orgs is None:
                return [_member(r) for r in conn.execute(query)]
            result = []
            for chunk in _chunks(sorted(set(orgs)), _CHUNK):
                result += [
                    _member(r) for r in conn.execute(query.where(MEMBER_TABLE.c.org.in_(chunk)))
                ]
            return sorted(result, key=lambda m: m.id)

    def meetings(self, orgs: Iterable[str] | None = None) -> list[Meeting]:
        bits = self.kind_bits()
        with self.engine.connect() as conn:
            attendees: dict[int, list[str]] = {}
            pairs = select(ATTENDANCE_TABLE.c.meeting_id, ATTENDANCE_TABLE.c.member_id)
            order = (ATTENDANCE_TABLE.c.meeting_id, ATTENDANCE_TABLE.c.member_id)
            for meeting_id, member_id in _rows(conn, pairs.order_by(*order)):
                attendees.setdefault(int(meeting_id), []).append(str(member_id))
            rows = _rows(conn, select(MEETING_TABLE).order_by(MEETING_TABLE.c.id))
        wanted = None if orgs is None else set(orgs)
        return [
            _meeting(r, bits, attendees.get(r.id, ()))
            for r in rows
            if wanted is None or r.org in wanted
        ]

    def kind_bits(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = _rows(conn, select(KIND_TABLE.c.id, KIND_TABLE.c.bit))
            return {str(k): int(b) for k, b in rows}

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in (
                    ("orgs", ORG_TABLE),
                    ("members", MEMBER_TABLE),
                    ("meetings", MEETING_TABLE),
                )
            }

    # --- imports -----------------------------------------------------------------------

    def import_orgs(self, parsed: Parsed[Org]) -> ImportResult:
        with self.engine.begin() as conn:
            known = _org_tree(conn)
            existing = set(known)
            for org in parsed.records:
                known[org.code] = (org.type, org.parent)
            for org, line in zip(parsed.records, parsed.lines, strict=True):
                _check_parent(parsed, org, line, known)
            rows = [_org_row(o) for o in parsed.records]
            self._upsert(conn, ORG_TABLE, rows, ["code"])
            bump_revision(conn)
            if len(rows) >= _ANALYZE_AFTER:
                bulk.analyze(conn, "org")
        inserted = sum(1 for o in parsed.records if o.code not in existing)
        return ImportResult("orgs", len(rows), inserted, len(rows) - inserted)

    def import_members(self, parsed: Parsed[Member]) -> ImportResult:
        with self.engine.begin() as conn:
            orgs = _org_tree(conn)
            existing = _existing(conn, MEMBER_TABLE.c.id, {m.id for m in parsed.records})
            # Registers often name the party group rather than give its code.
            by_name = (
                _groups_by_name(conn)
                if any(m.group is not None and m.group not in orgs for m in parsed.records)
                else {}
            )
            members = [
                _check_member(parsed, _with_group_code(member, by_name), line, orgs)
                for member, line in zip(parsed.records, parsed.lines, strict=True)
            ]
            rows = [_member_row(m) for m in members]
            self._upsert(conn, MEMBER_TABLE, rows, ["id"])
            bump_revision(conn)
            if len(rows) >= _ANALYZE_AFTER:
                bulk.analyze(conn, "member")
        inserted = sum(1 for m in parsed.records if m.id not in existing)
        return ImportResult("members", len(rows), inserted, len(rows) - inserted)

    def import_meetings(
        self,
        source: Parsed[Meeting] | MeetingStream,
        catalog: KindCatalog,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        """Stage the records chunk by chunk and merge them in one statement, in one transaction.

        ``source`` may be a parsed file or a stream
        (:func:`monitor.registers.readers.stream_meetings`): only one chunk of records is held at
        a time, and a bad row anywhere rolls back all.
        """
        numbered = (
            zip(source.lines, source.records, strict=True)
            if isinstance(source, Parsed)
            else source.rows
        )
        with self.engine.begin() as conn:
            stage = bulk.Stage(conn)
            try:
                total = 0
                chunk: list[tuple[int, Meeting]] = []
                resolver = _MeetingResolver(conn, source, catalog)
                for item in numbered:
                    chunk.append(item)
                    if len(chunk) >= _STAGE_CHUNK:
                        total += self._stage(stage, resolver, chunk, progress, total)
                total += self._stage(stage, resolver, chunk, progress, total)
                duplicate = stage.first_duplicate()
                if duplicate is not None:
                    first, again, day = duplicate
                    raise _row_error(
                        RegisterErrorCode.DUPLICATE_ROW,
                        source,
                        again,
                        "date",
                        day,
                        f"this record repeats line {first} (same org, date, kind, topic and "
                        "lecturer); remove one of them or give them different topics",
                    )
                existing = stage.count_existing()
                stage.merge(existing)
                bump_revision(conn)
                if total >= _ANALYZE_AFTER:
                    bulk.analyze(conn, "meeting", "attendance")
            finally:
                stage.drop()
        return ImportResult("meetings", total, total - existing, existing)

    @staticmethod
    def _stage(
        stage: bulk.Stage,
        resolver: _MeetingResolver,
        chunk: list[tuple[int, Meeting]],
        progress: Callable[[int], None] | None,
        done: int,
    ) -> int:
        """Validate and stage one chunk of records; returns how many it held."""
        rows, attendance = resolver.rows(chunk)
        stage.write("meeting_stage", bulk.STAGE_COLUMNS, rows)
        stage.write("attendance_stage", ("org", "month", "day", "key", "member_id"), attendance)
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


def _rows(conn: Connection, statement: Any) -> list[Any]:
    """All rows of a statement; the tables are untyped, so rows are ``Any`` at this boundary."""
    result: list[Any] = list(conn.execute(statement))
    return result


def _ensure_kinds(conn: Connection, catalog: KindCatalog, used: set[str]) -> dict[str, int]:
    rows = _rows(conn, select(KIND_TABLE.c.id, KIND_TABLE.c.bit))
    bits = {str(k): int(b) for k, b in rows}
    for kind_id in sorted(used - set(bits)):
        bit = max(bits.values(), default=-1) + 1
        if bit > 62:
            raise RegisterError(
                "meeting_kind",
                "more than 63 meeting kinds are not supported",
                code=RegisterErrorCode.TOO_MANY_KINDS,
            )
        name = catalog.get(kind_id).name if kind_id in catalog else kind_id
        conn.execute(insert(KIND_TABLE).values(id=kind_id, bit=bit, name=name))
        bits[kind_id] = bit
    return bits


class _MeetingResolver:
    """Turns records into staging rows, checking orgs, kinds and attendees a chunk at a time.

    Each chunk looks up only the org codes and attendee entries it names that earlier chunks
    have not, so a one-row file reads two rows of the province and a big file a few batches.
    """

    def __init__(self, conn: Connection, source: _Source, catalog: KindCatalog) -> None:
        self.conn = conn
        self.source = source
        self.catalog = catalog
        self.bits: dict[str, int] = {}
        self.masks: dict[frozenset[str], int] = {}
        self.orgs: set[str] = set()
        self.member_ids: set[str] = set()
        self.by_name: dict[str, list[tuple[str, str, str]]] = {}
        self.names_looked_up: set[str] = set()

    def rows(
        self, chunk: list[tuple[int, Meeting]]
    ) -> tuple[list[bulk.StageRow], list[bulk.AttendanceRow]]:
        self._look_up(chunk)
        rows: list[bulk.StageRow] = []
        attendance: list[bulk.AttendanceRow] = []
        for line, meeting in chunk:
            if meeting.org not in self.orgs:
                raise _row_error(
                    RegisterErrorCode.UNKNOWN_ORG,
                    self.source,
                    line,
                    "org",
                    meeting.org,
                    "no organisation by this code is registered; import the orgs file "
                    "first or correct the code",
                )
            mask = self.masks.get(meeting.kinds)
            if mask is None:
                mask = self.masks[meeting.kinds] = sum(1 << self.bits[k] for k in meeting.kinds)
            key = record_key(meeting)
            month = month_index(meeting.date)
            rows.append(
                (
                    line,
                    key,
                    meeting.org,
                    mask,
                    meeting.date,
                    month,
                    meeting.expected,
                    meeting.attended,
                    meeting.lecturer,
                    meeting.topic,
                    meeting.recorded,
                )
            )
            for attendee in meeting.attendees:
                member_id = (
                    attendee
                    if attendee in self.member_ids
                    else _attendee_id(self.source, line, meeting, attendee, self.by_name)
                )
                attendance.append((meeting.org, month, meeting.date, key, member_id))
        return rows, attendance

    def _look_up(self, chunk: list[tuple[int, Meeting]]) -> None:
        kinds = {k for _, m in chunk for k in m.kinds} - self.bits.keys()
        if kinds:
            self.bits = _ensure_kinds(self.conn, self.catalog, kinds)
        orgs = {m.org for _, m in chunk} - self.orgs
        self.orgs |= _existing(self.conn, ORG_TABLE.c.code, orgs)
        entries = {a for _, m in chunk for a in m.attendees} - self.member_ids
        entries -= self.names_looked_up
        found = _existing(self.conn, MEMBER_TABLE.c.id, entries)
        self.member_ids |= found
        # Attendance lists written with names instead of ids are resolved per meeting.
        names = entries - found
        self.by_name.update(_members_by_name(self.conn, names))
        self.names_looked_up |= names


def _existing(conn: Connection, column: Any, values: set[str]) -> set[str]:
    """Which of ``values`` the column holds."""
    found: set[str] = set()
    for chunk in _chunks(sorted(values), _CHUNK):
        found.update(str(row[0]) for row in _rows(conn, select(column).where(column.in_(chunk))))
    return found


def _org_tree(conn: Connection) -> dict[str, tuple[OrgType, str | None]]:
    """Every registered org's type and parent, for validating an import against them."""
    rows = _rows(conn, select(ORG_TABLE.c.code, ORG_TABLE.c.type, ORG_TABLE.c.parent))
    return {str(code): (OrgType(kind), parent) for code, kind, parent in rows}


def _check_parent(
    parsed: Parsed[Org], org: Org, line: int, known: dict[str, tuple[OrgType, str | None]]
) -> None:
    allowed = ALLOWED_PARENTS[org.type]
    if org.parent is None:
        if None not in allowed:
            raise _row_error(
                RegisterErrorCode.MISSING_PARENT,
                parsed,
                line,
                "parent",
                "",
                f"a {ORG_TYPE_ZH[org.type]} needs a parent org code (its 党支部)",
            )
        return
    if org.parent not in known:
        raise _row_error(
            RegisterErrorCode.UNKNOWN_ORG,
            parsed,
            line,
            "parent",
            org.parent,
            "no organisation by this code is in the file or already registered",
        )
    parent_type = known[org.parent][0]
    if parent_type not in allowed:
        raise _row_error(
            RegisterErrorCode.WRONG_PARENT_TYPE,
            parsed,
            line,
            "parent",
            org.parent,
            f"a {ORG_TYPE_ZH[org.type]} cannot belong to a {ORG_TYPE_ZH[parent_type]}; "
            f"allowed parents: {', '.join(ORG_TYPE_ZH[t] for t in allowed if t is not None)}",
        )
    seen = {org.code}
    current: str | None = org.parent
    while current is not None:
        if current in seen:
            raise _row_error(
                RegisterErrorCode.PARENT_LOOP,
                parsed,
                line,
                "parent",
                org.parent,
                "the parent chain loops back to this org",
            )
        seen.add(current)
        current = known.get(current, (None, None))[1]


def _members_by_name(conn: Connection, names: set[str]) -> dict[str, list[tuple[str, str, str]]]:
    """(id, branch, group) of the members bearing each of ``names``."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    columns = (MEMBER_TABLE.c.name, MEMBER_TABLE.c.id, MEMBER_TABLE.c.org, MEMBER_TABLE.c.grp)
    for chunk in _chunks(sorted(names), _CHUNK):
        for name, member_id, org, group in _rows(
            conn, select(*columns).where(MEMBER_TABLE.c.name.in_(chunk))
        ):
            found.setdefault(str(name), []).append((str(member_id), str(org), str(group)))
    return found


def _attendee_id(
    parsed: _Source,
    line: int,
    meeting: Meeting,
    attendee: str,
    by_name: dict[str, list[tuple[str, str, str]]],
) -> str:
    """The id of the member an attendance list names, who must belong to the meeting's org."""
    candidates = [m for m, org, group in by_name.get(attendee, []) if meeting.org in (org, group)]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        problem = (
            f"{len(candidates)} members of {meeting.org} bear this name "
            f"({', '.join(candidates)}); list them by member id"
        )
    else:
        problem = (
            "no member by this id (or by this name in the meeting's org) is registered; "
            "import the members file first or correct the entry"
        )
    raise _row_error(
        RegisterErrorCode.UNKNOWN_ATTENDEE, parsed, line, "attendees", attendee, problem
    )


def _groups_by_name(conn: Connection) -> dict[tuple[str, str], list[str]]:
    """Party-group codes by (branch code, group name)."""
    query = select(ORG_TABLE.c.code, ORG_TABLE.c.name, ORG_TABLE.c.parent).where(
        ORG_TABLE.c.type == OrgType.GROUP.value
    )
    found: dict[tuple[str, str], list[str]] = {}
    for code, name, parent in _rows(conn, query):
        found.setdefault((str(parent), str(name)), []).append(str(code))
    return found


def _with_group_code(member: Member, by_name: dict[tuple[str, str], list[str]]) -> Member:
    """The member with its group given by code, when the register named a group of its branch."""
    if member.group is None:
        return member
    codes = by_name.get((member.org, member.group), [])
    if len(codes) != 1:
        return member  # unknown or ambiguous: validation reports it
    return dataclasses.replace(member, group=codes[0])


def _check_member(
    parsed: Parsed[Member], member: Member, line: int, orgs: dict[str, tuple[OrgType, str | None]]
) -> Member:
    org = orgs.get(member.org)
    if org is None:
        raise _row_error(
            RegisterErrorCode.UNKNOWN_ORG,
            parsed,
            line,
            "org",
            member.org,
            "no organisation by this code is registered; import the orgs file first",
        )
    if org[0] is not OrgType.BRANCH:
        raise _row_error(
            RegisterErrorCode.NOT_A_BRANCH,
            parsed,
            line,
            "org",
            member.org,
            f"a member belongs to a 党支部, but this org is a {ORG_TYPE_ZH[org[0]]}",
        )
    if member.group is not None:
        group = orgs.get(member.group)
        if group is None or group[0] is not OrgType.GROUP:
            raise _row_error(
                RegisterErrorCode.UNKNOWN_GROUP,
                parsed,
                line,
                "group",
                member.group,
                "no 党小组 by this code (or by this name in the member's branch) is registered",
            )
        if group[1] != member.org:
            raise _row_error(
                RegisterErrorCode.FOREIGN_GROUP,
                parsed,
                line,
                "group",
                member.group,
                f"this 党小组 belongs to {group[1]}, not to the member's branch {member.org}",
            )
    return member


def _row_error(
    code: RegisterErrorCode,
    parsed: _Source,
    line: int,
    column: str,
    value: object,
    message: str,
) -> RegisterError:
    return RegisterError(
        parsed.path,
        message,
        code=code,
        line=line,
        column=parsed.columns.get(column, column),
        value=value,
    )


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _org(row: Any) -> Org:
    return Org(
        code=row.code,
        name=row.name,
        type=OrgType(row.type),
        parent=row.parent,
        founded=row.founded,
        party_day=row.party_day,
        has_committee=row.has_committee,
        party_time=_party_time(row.party_time),
    )


def _org_row(org: Org) -> dict[str, Any]:
    return {
        "code": org.code,
        "name": org.name,
        "type": org.type.value,
        "parent": org.parent,
        "founded": org.founded,
        "party_day": org.party_day,
        "has_committee": org.has_committee,
        "party_time": _party_time_text(org.party_time),
    }


def _party_time(text: str | None) -> tuple[dt.time, dt.time] | None:
    """An org's stored ``HH:MM-HH:MM`` as (start, end)."""
    if not text:
        return None
    start, end = text.split("-")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def _party_time_text(span: tuple[dt.time, dt.time] | None) -> str | None:
    """(start, end) as stored: ``HH:MM-HH:MM``."""
    if span is None:
        return None
    start, end = span
    return f"{start:%H:%M}-{end:%H:%M}"


def _member(row: Any) -> Member:
    return Member(
        id=row.id,
        name=row.name,
        org=row.org,
        group=row.grp,
        role=Role(row.role),
        joined=row.joined,
        status=MemberStatus(row.status),
        leader=bool(row.leader),
    )


def _member_row(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.name,
        "org": member.org,
        "grp": member.group,
        "role": member.role.value,
        "joined": member.joined,
        "status": member.status.value,
        "leader": member.leader,
    }


def _meeting(row: Any, bits: dict[str, int], attendees: Sequence[str]) -> Meeting:
    return Meeting(
        org=row.org,
        kinds=frozenset(k for k, b in bits.items() if row.kinds & (1 << b)),
        date=row.day,
        expected=row.expected,
        attended=row.attended,
        lecturer=row.lecturer,
        topic=row.topic,
        attendees=tuple(attendees),
        recorded=row.recorded,
        id=row.id,
    )
