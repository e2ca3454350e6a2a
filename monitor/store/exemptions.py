"""Exemptions (免于考核): periods an inspector excused for one org or leading cadre and rule.

An exemption is granted with a reason, by someone, at a time, and may be revoked (with a reason
too); a revoked exemption stays in the table and in the audit trail. Every change is written to
the audit trail in the same transaction. The evaluator receives the active ones as plain data
(:attr:`monitor.core.evaluator.Registers.exemptions`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from monitor.core.errors import OrglifeError, UnknownOrgError
from monitor.core.evaluator import ExemptionKey
from monitor.core.periods import Period
from monitor.core.rules import SUBJECT_ZH, Rule
from monitor.store import Store
from monitor.store.audit import record_event
from monitor.store.moments import aware, utc
from monitor.store.revision import bump_revision
from monitor.store.sql import CHUNK, ORG_TABLE, all_rows, chunks
from monitor.store.tables import AuditEventRow, ExemptionRow
from monitor.text import cli as msg

EXEMPTION_TABLE = ExemptionRow.__table__  # type: ignore[attr-defined]
AUDIT_TABLE = AuditEventRow.__table__  # type: ignore[attr-defined]
REASON_LIMIT = 2000  # characters of a reason


class ExemptionError(OrglifeError):
    """An exemption that cannot be granted or revoked as asked."""


@dataclass(frozen=True, slots=True)
class Exemption:
    id: int
    org: str
    member: str  # "" for the org's own rule
    rule: str
    period: str
    reason: str
    granted_by: str
    granted_at: dt.datetime
    revoked_by: str | None = None
    revoked_at: dt.datetime | None = None
    revoke_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "org": self.org,
            "member": self.member or None,
            "rule": self.rule,
            "period": self.period,
            "reason": self.reason,
            "by": self.granted_by,
            "at": self.granted_at.isoformat(),
            "active": self.active,
            "revoked_by": self.revoked_by,
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
            "revoke_reason": self.revoke_reason,
        }


def _of(row: Any) -> Exemption:
    return Exemption(
        id=int(row.id),
        org=str(row.org),
        member=str(row.member or ""),
        rule=str(row.rule),
        period=str(row.period),
        reason=str(row.reason),
        granted_by=str(row.granted_by),
        granted_at=aware(row.granted_at),
        revoked_by=row.revoked_by,
        revoked_at=None if row.revoked_at is None else aware(row.revoked_at),
        revoke_reason=row.revoke_reason,
    )


def _text(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise ExemptionError(msg.exemption_needs(what=what))
    if len(value) > limit:
        raise ExemptionError(msg.exemption_too_long(what=what, limit=limit))
    if any(ord(c) < 32 and c not in "\t\n" for c in value):
        raise ExemptionError(msg.exemption_control_chars(what=what))
    return value


def add_exemption(
    store: Store,
    *,
    org: str,
    rule: Rule,
    period: str,
    reason: str,
    by: str,
    now: dt.datetime,
    member: str = "",
) -> int:
    """Excuse ``period`` of ``rule`` for ``org`` (or a leading cadre); returns the new id."""
    reason = _text(reason, "原因（--reason）", REASON_LIMIT)
    by = _text(by, "操作人（--by）", 100)
    try:
        label = Period.parse(period)
    except OrglifeError:
        raise ExemptionError(msg.exemption_bad_period(period=period)) from None
    if label.cadence is not rule.period:
        raise ExemptionError(
            msg.exemption_wrong_cadence(period=period, rule=rule.id, cadence=rule.period.label_zh)
        )
    if rule.applies_to.is_member and not member:
        raise ExemptionError(msg.exemption_needs_member(rule=rule.id))
    with store.engine.begin() as conn:
        found = conn.execute(select(ORG_TABLE.c.type).where(ORG_TABLE.c.code == org)).first()
        if found is None:
            raise UnknownOrgError(org)
        if not rule.applies_to.is_member and rule.applies_to.value != found.type:
            raise ExemptionError(
                msg.exemption_wrong_subject(rule=rule.id, subject=SUBJECT_ZH[rule.applies_to])
            )
        same = conn.execute(
            select(EXEMPTION_TABLE.c.id).where(
                EXEMPTION_TABLE.c.org == org,
                EXEMPTION_TABLE.c.member == member,
                EXEMPTION_TABLE.c.rule == rule.id,
                EXEMPTION_TABLE.c.period == label.label,
                EXEMPTION_TABLE.c.revoked_at.is_(None),
            )
        ).first()
        if same is not None:
            raise ExemptionError(msg.exemption_exists(id=int(same.id)))
        values = {
            "org": org,
            "member": member,
            "rule": rule.id,
            "period": label.label,
            "reason": reason,
            "granted_by": by,
            "granted_at": utc(now),
        }
        new_id = int(
            conn.execute(
                insert(EXEMPTION_TABLE).values(**values).returning(EXEMPTION_TABLE.c.id)
            ).scalar_one()
        )
        changes = {k: [None, v] for k, v in values.items() if k not in ("granted_at", "reason")}
        record_event(
            conn,
            at=now,
            actor=by,
            entity="exemption",
            entity_id=str(new_id),
            action="created",
            reason=reason,
            changes=changes,
        )
        bump_revision(
            conn, orgs=[org]
        )  # the period is judged differently: cached verdicts are stale
    return new_id


def revoke_exemption(
    store: Store, exemption_id: int, *, reason: str, by: str, now: dt.datetime
) -> Exemption:
    """Revoke an active exemption: its period is judged again from the records."""
    reason = _text(reason, "原因（--reason）", REASON_LIMIT)
    by = _text(by, "操作人（--by）", 100)
    with store.engine.begin() as conn:
        row = conn.execute(
            select(EXEMPTION_TABLE).where(EXEMPTION_TABLE.c.id == exemption_id)
        ).first()
        if row is None:
            raise ExemptionError(msg.exemption_unknown(id=exemption_id))
        if row.revoked_at is not None:
            raise ExemptionError(msg.exemption_already_revoked(id=exemption_id))
        conn.execute(
            update(EXEMPTION_TABLE)
            .where(EXEMPTION_TABLE.c.id == exemption_id)
            .values(revoked_by=by, revoked_at=utc(now), revoke_reason=reason)
        )
        record_event(
            conn,
            at=now,
            actor=by,
            entity="exemption",
            entity_id=str(exemption_id),
            action="revoked",
            reason=reason,
            changes={"revoked": [False, True]},
        )
        bump_revision(conn, orgs=[str(row.org)])
        row = conn.execute(
            select(EXEMPTION_TABLE).where(EXEMPTION_TABLE.c.id == exemption_id)
        ).first()
    return _of(row)


def exemptions(
    store: Store, orgs: Collection[str] | None = None, *, active_only: bool = False
) -> list[Exemption]:
    """The exemptions of ``orgs`` (None: all), oldest first."""
    query = select(EXEMPTION_TABLE).order_by(EXEMPTION_TABLE.c.id)
    if active_only:
        query = query.where(EXEMPTION_TABLE.c.revoked_at.is_(None))
    with store.engine.connect() as conn:
        if orgs is None:
            return [_of(r) for r in all_rows(conn, query)]
        rows = []
        for chunk in chunks(sorted(set(orgs)), CHUNK):
            rows += all_rows(conn, query.where(EXEMPTION_TABLE.c.org.in_(chunk)))
    return sorted((_of(r) for r in rows), key=lambda e: e.id)


def active_exemptions(store: Store, orgs: Collection[str] | None = None) -> dict[ExemptionKey, str]:
    """What the evaluator needs: the reason of each excused (org, member, rule, period)."""
    return {
        (e.org, e.member, e.rule, e.period): e.reason
        for e in exemptions(store, orgs, active_only=True)
    }
