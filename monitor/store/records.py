"""Meeting records one at a time: list, edit, delete (soft), restore and their history.

Every change runs in one transaction with its audit event and moves the registers' revision. An
edit is checked as an import row is (the same reader checks and messages, then the store's
checks of org, kinds and attendees); it keeps the record's entry date and time and moves its
natural key. A deleted record keeps its row (``deleted_at``) and its trail, and stops counting.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from monitor.core.domain import Meeting
from monitor.core.errors import OrglifeError, RegisterError, RegisterErrorCode
from monitor.core.kinds import KindCatalog
from monitor.core.periods import Period
from monitor.registers.readers import meetings_from_rows
from monitor.store.audit import AuditEvent, diff, events, record_event
from monitor.store.bulk import lock_imports
from monitor.store.mappers import meeting_of
from monitor.store.moments import aware, utc
from monitor.store.revision import bump_revision
from monitor.store.sql import ATTENDANCE_TABLE, CHUNK, MEETING_TABLE, all_rows, chunks
from monitor.store.validation import MeetingResolver
from monitor.text import cli as msg

if TYPE_CHECKING:
    from monitor.store import Store

__all__ = [
    "Edit",
    "RecordError",
    "StoredRecord",
    "delete_record",
    "edit_record",
    "get_record",
    "history",
    "list_records",
    "orgs_dated_between",
    "restore_record",
]


class RecordError(OrglifeError):
    """A record cannot be found, or cannot be changed as asked."""

    def __init__(self, record_id: int, message: str) -> None:
        self.record_id = record_id
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as the registers hold it, deleted or not."""

    meeting: Meeting
    deleted_at: dt.datetime | None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class Edit:
    """What an edit sets, written as a register's cells are (None: unchanged; "" clears an
    optional field), so that the reader checks them as it checks an import row."""

    date: str | None = None
    kinds: tuple[str, ...] = ()
    expected: str | None = None
    attended: str | None = None
    topic: str | None = None
    lecturer: str | None = None
    attendees: str | None = None
    for_period: str | None = None


# Record fields as the trail and `meetings list` name them.
_FIELDS = ("date", "kinds", "expected", "attended", "lecturer", "topic", "attendees", "for_period")


def _fields(meeting: Meeting) -> dict[str, Any]:
    return {
        "date": meeting.date,
        "kinds": sorted(meeting.kinds),
        "expected": meeting.expected,
        "attended": meeting.attended,
        "lecturer": meeting.lecturer,
        "topic": meeting.topic,
        "attendees": list(meeting.attendees),
        "for_period": meeting.for_period,
    }


def _read(conn: Connection, bits: dict[str, int], rows: Sequence[Any]) -> list[StoredRecord]:
    attendees: dict[int, list[str]] = {}
    ids = [int(r.id) for r in rows]
    for part in chunks(ids, CHUNK):
        pairs = select(ATTENDANCE_TABLE.c.meeting_id, ATTENDANCE_TABLE.c.member_id).where(
            ATTENDANCE_TABLE.c.meeting_id.in_(part)
        )
        order = (ATTENDANCE_TABLE.c.meeting_id, ATTENDANCE_TABLE.c.member_id)
        for meeting_id, member_id in all_rows(conn, pairs.order_by(*order)):
            attendees.setdefault(int(meeting_id), []).append(str(member_id))
    return [
        StoredRecord(
            meeting_of(r, bits, attendees.get(int(r.id), ())),
            aware(r.deleted_at) if r.deleted_at is not None else None,
        )
        for r in rows
    ]


def list_records(
    store: Store,
    *,
    orgs: Iterable[str] | None = None,
    first: dt.date | None = None,
    last: dt.date | None = None,
    deleted: bool = False,
) -> list[StoredRecord]:
    """Records of ``orgs`` (all: None) held from ``first`` to ``last``, by date and id; deleted
    ones only with ``deleted``."""
    bits = store.kind_bits()
    query = select(MEETING_TABLE)
    if first is not None:
        query = query.where(MEETING_TABLE.c.day >= first)
    if last is not None:
        query = query.where(MEETING_TABLE.c.day <= last)
    if not deleted:
        query = query.where(MEETING_TABLE.c.deleted_at.is_(None))
    rows: list[Any] = []
    with store.engine.connect() as conn:
        if orgs is None:
            rows = all_rows(conn, query)
        else:
            for chunk in chunks(sorted(set(orgs)), CHUNK):
                rows += all_rows(conn, query.where(MEETING_TABLE.c.org.in_(chunk)))
        rows.sort(key=lambda r: (r.day, r.id))
        return _read(conn, bits, rows)


