"""The inspector's dashboard: ``GET /dashboard/{code}`` (an org above branches; a branch's code
leads to its page) and ``GET /dashboard/{code}/evidence`` (one heat-map cell's finding, as a page
or, for htmx, the panel's fragment).

Open to every role whose scope holds the org (a secretary's scope is one branch, so they only
ever reach their branch's page); anything outside the scope is the one 404 page. The view-model
(:mod:`.dashboard_model`) comes from one evaluation of the subtree, cached per store by (org,
today) with the registers' revision it reflects (:mod:`.dashboard_cache`): after a change the
next request re-judges just the branches the change touched, and a restarted process starts
from the snapshot under the data directory. The problem ledger does not move the revision, so
its two counts are read per request (one query).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from dataclasses import dataclass

import structlog
from fastapi import APIRouter, Request
from starlette.responses import Response

from monitor.check import run_check
from monitor.core.domain import OrgType
from monitor.core.errors import OrglifeError, UnknownOrgError
from monitor.core.periods import Period
from monitor.core.rules import RulePack
from monitor.http.deps import AppState, StateDep
from monitor.http.html import redirect
from monitor.http.pages.common import not_found, org_url, show, signed_in, to_login
from monitor.http.pages.dashboard_cache import DashboardCache, cache_of, evaluate_subtree
from monitor.http.pages.dashboard_model import (
    MARK,
    STATE_ZH,
    TREND_MONTHS,
    Dashboard,
    EvidenceView,
    build_dashboard,
    evidence_view,
    months_of,
)
from monitor.http.state import data_dir_for
from monitor.ledger.store import LedgerStore
from monitor.reporting.summary import summarise
from monitor.store import Store
from monitor.store.records import list_records

router = APIRouter(include_in_schema=False)
log = structlog.get_logger(__name__)


def compute(store: Store, pack: RulePack, code: str, today: dt.date) -> Dashboard:
    """The dashboard of ``code`` as of ``today`` without any cache: one evaluation of the
    subtree, one read of the late-entered records, then the summaries of the two months and the
    view-model (pure). The reference the cache (:mod:`.dashboard_cache`) is tested against."""
    current, last = months_of(today)
    check, subtree, late = evaluate_subtree(store, pack, code, today)
    summaries = [
        summarise(check, pack, org=code, month=month, late_records=late, trend=TREND_MONTHS)
        for month in (current, last)
    ]
    return build_dashboard(
        check,
        pack,
        code=code,
        subtree=subtree,
        current=summaries[0],
        last=summaries[1],
        late=late,
    )


def dashboard_cache(app: AppState) -> DashboardCache:
    """The store's dashboard cache, its snapshots under the data directory."""
    root = app.data_dir or data_dir_for(app.store)
    return cache_of(app.store, root / "cache" / "dashboard")


def warm_dashboards(app: AppState) -> threading.Thread:
    """Bring the dashboards of the top-level orgs (those above branches without a parent) into
    the cache in a background thread, from their snapshots or else evaluated: the first
    inspector after a start need not wait for a province's evaluation."""

    def warm() -> None:
        try:
            today = app.today()
            cache = dashboard_cache(app)
            for org in app.store.orgs():
                if org.parent is None and org.type not in (OrgType.BRANCH, OrgType.GROUP):
                    cache.get(app.store, app.pack, org.code, today)
                    log.info("dashboard.warmed", org=org.code)
        except Exception as error:  # a warm-up is an optimisation: never fatal
            log.warning("dashboard.warm_failed", error=repr(error))

    thread = threading.Thread(target=warm, name="orglife-dashboard-warm", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True, slots=True)
class LedgerNow:
    """The subtree's problem ledger today: items not cleared, and those overdue among them."""

    outstanding: int
    overdue: int


def ledger_now(store: Store, codes: tuple[str, ...], today: dt.date) -> LedgerNow:
    outstanding, overdue = LedgerStore(store).outstanding(codes, today)
    return LedgerNow(outstanding, overdue)


@router.get("/dashboard/{code}")
async def dashboard_page(code: str, request: Request, app: StateDep) -> Response:
    """The dashboard of an org above branches (a branch's code: on to its page)."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    if code not in who.scope:
        return not_found(who)
    try:
        org = await asyncio.to_thread(app.store.org, code)
    except UnknownOrgError:
        return not_found(who)
    if org.type in (OrgType.BRANCH, OrgType.GROUP):
        return redirect(org_url(org))
    today = app.today()

    def build() -> tuple[Dashboard, LedgerNow, list[tuple[str, str]]]:
        view = dashboard_cache(app).get(app.store, app.pack, code, today)
        ledger = ledger_now(app.store, view.codes, today)
        crumbs = []
        parent = org.parent
        while parent is not None and parent in who.scope:
            above = app.store.org(parent)
            crumbs.append((above.name, org_url(above)))
            parent = above.parent
        return view, ledger, list(reversed(crumbs))

    view, ledger, crumbs = await asyncio.to_thread(build)
    return show(
        who,
        "dashboard.html",
        view=view,
        ledger=ledger,
        crumbs=crumbs,
        marks=MARK,
        states=STATE_ZH,
    )


@router.get("/dashboard/{code}/evidence")
async def evidence_page(code: str, request: Request, app: StateDep) -> Response:
    """One finding's evidence (``?org=…&rule=…&period=…``): the whole page, or with htmx
    (``HX-Request``) the panel's fragment. ``org`` must lie in ``code``'s subtree and the scope."""
    who = await signed_in(request, app)
    if who is None:
        return to_login(request)
    params = request.query_params
    target, rule_id, label = params.get("org", ""), params.get("rule", ""), params.get("period", "")
    if code not in who.scope or target not in who.scope:
        return not_found(who)
    if rule_id not in {rule.id for rule in app.pack.rules}:
        return not_found(who)
    try:
        period = Period.parse(label)
    except OrglifeError:
        return not_found(who)
    today = app.today()

    def build() -> EvidenceView | None:
        try:
            if target not in app.store.subtree(code):
                return None
            rule = app.pack.rule(rule_id)
            if period.cadence is not rule.period or period.start > today:
                return None
            check = run_check(
                app.store, app.pack, as_of=today, since=period.start, org=target, with_records=True
            )
        except OrglifeError:  # an unknown org, or a period further back than checks reach
            return None
        subjects = [c for c, o in check.registers.orgs.items() if c == target or o.parent == target]
        records = list_records(app.store, orgs=subjects, first=period.start, last=today)
        return evidence_view(
            check,
            app.pack,
            code=code,
            org=target,
            rule_id=rule_id,
            period=period,
            records=[r.meeting for r in records],
        )

    view = await asyncio.to_thread(build)
    if view is None:
        return not_found(who)
    fragment = request.headers.get("HX-Request") == "true"
    response = show(who, "evidence_panel.html" if fragment else "evidence.html", view=view)
    response.headers["Vary"] = "HX-Request"  # one URL, two bodies: the panel or the page
    return response
