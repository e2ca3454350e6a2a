"""The inspector's dashboard: ``GET /dashboard/{code}`` (an org above branches; a branch's code
leads to its page) and ``GET /dashboard/{code}/evidence`` (one heat-map cell's finding, as a page
or, for htmx, the panel's fragment).

Open to every role whose scope holds the org (a secretary's scope is one branch, so they only
ever reach their branch's page); anything outside the scope is the one 404 page. The view-model
(:mod:`.dashboard_model`) comes from one evaluation of the subtree and is cached per store, by
(org, today, the registers' revision): a record added, edited or imported moves the revision
and the next request evaluates again. The problem ledger does not move the revision, so its two
counts are read per request (one query).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from monitor.check import run_check
from monitor.core.domain import OrgType
from monitor.core.errors import OrglifeError, UnknownOrgError
from monitor.core.periods import Period
from monitor.core.rules import RulePack
from monitor.http.deps import StateDep
from monitor.http.html import redirect
from monitor.http.pages.common import not_found, org_url, show, signed_in, to_login
from monitor.http.pages.dashboard_model import (
    MARK,
    STATE_ZH,
    TREND_MONTHS,
    Dashboard,
    EvidenceView,
    build_dashboard,
    evidence_view,
    late_months,
    months_of,
    window_since,
)
from monitor.ledger.store import LedgerStore
from monitor.reporting.build import late_records
from monitor.reporting.summary import DEFAULT_LATE_DAYS, ledger_figures, summarise
from monitor.store import Store
from monitor.store.records import list_records

router = APIRouter(include_in_schema=False)

CACHE_SIZE = 64  # dashboards kept per store; a province's is a few hundred KB


def compute(store: Store, pack: RulePack, code: str, today: dt.date) -> Dashboard:
    """The dashboard of ``code`` as of ``today``: one evaluation of the subtree, one read of the
    late-entered records, then the summaries of the two months and the view-model (pure)."""
    current, last = months_of(today)
    check = run_check(
        store, pack, as_of=today, since=window_since(pack, today), org=code, with_records=True
    )
    subtree = store.subtree(code)
    late = late_records(
        store, subtree, late_months(pack, today), as_of=today, min_days=DEFAULT_LATE_DAYS
    )
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


class DashboardCache:
    """Dashboards by org code, each valid for one (today, revision); least recently used out."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[tuple[dt.date, int], Dashboard]] = OrderedDict()
        self._guard = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self.builds = 0  # dashboards computed (not served from the cache), for tests and benches

    def get(self, store: Store, pack: RulePack, code: str, today: dt.date) -> Dashboard:
        """The cached dashboard while today and the revision are unchanged; else computed (one
        build per org at a time: requests arriving together wait for it)."""
        with self._guard:
            lock = self._building.setdefault(code, threading.Lock())
        with lock:
            key = (today, store.revision())
            with self._guard:
                cached = self._items.get(code)
                if cached is not None and cached[0] == key:
                    self._items.move_to_end(code)
                    return cached[1]
            view = compute(store, pack, code, today)
            with self._guard:
                self.builds += 1
                self._items[code] = (key, view)
                self._items.move_to_end(code)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return view


_caches: weakref.WeakKeyDictionary[Store, DashboardCache] = weakref.WeakKeyDictionary()
_caches_guard = threading.Lock()


def cache_of(store: Store) -> DashboardCache:
    """The dashboard cache of ``store`` (one per store, gone with it)."""
    with _caches_guard:
        cache = _caches.get(store)
        if cache is None:
            cache = _caches[store] = DashboardCache()
        return cache


@dataclass(frozen=True, slots=True)
class LedgerNow:
    """The subtree's problem ledger today: items not cleared, and those overdue among them."""

    outstanding: int
    overdue: int


def ledger_now(store: Store, codes: tuple[str, ...], today: dt.date) -> LedgerNow:
    current, _ = months_of(today)
    figures = ledger_figures(LedgerStore(store).items(orgs=codes), current, today)
    return LedgerNow(figures.outstanding, figures.overdue)


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
        view = cache_of(app.store).get(app.store, app.pack, code, today)
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