def _get(conn: Connection, bits: dict[str, int], record_id: int) -> StoredRecord:
    row = conn.execute(select(MEETING_TABLE).where(MEETING_TABLE.c.id == record_id)).first()
    if row is None:
        raise RecordError(record_id, msg.no_such_record(record_id=record_id))
    return _read(conn, bits, [row])[0]


def get_record(store: Store, record_id: int) -> StoredRecord:
    with store.engine.connect() as conn:
        return _get(conn, store.kind_bits(), record_id)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _edited(record: Meeting, edit: Edit, catalog: KindCatalog, today: dt.date) -> Meeting:
    """The record with ``edit`` applied, checked by the reader as an import row."""
    kinds = edit.kinds or tuple(
        catalog.get(k).name if k in catalog else k for k in sorted(record.kinds)
    )

    def pick(new: str | None, old: object) -> str:
        return _cell(old) if new is None else new

    row = {
        "组织编码": record.org,
        "会议类型": "+".join(kinds),
        "日期": pick(edit.date, record.date.isoformat()),
        "应到人数": pick(edit.expected, record.expected),
        "实到人数": pick(edit.attended, record.attended),
        "授课人": pick(edit.lecturer, record.lecturer),
        "主题": pick(edit.topic, record.topic),
        "参会人员": pick(edit.attendees, ";".join(record.attendees)),
    }
    source = msg.record_source(record_id=record.id or 0)
    try:
        parsed = meetings_from_rows([row], source=source, today=today, catalog=catalog)
    except RegisterError as exc:
        # The row is this record, not a line of a file: name the field, not line 2.
        raise RegisterError(
            exc.path, exc.reason, code=exc.code, column=exc.column, value=exc.value
        ) from None
    [checked] = parsed.records
    for_period = record.for_period
    if edit.for_period is not None:
        for_period = _period_label(source, edit.for_period, checked.date)
    return dataclasses.replace(
        checked,
        recorded=record.recorded,
        id=record.id,
        recorded_at=record.recorded_at,
        for_period=for_period,
    )


def _period_label(source: str, text: str, day: dt.date) -> str | None:
    """The period label an edit's --for-period gives ("" clears it); it must have begun by the
    meeting's date."""
    if not text.strip():
        return None
    try:
        period = Period.parse(text)
    except OrglifeError:
        raise RegisterError(
            source,
            msg.bad_period_label(),
            code=RegisterErrorCode.BAD_DATE,
            column="所属期间",
            value=text,
        ) from None
    if period.start > day:
        raise RegisterError(
            source,
            msg.period_after_meeting(period=period.label_zh, day=day),
            code=RegisterErrorCode.BAD_DATE,
            column="所属期间",
            value=text,
        )
    return period.label


