"""``/api/v1/exemptions``: periods excused (免于考核), inside the caller's scope.

Every reader lists those of the orgs in scope (as `orglife exemptions list --format json`);
inspectors and admins grant and revoke them (``Action.EXEMPTIONS``), with the same checks and
words as `orglife exemptions add|revoke`; the audit trail names the caller (``user:<name>``).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from monitor.accounts.model import Action
from monitor.core.domain import Org
from monitor.core.errors import OrglifeError
from monitor.core.periods import Period
from monitor.core.rules import Rule
from monitor.http.api.models import MAX_ID, Code, ExemptionIn, ExemptionOut, RevokeIn
from monitor.http.api.scoping import (
    COMMON,
    CONFLICT,
    codes_in_scope,
    org_in_scope,
    refused,
    scope_codes,
)
from monitor.http.auth import Caller, Reader, require
from monitor.http.deps import StateDep
from monitor.http.problems import ApiError, not_found
from monitor.store import Store
from monitor.store.exemptions import (
    REASON_LIMIT,
    Exemption,
    ExemptionError,
    add_exemption,
    exemptions,
    revoke_exemption,
)
from monitor.text import cli as msg

router = APIRouter(prefix="/exemptions", tags=["免于考核"], responses=COMMON)

Granter = Annotated[Caller, Depends(require(Action.EXEMPTIONS))]
ExemptionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The exemption's id.")]


@router.get("", response_model=list[ExemptionOut])
async def list_exemptions(
    who: Reader,
    app: StateDep,
    org: Annotated[
        Code | None, Query(description="This org and its subtree (default: the whole scope).")
    ] = None,
) -> list[dict[str, Any]]:
    """Every exemption in scope (active and revoked), oldest first."""
    codes = await codes_in_scope(who, app.store, org)
    found = await asyncio.to_thread(exemptions, app.store, codes)
    return [e.as_json() for e in found]


@router.post("", status_code=201, response_model=ExemptionOut, responses=CONFLICT)
async def grant_exemption(body: ExemptionIn, who: Granter, app: StateDep) -> dict[str, Any]:
    """Excuse one period of one rule for an org (or a leading cadre of it)."""
    org = await org_in_scope(who, app.store, body.org)
    try:
        rule = app.pack.rule(body.rule.strip())
    except KeyError:
        known = [r.id for r in app.pack.rules]
        raise refused(msg.unknown_rule(rule=body.rule, known=known), "rule") from None
    member = (body.member or "").strip()
    try:
        new_id = await asyncio.to_thread(
            add_exemption,
            app.store,
            org=org.code,
            rule=rule,
            period=body.period.strip(),
            reason=body.reason,
            by=who.actor,
            now=app.clock(),
            member=member,
        )
    except ExemptionError as exc:
        raise _refusal(exc, body, rule, org) from None
    return (await _in_scope(who, app.store, new_id)).as_json()


@router.post("/{id}/revoke", response_model=ExemptionOut, responses=CONFLICT)
async def revoke(id: ExemptionId, body: RevokeIn, who: Granter, app: StateDep) -> dict[str, Any]:
    """Revoke an exemption: its period is judged from the records again."""
    found = await _in_scope(who, app.store, id)
    if not found.active:
        raise refused(msg.exemption_already_revoked(id=found.id), None, 409)
    try:
        done = await asyncio.to_thread(
            revoke_exemption, app.store, found.id, reason=body.reason, by=who.actor, now=app.clock()
        )
    except ExemptionError as exc:
        if _bad_text(body.reason):
            raise refused(exc, "reason") from None
        raise refused(exc, None, 409) from None
    return done.as_json()


async def _in_scope(who: Caller, store: Store, exemption_id: int) -> Exemption:
    """The exemption, when it exists and its org lies in the scope; else the uniform 404."""
    found = await asyncio.to_thread(exemptions, store, scope_codes(who))
    for exemption in found:
        if exemption.id == exemption_id:
            return exemption
    raise not_found()


def _bad_text(value: str) -> bool:
    """Whether the store refuses ``value`` as a reason (blank, too long, control characters)."""
    value = value.strip()
    return (
        not value
        or len(value) > REASON_LIMIT
        or any(ord(c) < 32 and c not in "\t\n" for c in value)
    )


def _refusal(exc: OrglifeError, body: ExemptionIn, rule: Rule, org: Org) -> ApiError:
    """The store's refusal, naming the field it is about (checked in the store's order)."""
    if _bad_text(body.reason):
        return refused(exc, "reason")
    try:
        period = Period.parse(body.period.strip())
    except OrglifeError:
        return refused(exc, "period")
    if period.cadence is not rule.period:
        return refused(exc, "period")
    if rule.applies_to.is_member:
        if not (body.member or "").strip():
            return refused(exc, "member")
    elif rule.applies_to.value != org.type.value:
        return refused(exc, "org")
    return refused(exc, None, 409)  # the same period is already excused
