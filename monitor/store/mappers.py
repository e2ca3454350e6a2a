"""Row ↔ domain mappers of the register store: SQL rows to frozen domain objects and back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from monitor.core.domain import Meeting, Member, MemberStatus, Org, OrgType, Role
from monitor.store.moments import aware

__all__ = ["meeting_of", "member_of", "member_row", "org_of", "org_row"]


def org_of(row: Any) -> Org:
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


def org_row(org: Org) -> dict[str, Any]:
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


def member_of(row: Any) -> Member:
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


def member_row(member: Member) -> dict[str, Any]:
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


def meeting_of(row: Any, bits: dict[str, int], attendees: Sequence[str]) -> Meeting:
    """A meeting from its row, its kinds decoded from the bitmask by ``bits`` (kind → bit)."""
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
        recorded_at=aware(row.recorded_at) if row.recorded_at is not None else None,
        for_period=row.for_period,
    )