def edit_record(
    store: Store,
    record_id: int,
    edit: Edit,
    *,
    catalog: KindCatalog,
    today: dt.date,
    now: dt.datetime,
    actor: str,
    reason: str,
) -> Meeting:
    """Change a record; returns it as stored. ``today`` bounds its date as an import's does."""
    with store.engine.begin() as conn:
        lock_imports(conn)
        before = _get(conn, store.kind_bits(), record_id)
        if before.deleted:
            raise RecordError(record_id, msg.record_is_deleted(record_id=record_id))
        after = _edited(before.meeting, edit, catalog, today)
        changes = diff(_fields(before.meeting), _fields(after))
        if not changes:
            return before.meeting
        source = MeetingSource(msg.record_source(record_id=record_id))
        resolver = MeetingResolver(conn, source, catalog)
        try:
            [staged] = resolver.rows([(0, after)])
        except RegisterError as exc:
            raise RegisterError(
                exc.path, exc.reason, code=exc.code, column=exc.column, value=exc.value
            ) from None
        _, key, org, kinds, day, month, expected, attended, lecturer, topic, _, fp, ids = staged
        clash = conn.execute(
            select(MEETING_TABLE.c.id).where(
                MEETING_TABLE.c.org == org,
                MEETING_TABLE.c.month == month,
                MEETING_TABLE.c.day == day,
                MEETING_TABLE.c.key == key,
                MEETING_TABLE.c.id != record_id,
            )
        ).scalar()
        if clash is not None:
            raise RecordError(record_id, msg.record_clash(record_id=record_id, other=int(clash)))
        conn.execute(
            update(MEETING_TABLE)
            .where(MEETING_TABLE.c.id == record_id)
            .values(
                key=key,
                kinds=kinds,
                day=day,
                month=month,
                expected=expected,
                attended=attended,
                lecturer=lecturer,
                topic=topic,
                for_period=fp,
            )
        )
        conn.execute(delete(ATTENDANCE_TABLE).where(ATTENDANCE_TABLE.c.meeting_id == record_id))
        members = sorted(json.loads(ids)) if ids else []
        if members:
            conn.execute(
                insert(ATTENDANCE_TABLE),
                [{"meeting_id": record_id, "member_id": m} for m in members],
            )
        record_event(
            conn,
            at=now,
            actor=actor,
            entity="meeting",
            entity_id=record_id,
            action="edited",
            reason=reason,
            changes=changes,
        )
        bump_revision(conn, orgs=[before.meeting.org])
        return _get(conn, store.kind_bits(), record_id).meeting


@dataclass(frozen=True, slots=True)
class MeetingSource:
    """What validation errors name when the row is a stored record rather than a file's line."""

    name: str

    @property
    def path(self) -> Path:
        return Path(self.name)

    @property
    def columns(self) -> dict[str, str]:
        return {
            "org": "组织编码",
            "kind": "会议类型",
            "date": "日期",
            "attendees": "参会人员",
            "for_period": "所属期间",
        }


def _set_deleted(
    store: Store,
    record_id: int,
    *,
    deleting: bool,
    now: dt.datetime,
    actor: str,
    reason: str,
) -> None:
    with store.engine.begin() as conn:
        lock_imports(conn)
        record = _get(conn, store.kind_bits(), record_id)
        if record.deleted == deleting:
            message = (
                msg.record_already_deleted(record_id=record_id)
                if deleting
                else msg.record_not_deleted(record_id=record_id)
            )
            raise RecordError(record_id, message)
        conn.execute(
            update(MEETING_TABLE)
            .where(MEETING_TABLE.c.id == record_id)
            .values(deleted_at=utc(now) if deleting else None)
        )
        record_event(
            conn,
            at=now,
            actor=actor,
            entity="meeting",
            entity_id=record_id,
            action="deleted" if deleting else "restored",
            reason=reason,
            changes={"deleted": [not deleting, deleting]},
        )
        bump_revision(conn, orgs=[record.meeting.org])


def delete_record(
    store: Store, record_id: int, *, now: dt.datetime, actor: str, reason: str
) -> None:
    """Mark a record deleted: it stops counting everywhere and keeps its trail."""
    _set_deleted(store, record_id, deleting=True, now=now, actor=actor, reason=reason)


def restore_record(
    store: Store, record_id: int, *, now: dt.datetime, actor: str, reason: str
) -> None:
    """Bring back a deleted record."""
    _set_deleted(store, record_id, deleting=False, now=now, actor=actor, reason=reason)


def history(store: Store, record_id: int) -> list[AuditEvent]:
    """The trail of one record, oldest first (an error if no such record)."""
    with store.engine.connect() as conn:
        _get(conn, store.kind_bits(), record_id)
        return events(conn, "meeting", record_id)


def orgs_dated_between(store: Store, after: dt.date, until: dt.date) -> frozenset[str]:
    """The orgs with live records dated after ``after`` up to ``until``: records an evaluation
    as of ``after`` left out (dated later) and one as of ``until`` counts."""
    query = (
        select(MEETING_TABLE.c.org)
        .where(
            MEETING_TABLE.c.day > after,
            MEETING_TABLE.c.day <= until,
            MEETING_TABLE.c.deleted_at.is_(None),
        )
        .distinct()
    )
    with store.engine.connect() as conn:
        rows: list[Any] = list(conn.execute(query).scalars())
    return frozenset(str(org) for org in rows)
