"""The audit trail of the registers: every change of a record, an org, a member or an exemption.

One table (``audit_event``) holds who changed what, when and why; ``changes`` maps each changed
field to ``[old, new]`` (JSON). Features write through :func:`record_event` (one event) or
:func:`record_events` (many, one statement); bulk imports insert their ``created`` events with
one ``INSERT … SELECT`` of their own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from monitor.store.moments import aware, utc
from monitor.store.sql import all_rows
from monitor.store.tables import AuditEventRow

__all__ = [
    "AUDIT_TABLE",
    "AuditEvent",
    "Changes",
    "diff",
    "events",
    "json_value",
    "record_event",
    "record_events",
]

AUDIT_TABLE = AuditEventRow.__table__  # type: ignore[attr-defined]

Changes = Mapping[str, tuple[Any, Any] | list[Any]]  # field → (old, new)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One change as the trail shows it; ``changes`` maps a field to ``[old, new]``."""

    id: int
    at: dt.datetime
    actor: str
    entity: str
    entity_id: str
    action: str
    reason: str | None
    changes: dict[str, list[Any]]


def json_value(value: Any) -> Any:
    """A field's value as the trail stores it: dates as ISO text, sets as sorted lists."""
    if isinstance(value, dt.datetime):
        return aware(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(json_value(v) for v in value)
    if isinstance(value, tuple | list):
        return [json_value(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # an enum
        return value.value
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The fields whose value differs, as ``{field: [old, new]}`` in JSON values."""
    changed: dict[str, list[Any]] = {}
    for field in after:
        old, new = json_value(before.get(field)), json_value(after[field])
        if old != new:
            changed[field] = [old, new]
    return changed


def _encode(changes: Changes | None) -> str | None:
    if not changes:
        return None
    return json.dumps(
        {k: [json_value(v) for v in pair] for k, pair in changes.items()},
        ensure_ascii=False,
        sort_keys=True,
    )


def _row(
    *,
    at: dt.datetime,
    actor: str,
    entity: str,
    entity_id: str | int,
    action: str,
    reason: str | None,
    changes: Changes | None,
) -> dict[str, Any]:
    return {
        "at": utc(at),
        "actor": actor,
        "entity": entity,
        "entity_id": str(entity_id),
        "action": action,
        "reason": reason,
        "changes": _encode(changes),
    }


def record_event(
    conn: Connection,
    *,
    at: dt.datetime,
    actor: str,
    entity: str,
    entity_id: str | int,
    action: str,
    reason: str | None = None,
    changes: Changes | None = None,
) -> None:
    """Write one event in the caller's transaction (``at`` timezone-aware)."""
    conn.execute(
        insert(AUDIT_TABLE),
        [
            _row(
                at=at,
                actor=actor,
                entity=entity,
                entity_id=entity_id,
                action=action,
                reason=reason,
                changes=changes,
            )
        ],
    )


def record_events(
    conn: Connection,
    *,
    at: dt.datetime,
    actor: str,
    entity: str,
    action_changes: Iterable[tuple[str | int, str, Changes | None]],
    reason: str | None = None,
) -> int:
    """Write many events of one kind of entity in one statement; returns how many.

    ``action_changes`` yields (entity id, action, changes).
    """
    rows = [
        _row(
            at=at,
            actor=actor,
            entity=entity,
            entity_id=entity_id,
            action=action,
            reason=reason,
            changes=changes,
        )
        for entity_id, action, changes in action_changes
    ]
    if rows:
        conn.execute(insert(AUDIT_TABLE), rows)
    return len(rows)


def events(conn: Connection, entity: str, entity_id: str | int) -> list[AuditEvent]:
    """The trail of one entity, oldest first."""
    query = (
        select(AUDIT_TABLE)
        .where(AUDIT_TABLE.c.entity == entity, AUDIT_TABLE.c.entity_id == str(entity_id))
        .order_by(AUDIT_TABLE.c.at, AUDIT_TABLE.c.id)
    )
    return [
        AuditEvent(
            id=int(r.id),
            at=aware(r.at),
            actor=str(r.actor),
            entity=str(r.entity),
            entity_id=str(r.entity_id),
            action=str(r.action),
            reason=r.reason,
            changes=json.loads(r.changes) if r.changes else {},
        )
        for r in all_rows(conn, query)
    ]
