"""``/api/v1/orgs``: one org, and the orgs of its subtree, inside the caller's scope."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from monitor.core.domain import Org
from monitor.http.api.models import OrgOut
from monitor.http.auth import Reader
from monitor.http.deps import StoreDep
from monitor.http.problems import Problem, not_found

router = APIRouter(prefix="/orgs", tags=["组织"], responses={404: {"model": Problem}})


def org_out(org: Org) -> OrgOut:
    return OrgOut(
        code=org.code,
        name=org.name,
        type=org.type.value,
        parent=org.parent,
        founded=org.founded.isoformat() if org.founded else None,
        party_day=org.party_day,
    )


@router.get("/{code}", response_model=OrgOut)
async def get_org(code: str, who: Reader, db: StoreDep) -> OrgOut:
    """One org (404 outside the caller's scope)."""
    who.check(code)
    found = await asyncio.to_thread(db.orgs, [code])
    if not found:
        raise not_found()
    return org_out(found[0])


@router.get("/{code}/subtree", response_model=list[OrgOut])
async def get_subtree(code: str, who: Reader, db: StoreDep) -> list[OrgOut]:
    """The org and every org below it, by code."""
    who.check(code)
    codes = await asyncio.to_thread(db.subtree, code)
    found = await asyncio.to_thread(db.orgs, [c for c in codes if c in who.scope])
    return [org_out(o) for o in sorted(found, key=lambda o: o.code)]
