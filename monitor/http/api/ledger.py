"""``/api/v1/ledger``: the problem ledger (问题台账) inside the caller's scope.

* ``GET /ledger`` lists items as `orglife ledger list --format json` does, each with today's
  warning colour (三色预警); ``GET /ledger/{id}`` one item, ``/ledger/{id}/history`` its trail.
* ``POST /ledger`` adds an item found on site (inspector, admin); ``POST /ledger/{id}/rectify``
  records a rectification (the secretary of the item's org, inspector, admin);
  ``POST /ledger/{id}/clear`` clears it and ``POST /ledger/{id}/return`` sends its
  rectification back (退回; inspector, admin). The trail names the caller
  (``user:<name>``); a change the item's state does not allow is 409.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query

from monitor.accounts.model import Action
from monitor.alerts.store import drop_settled
from monitor.core.errors import OrglifeError, UnknownOrgError
from monitor.core.limits import EARLIEST_DATE, latest_date
from monitor.core.periods import Period
from monitor.http.api.models import (
    MAX_ID,
    ClearIn,
    Code,
    LedgerEventOut,
    LedgerItemIn,
    LedgerItemOut,
    RectifyIn,
    ReturnIn,
)
from monitor.http.api.scoping import COMMON, CONFLICT, codes_in_scope, org_in_scope, refused
from monitor.http.auth import Caller, Reader, require
from monitor.http.deps import AppState, StateDep
from monitor.http.problems import not_found
from monitor.ledger.model import ACTION_LABELS, LedgerError, LedgerItem, LedgerStatus
from monitor.ledger.store import LedgerStore
from monitor.ledger.view import coloured, item_json, item_names

router = APIRouter(prefix="/ledger", tags=["问题台账"], responses=COMMON)

Manager = Annotated[Caller, Depends(require(Action.MANAGE_LEDGER))]
Rectifier = Annotated[Caller, Depends(require(Action.RECTIFY))]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="The item's id.")]


async def _item(who: Caller, app: AppState, item_id: int) -> LedgerItem:
    """The item, when it exists and its org lies in the caller's scope; else the uniform 404."""
    try:
        item = await asyncio.to_thread(LedgerStore(app.store).item, item_id)
    except LedgerError:
        raise not_found() from None
    who.check(item.org)
    return item


async def _one(app: AppState, item: LedgerItem) -> dict[str, Any]:
    """``item`` as JSON, with its colour today (judged among the items of its org)."""

    def read() -> dict[str, Any]:
        _, colours = coloured(
            app.store, [item.org], None, today=app.today(), escalation=app.pack.escalation
        )
        orgs, members = item_names(app.store, [item])
        return item_json(item, orgs, members, colours.get(item.id))

    return await asyncio.to_thread(read)


@router.get("", response_model=list[LedgerItemOut])
async def list_items(
    who: Reader,
    app: StateDep,
    org: Annotated[
        Code | None, Query(description="This org and its subtree (default: the whole scope).")
    ] = None,
    status: Annotated[LedgerStatus | None, Query(description="Only items in this state.")] = None,
) -> list[dict[str, Any]]:
    """The items in scope, oldest first, with their warning colour today (三色预警)."""
    codes = await codes_in_scope(who, app.store, org)

    def read() -> list[dict[str, Any]]:
        items, colours = coloured(
            app.store, codes, status, today=app.today(), escalation=app.pack.escalation
        )
        orgs, members = item_names(app.store, items)
        return [item_json(i, orgs, members, colours.get(i.id)) for i in items]

    return await asyncio.to_thread(read)


@router.get("/{id}", response_model=LedgerItemOut)
async def get_item(id: ItemId, who: Reader, app: StateDep) -> dict[str, Any]:
    """One item, with its warning colour today."""
    return await _one(app, await _item(who, app, id))


@router.get("/{id}/history", response_model=list[LedgerEventOut])
async def get_history(id: ItemId, who: Reader, app: StateDep) -> list[LedgerEventOut]:
    """The item's audit trail, oldest first: who changed what, and when."""
    item = await _item(who, app, id)
    events = await asyncio.to_thread(LedgerStore(app.store).events, item.id)
    return [
        LedgerEventOut(
            item=e.item,
            at=e.at,
            actor=e.actor,
            action=e.action,
            action_zh=ACTION_LABELS.get(e.action, e.action),
            from_status=e.from_status,
            to_status=e.to_status,
            note=e.note,
        )
        for e in events
    ]


