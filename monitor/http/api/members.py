"""``GET /api/v1/orgs/{code}/members``: an org's roster, inside the caller's scope.

A branch's roster is the members whose org is the branch; a party group's (党小组) is the
members of that group. The fields are the members register's columns (``orglife import
members``), leading cadres flagged with ``leader``. The ``/orgs`` prefix belongs to
:mod:`.orgs`, so this router has none and spells the whole path.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from monitor.core.domain import Member, OrgType
from monitor.http.auth import Reader
from monitor.http.deps import StoreDep
from monitor.http.problems import Problem, not_found
from monitor.store import Store

router = APIRouter(tags=["党员"], responses={404: {"model": Problem}})


class MemberOut(BaseModel):
    """A member as the members register holds them."""

    id: str = Field(description="党员编号")
    name: str = Field(description="姓名")
    org: str = Field(description="所在支部的组织编码")
    group: str | None = Field(description="所在党小组的组织编码")
    role: Literal["secretary", "deputy_secretary", "committee_member", "member"] = Field(
        description="党内职务：书记、副书记、委员、党员"
    )
    joined: str | None = Field(description="入党日期（YYYY-MM-DD）")
    status: Literal["full", "probationary"] = Field(description="正式党员或预备党员")
    leader: bool = Field(description="是否领导干部")


def member_out(member: Member) -> MemberOut:
    return MemberOut(
        id=member.id,
        name=member.name,
        org=member.org,
        group=member.group,
        role=member.role.value,
        joined=member.joined.isoformat() if member.joined else None,
        status=member.status.value,
        leader=member.leader,
    )


def roster(store: Store, code: str) -> list[Member] | None:
    """The members of org ``code`` (of its party group, for a group), by id; None when no
    such org is registered."""
    found = store.orgs([code])
    if not found:
        return None
    org = found[0]
    if org.type is OrgType.GROUP and org.parent is not None:
        return [m for m in store.members([org.parent]) if m.group == code]
    return store.members([code])


@router.get("/orgs/{code}/members", response_model=list[MemberOut])
async def list_members(code: str, who: Reader, db: StoreDep) -> list[MemberOut]:
    """The org's members, by id (404 outside the caller's scope)."""
    who.check(code)
    members = await asyncio.to_thread(roster, db, code)
    if members is None:
        raise not_found()
    return [member_out(m) for m in members]
