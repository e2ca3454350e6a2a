"""The web pages (server-rendered Chinese, no script): ``/`` and ``/login`` (the form), and an
org's page ``/org/{code}`` with the findings of the current year for each branch in view.

The pages take the caller the API takes (:func:`monitor.http.auth.caller`, the session cookie)
and the same scope: an org outside it is the same 404 page as one that does not exist. Not
signed in, a page redirects to ``/login?next=…``. The routes stay out of the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from monitor.accounts.model import Scope
from monitor.check import Check, run_check
from monitor.core.domain import Finding, Org, OrgType, Status
from monitor.core.errors import UnknownOrgError
from monitor.core.explain import STATUS_ZH
from monitor.core.rules import RulePack
from monitor.http.auth import Caller, caller
from monitor.http.deps import AppState, StateDep
from monitor.http.html import home_of, page, redirect, safe_next
from monitor.http.problems import ApiError
from monitor.text.render import md_zh, ymd_zh

STATIC = Path(__file__).parent / "static"
SHOWN = (Status.HELD, Status.MISSED, Status.OPEN, Status.EXEMPT)  # in this order
ORG_TYPE_ZH = {
    OrgType.COMMITTEE: "党委",
    OrgType.GENERAL_BRANCH: "党总支",
    OrgType.BRANCH: "党支部",
    OrgType.GROUP: "党小组",
}

router = APIRouter(include_in_schema=False)


def mount_static(app: FastAPI) -> None:
    """The pages' CSS (and later script) at ``/static``, from the package."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


async def signed_in(request: Request, app: AppState) -> Caller | None:
    """The caller, or None when the request has no working credentials."""
    try:
        return await caller(request, app)
    except ApiError as exc:
        if exc.status == 401:
            return None
        raise


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/login?next={quote(target, safe='/')}")


@router.get("/")
async def index(request: Request, app: StateDep) -> Response:
    """The user's home, or the login form."""
    who = await signed_in(request, app)
    if who is None:
        return redirect("/login")
    return redirect(await asyncio.to_thread(home_of, who.user, app.store))


@router.get("/login")
async def login_form(request: Request, app: StateDep) -> Response:
    """The login form (``POST /login`` with ``username``, ``password`` and ``next``)."""
    return page(
        "login.html", error=None, username="", next=safe_next(request.query_params.get("next"))
    )


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
    """An org's page: its branches' findings this year (404 outside the caller's scope)."""
    who = await signed_in(request, app)
    if who is None:
        return _to_login(request)
    csrf = who.session.csrf if who.session is not None else None
    if code not in who.scope:
        return page("not_found.html", status=404, who=who, csrf=csrf)
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
        return page("not_found.html", status=404, who=who, csrf=csrf)
    return page("org.html", view=view, who=who, csrf=csrf)