@router.post("", status_code=201, response_model=LedgerItemOut, responses=CONFLICT)
async def add_item(body: LedgerItemIn, who: Manager, app: StateDep) -> dict[str, Any]:
    """Add a problem found on site (明察暗访), as `orglife ledger add` does."""
    return await _one(app, await add_on_site(body, who, app))


async def add_on_site(body: LedgerItemIn, who: Caller, app: AppState) -> LedgerItem:
    """Add a problem found on site, checked as `orglife ledger add` checks it (the API and the
    ledger page's form share it); a refusal is an :class:`ApiError` naming the field."""
    await org_in_scope(who, app.store, body.org)
    rule = body.rule.strip() if body.rule is not None else None
    if rule is not None:
        known = [r.id for r in app.pack.rules]
        if rule not in known:
            raise refused(f"现行规则中没有“{rule}”，可用的规则有：{'、'.join(known)}", "rule")
    period = None
    if body.period is not None:
        try:
            parsed = Period.parse(body.period)
        except OrglifeError as exc:
            raise refused(exc, "period") from None
        latest = latest_date(app.today())
        if not EARLIEST_DATE <= parsed.start <= latest:
            raise refused(
                f"期间 {body.period} 超出范围：应在 1921 年到 {latest:%Y-%m} 之间", "period"
            )
        period = parsed.label
    member = body.member.strip() if body.member is not None else None
    if member is not None:
        # A member outside the scope is refused as one that does not exist.
        found = await asyncio.to_thread(app.store.member, member)
        if found is None or found.org not in who.scope:
            raise refused(
                f"党员台账中没有编号为“{member}”的党员：请核对编号，"
                "或先用 orglife import members 导入党员",
                "member",
            )
    today = body.found or app.today()
    if today > app.today():
        raise refused(f"发现日期{today}晚于今天（{app.today()}），请给出今天或以前的日期", "found")
    try:
        return await asyncio.to_thread(
            LedgerStore(app.store).add,
            body.org,
            body.issue,
            by=who.actor,
            today=today,
            now=app.clock(),
            rule=rule,
            period=period,
            member=member,
            deadline=body.deadline,
        )
    except UnknownOrgError:
        raise not_found() from None
    except LedgerError as exc:
        if not body.issue.strip():
            raise refused(exc, "issue") from None
        if body.deadline is not None and body.deadline < today:
            raise refused(exc, "deadline") from None
        raise refused(exc, "member") from None


@router.post("/{id}/rectify", response_model=LedgerItemOut, responses=CONFLICT)
async def rectify_item(
    id: ItemId, body: RectifyIn, who: Rectifier, app: StateDep
) -> dict[str, Any]:
    """Record what was done (补开会议 / 书面说明): the item moves to 整改中 and its pending
    repeats stop."""
    item = await _item(who, app, id)
    try:
        done = await asyncio.to_thread(
            LedgerStore(app.store).rectify, item.id, body.note, by=who.actor, now=app.clock()
        )
    except LedgerError as exc:
        if not body.note.strip():
            raise refused(exc, "note") from None
        raise refused(exc, None, 409) from None
    await asyncio.to_thread(drop_settled, app.store, [done], now=app.clock())
    return await _one(app, done)


@router.post("/{id}/clear", response_model=LedgerItemOut, responses=CONFLICT)
async def clear_item(
    id: ItemId,
    who: Manager,
    app: StateDep,
    body: Annotated[ClearIn | None, Body()] = None,
) -> dict[str, Any]:
    """Clear (销号) a rectified item once verified; its pending repeats stop."""
    item = await _item(who, app, id)
    try:
        done = await asyncio.to_thread(
            LedgerStore(app.store).clear,
            item.id,
            by=who.actor,
            today=app.today(),
            now=app.clock(),
            note=body.note if body is not None else None,
        )
    except LedgerError as exc:
        raise refused(exc, None, 409) from None
    await asyncio.to_thread(drop_settled, app.store, [done], now=app.clock())
    return await _one(app, done)


@router.post("/{id}/return", response_model=LedgerItemOut, responses=CONFLICT)
async def return_item(id: ItemId, body: ReturnIn, who: Manager, app: StateDep) -> dict[str, Any]:
    """Send a rectification back (退回): the item is open again, or overdue past its deadline."""
    item = await _item(who, app, id)
    try:
        done = await asyncio.to_thread(
            LedgerStore(app.store).send_back,
            item.id,
            body.note,
            by=who.actor,
            today=app.today(),
            now=app.clock(),
        )
    except LedgerError as exc:
        if not body.note.strip():
            raise refused(exc, "note") from None
        raise refused(exc, None, 409) from None
    return await _one(app, done)
