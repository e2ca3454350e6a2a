"""An org's page: ``/org/{code}`` leads to the branch's page (``/branch/{code}``) or the
dashboard (``/dashboard/{code}``, :mod:`.dashboard`); the branch's page shows this year's statuses
of each branch in view × rule.

An org outside the caller's scope is the same 404 page as one that does not exist.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from starlette.responses import Response

from monitor.accounts.model import Scope
from monitor.check import Check, run_check
from monitor.core.domain import Finding, Org, OrgType, Status
from monitor.core.errors import UnknownOrgError
from monitor.core.explain import STATUS_ZH
from monitor.core.rules import RulePack
from monitor.http.deps import AppState, StateDep
from monitor.http.html import redirect
from monitor.http.pages.common import (
    ORG_TYPE_ZH,
    not_found,
    org_url,
    show,
    signed_in,
    to_login,
)
from monitor.text.render import md_zh, ymd_zh

SHOWN = (Status.HELD, Status.MISSED, Status.OPEN, Status.EXEMPT)  # in this order

router = APIRouter(include_in_schema=False)


# --- an org's page ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One subject (the branch or one of its groups) × rule: its latest period's status."""

    subject: str  # the org's name
    rule: str  # the rule's name
    period: str  # e.g. 2026年11月
    deadline: str  # 11月30日; with the year when it is not the current one (2027年3月31日)
    status: Status
    status_zh: str


@dataclass(slots=True)
class BranchView:
    org: Org
    rows: list[Row] = field(default_factory=list)
    counts: Counter[Status] = field(default_factory=Counter)

    def tallies(self) -> list[tuple[Status, str, int]]:
        return [(s, STATUS_ZH[s], self.counts[s]) for s in SHOWN]


@dataclass(frozen=True, slots=True)
class OrgView:
    """What the org page shows, computed here so the template only lays it out."""

    org: Org
    type_zh: str
    parent: Org | None
    children: list[Org]
    branches: list[BranchView]
    totals: list[tuple[Status, str, int]]
    since: dt.date
    as_of: dt.date


def _branch_of(code: str, orgs: dict[str, Org]) -> str | None:
    """The branch ``code`` is (or whose group it is); None above branches."""
    org = orgs.get(code)
    while org is not None:
        if org.type is OrgType.BRANCH:
            return org.code
        if org.type is not OrgType.GROUP or org.parent is None:
            return None
        org = orgs.get(org.parent)
    return None


def _day_zh(day: dt.date, today: dt.date) -> str:
    return md_zh(day) if day.year == today.year else ymd_zh(day)


def org_view(check: Check, pack: RulePack, code: str, scope: Scope, parent: Org | None) -> OrgView:
    """The page of ``code`` from the evaluation of its subtree."""
    orgs = dict(check.registers.orgs)
    org = orgs[code]
    in_view = [o for o in orgs.values() if o.type is OrgType.BRANCH and o.code in scope]
    views = {o.code: BranchView(o) for o in sorted(in_view, key=lambda o: o.code)}
    latest: dict[tuple[str, str], Finding] = {}
    for finding in check.findings:
        if finding.member is not None or finding.status not in SHOWN:
            continue
        branch = _branch_of(finding.org, orgs)
        if branch not in views or finding.org not in scope:
            continue
        views[branch].counts[finding.status] += 1
        key = (finding.org, finding.rule)
        if key not in latest or finding.period.start > latest[key].period.start:
            latest[key] = finding
    for (subject, _), finding in sorted(latest.items()):
        rule = pack.rule(finding.rule)
        branch = _branch_of(subject, orgs)
        assert branch is not None
        views[branch].rows.append(
            Row(
                subject=orgs[subject].name,
                rule=rule.name,
                period=finding.period.label_zh,
                deadline=_day_zh(rule.deadline(finding.period), check.as_of),
                status=finding.status,
                status_zh=STATUS_ZH[finding.status],
            )
        )
    totals: Counter[Status] = Counter()
    for view in views.values():
        totals.update(view.counts)
    children = sorted(
        (o for o in orgs.values() if o.parent == code and o.code in scope),
        key=lambda o: o.code,
    )
    return OrgView(
        org=org,
        type_zh=ORG_TYPE_ZH[org.type],
        parent=parent if parent is not None and parent.code in scope else None,
        children=children,
        branches=list(views.values()),
        totals=[(s, STATUS_ZH[s], totals[s]) for s in SHOWN],
        since=check.since,
        as_of=check.as_of,
    )


@router.get("/org/{code}")
async def org_page(code: str, request: Request, app: StateDep) -> Response:
    """An org: on to its branch's page or its dashboard (404 outside the caller's scope)."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    if code not in who.scope:
        return not_found(who)
    try:
        org = await asyncio.to_thread(app.store.org, code)
    except UnknownOrgError:
        return not_found(who)
    return redirect(org_url(org))


async def statuses_page(code: str, request: Request, app: AppState) -> Response:
    """This year's statuses of each branch in ``code``'s subtree (404 outside the scope)."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    if code not in who.scope:
        return not_found(who)
    today = app.today()

    def build() -> OrgView | None:
        try:
            check = run_check(
                app.store, app.pack, as_of=today, since=dt.date(today.year, 1, 1), org=code
            )
        except UnknownOrgError:
            return None
        parent_code = check.registers.orgs[code].parent
        parent = app.store.orgs([parent_code])[0] if parent_code else None
        return org_view(check, app.pack, code, who.scope, parent)

    view = await asyncio.to_thread(build)
    if view is None:
        return not_found(who)
    return show(who, "org.html", view=view)


@router.get("/branch/{code}")
async def branch_page(code: str, request: Request, app: StateDep) -> Response:
    """A branch's page."""
    return await statuses_page(code, request, app)
