"""The dashboard's cache: the evaluation a dashboard is built from, digested branch by branch,
kept up to date incrementally, in memory and as a snapshot on disk.

A dashboard (:mod:`.dashboard_model`) is built from one evaluation of the org's subtree
(:func:`monitor.check.run_check`), the late-entered records of the subtree and the registers
judged. The cache keeps, per (org, today) and with the registers' revision they reflect, the
:class:`Pieces`: the registers, the late records, and for each *unit* (a branch with its party
groups, or an org above branches) a :class:`Digest` of its findings — what they add to the two
monthly summaries (:class:`monitor.reporting.summary.MonthCounts`, which add up) and the unit's
heat-map cells. Digests add up to the dashboard, so the view-model is rebuilt from them without
reading a single finding (~0.5 s for a 10,000-branch province, against ~2 s from the findings).

On a request at a newer revision the store's change log
(:meth:`monitor.store.Store.changed_orgs`) says which orgs changed; their units are re-judged
(one set-based evaluation of just those units' orgs and leading cadres,
``run_check(orgs=...)``), their late records and digests replaced, and the view-model rebuilt.
When anything may have changed (an org import, a setting), the log does not reach back, the
registers' beginning moved (the earliest record's month: it decides which periods are reported),
or more than :data:`INCREMENTAL_SHARE` of the branches changed, the subtree is evaluated in
full, as without a cache.

Why a unit can be re-judged alone: every finding names the org it judges (a leading cadre's
findings name the cadre's org), and what decides it lies within that org's unit:

* an org's own findings read the org's records (``meeting.org``), its members (the roster on
  committee days, the secretary who lectures, the roster standing in for a blank 应到人数), its
  exemptions and its founding date (inherited from above: only an org import changes that, and
  it logs "anything");
* a leading cadre's findings (双重组织生活) read the records of the cadre's branch and party
  group that list the cadre among the attendees, and the cadre's exemptions (keyed by the
  cadre's org). A cadre whose party group lies in another unit (a group moved by an org import
  after the fact) makes a change of that group reach the cadre's unit too:
  :func:`units_to_refresh` adds it.

The change log names each change's orgs: a record's org, an exemption's org, a member's org and
group before and after. Anything else (the tree, settings) logs "anything" and costs a full
evaluation. ``tests/test_dashboard_incremental.py`` checks after each kind of change (and along
a random sequence) that the incremental dashboard and its pieces equal a full evaluation's.

Snapshots: after a full evaluation (and at most every :data:`SNAPSHOT_EVERY` otherwise) the
pieces and the view-model are written, in the background, to
``<data dir>/cache/dashboard/<org>-<today>.{pieces,view}.pickle`` (each a temporary file, then
``os.replace``). A process with an empty cache serves the view when its revision is current
(reading the pieces in the background), else reads the pieces and brings them up to date like
the memory cache; only when the day, the rule pack (a fingerprint of the pack's repr), the
orglife version and :data:`SNAPSHOT_FORMAT` match. **Trust assumption**: the data directory is
the service's own, writable only by it (as for attachments); pickle runs code on load, so a
snapshot must never come from anywhere else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import re
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import structlog

from monitor import __version__
from monitor.check import Check, run_check
from monitor.core.domain import Finding, OrgType
from monitor.core.evaluator import FindingOrder, Registers, RosterCounts
from monitor.core.rules import RulePack
from monitor.http.pages.dashboard_model import (
    TREND_MONTHS,
    Dashboard,
    branch_of,
    build_dashboard,
    cell_states,
    columns_for,
    late_months,
    months_of,
    window_since,
)
from monitor.reporting.build import late_records
from monitor.reporting.summary import (
    DEFAULT_LATE_DAYS,
    Counted,
    MonthCounter,
    MonthCounts,
    RecordDates,
)
from monitor.store import Store
from monitor.store.settings import registers_begin

log = structlog.get_logger(__name__)

CACHE_SIZE = 64  # dashboards kept per store; a 10,000-branch province's pieces: ~12 MB pickled
INCREMENTAL_SHARE = 0.05  # more branches changed than this share: evaluate in full
SNAPSHOT_EVERY = 600.0  # seconds between snapshots of an org's pieces after incremental updates
SNAPSHOT_FORMAT = 1  # bump when Pieces or what it holds changes shape


@dataclass(frozen=True, slots=True)
class Digest:
    """What the findings of one unit (a branch with its party groups, or an org above
    branches, with their leading cadres) add to a dashboard: the counts of the two monthly
    summaries and the unit's heat-map cells. Units' digests add up to the subtree's."""

    current: MonthCounts
    last: MonthCounts
    states: dict[tuple[str, int], str]  # (branch, column) -> the cell's state


@dataclass(frozen=True, slots=True)
class Pieces:
    """What a dashboard is built from: one evaluation of ``code``'s subtree as of ``today``,
    reflecting the registers at ``revision``, digested unit by unit."""

    code: str
    today: dt.date
    revision: int
    since: dt.date  # the evaluation's window (as the Check has it)
    begin: dt.date | None  # when the registers began (periods ending before are not reported)
    registers: Registers
    digests: Mapping[str, Digest]  # by unit; a unit without findings has none
    late: Mapping[int, RecordDates]  # late-entered records of the subtree, by id
    subtree: tuple[str, ...]


class _Digester:
    """Digests findings unit by unit, for the pieces of one dashboard."""

    def __init__(
        self,
        pack: RulePack,
        today: dt.date,
        since: dt.date,
        registers: Registers,
        late: Mapping[int, RecordDates],
    ) -> None:
        self.pack = pack
        self.check = Check(today, since, registers, [])
        self.late = late
        self.counters = tuple(
            MonthCounter(self.check, pack, month=month, late_records=late, trend=TREND_MONTHS)
            for month in months_of(today)
        )
        self.columns = columns_for(pack, today)[1]
        self.branches = branch_of(registers.orgs)
        orgs = registers.orgs
        self.units = {code: unit_of(orgs, code) for code in orgs}

    def digest(self, findings: list[Finding]) -> Digest:
        current, last = (c.count(findings, with_rows=False) for c in self.counters)
        states = cell_states(
            findings, self.pack, self.branches, self.columns, self.late, DEFAULT_LATE_DAYS
        )
        return Digest(current, last, states)

    def by_unit(self, findings: Iterable[Finding]) -> dict[str, Digest]:
        grouped: dict[str, list[Finding]] = {}
        units = self.units
        for finding in findings:
            grouped.setdefault(units[finding.org], []).append(finding)
        return {unit: self.digest(mine) for unit, mine in grouped.items()}


def evaluate_subtree(
    store: Store, pack: RulePack, code: str, today: dt.date
) -> tuple[Check, list[str], dict[int, RecordDates]]:
    """One evaluation of ``code``'s subtree over the dashboard's window (record ids listed only
    for the months whose late entries it counts), the subtree's codes and its late-entered
    records."""
    months = late_months(pack, today)
    check = run_check(
        store,
        pack,
        as_of=today,
        since=window_since(pack, today),
        org=code,
        with_records=True,
        record_months=months,
    )
    subtree = store.subtree(code)
    late = late_records(store, subtree, months, as_of=today, min_days=DEFAULT_LATE_DAYS)
    return check, subtree, late


def evaluate(store: Store, pack: RulePack, code: str, today: dt.date, revision: int) -> Pieces:
    """The pieces of ``code``'s dashboard, evaluated in full."""
    begin = registers_begin(store)  # read first: a later change only makes it look stale
    check, subtree, late = evaluate_subtree(store, pack, code, today)
    digester = _Digester(pack, today, check.since, check.registers, late)
    return Pieces(
        code=code,
        today=today,
        revision=revision,
        since=check.since,
        begin=begin,
        registers=check.registers,
        digests=digester.by_unit(check.findings),
        late=late,
        subtree=tuple(subtree),
    )


def view_of(pieces: Pieces, pack: RulePack) -> Dashboard:
    """The view-model from the pieces: the units' digests added up into the two months'
    summaries and the heat map, then the dashboard (pure)."""
    check = Check(pieces.today, pieces.since, pieces.registers, [])
    rank = {rule.id: i for i, rule in enumerate(pack.rules)}

    def order(c: Counted) -> FindingOrder:  # as finding_order sorts findings
        p = c.period
        return (c.org, c.member or "", rank.get(c.rule, len(rank)), p.cadence, p.year, p.index)

    totals = (MonthCounts(), MonthCounts())
    states: dict[tuple[str, int], str] = {}
    for digest in pieces.digests.values():
        totals[0].add(digest.current, order)
        totals[1].add(digest.last, order)
        states.update(digest.states)
    current, last = (
        MonthCounter(
            check, pack, month=month, late_records=pieces.late, trend=TREND_MONTHS
        ).summary(counts, org=pieces.code)
        for month, counts in zip(months_of(pieces.today), totals, strict=True)
    )
    return build_dashboard(
        check,
        pack,
        code=pieces.code,
        subtree=pieces.subtree,
        current=current,
        last=last,
        late=pieces.late,
        states=states,
    )


def unit_of(orgs: Mapping[str, Any], code: str) -> str:
    """The unit an org is judged with: a party group's branch; any other org itself."""
    org = orgs[code]
    if org.type is OrgType.GROUP and org.parent is not None:
        parent = orgs.get(org.parent)
        if parent is not None and parent.type is OrgType.BRANCH:
            return str(parent.code)
    return code


def units_to_refresh(registers: Registers, changed: Collection[str]) -> set[str]:
    """The units (branches, or orgs above branches) whose findings ``changed`` orgs can move:
    the units of the changed orgs in view, and the units of the leading cadres whose branch or
    party group changed."""
    orgs = registers.orgs
    units = {unit_of(orgs, code) for code in changed if code in orgs}
    for cadre in registers.cadres:
        if cadre.org in orgs and (cadre.org in changed or cadre.group in changed):
            units.add(unit_of(orgs, cadre.org))
    return units


def members_of(registers: Registers, units: Collection[str]) -> set[str]:
    """The orgs of ``units``: each unit and the party groups judged with it."""
    orgs = registers.orgs
    return {code for code in orgs if unit_of(orgs, code) in units}


def refresh(
    store: Store, pack: RulePack, pieces: Pieces, changed: Collection[str], revision: int
) -> Pieces:
    """``pieces`` brought to ``revision`` by re-judging the units ``changed`` orgs reach: one
    evaluation of just their orgs, spliced in place of theirs."""
    units = units_to_refresh(pieces.registers, changed)
    if not units:
        return replace(pieces, revision=revision)
    codes = members_of(pieces.registers, units)
    part = run_check(
        store,
        pack,
        as_of=pieces.today,
        since=window_since(pack, pieces.today),
        orgs=codes,
        with_records=True,
        record_months=late_months(pack, pieces.today),
    )
    late = late_records(
        store,
        codes,
        late_months(pack, pieces.today),
        as_of=pieces.today,
        min_days=DEFAULT_LATE_DAYS,
    )
    spliced = {k: v for k, v in pieces.late.items() if v.org not in codes}
    spliced.update(late)
    registers = _splice(pieces.registers, part.registers, codes)
    digester = _Digester(pack, pieces.today, pieces.since, registers, spliced)
    digests = {unit: d for unit, d in pieces.digests.items() if unit not in units}
    digests.update(digester.by_unit(part.findings))
    return replace(pieces, revision=revision, registers=registers, digests=digests, late=spliced)


def _splice(old: Registers, new: Registers, codes: Collection[str]) -> Registers:
    """``old`` with the cadres, roster counts and exemptions of ``codes`` taken from ``new``."""
    cadres = [c for c in old.cadres if c.org not in codes] + list(new.cadres)
    counts = {org: n for org, n in old.roster.counts.items() if org not in codes}
    counts.update(new.roster.counts)
    exemptions = {key: why for key, why in old.exemptions.items() if key[0] not in codes}
    exemptions.update(new.exemptions)
    return Registers(
        orgs=old.orgs,
        cadres=tuple(sorted(cadres, key=lambda m: m.id)),
        roster=RosterCounts(old.roster.days, counts),
        ancestors=old.ancestors,
        exemptions=exemptions,
    )


def branch_count(registers: Registers) -> int:
    return sum(1 for org in registers.orgs.values() if org.type is OrgType.BRANCH)


def bring_up_to_date(
    store: Store, pack: RulePack, pieces: Pieces | None, code: str, today: dt.date, revision: int
) -> tuple[Pieces, bool]:
    """The pieces of ``code`` at ``revision``: ``pieces`` refreshed when the change log allows
    it and few branches changed, else evaluated in full; (pieces, whether in full)."""
    if pieces is not None and pieces.today == today and pieces.revision <= revision:
        if pieces.revision == revision:
            return pieces, False
        changed = store.changed_orgs(pieces.revision, revision)
        # A record added or deleted anywhere can move when the registers began (the earliest
        # record's month), and with it which periods are reported: then every verdict.
        if changed is not None and registers_begin(store) == pieces.begin:
            units = units_to_refresh(pieces.registers, changed)
            if len(units) <= max(1, INCREMENTAL_SHARE * branch_count(pieces.registers)):
                return refresh(store, pack, pieces, changed, revision), False
    return evaluate(store, pack, code, today, revision), True


# --- snapshots ------------------------------------------------------------------------------


def pack_fingerprint(pack: RulePack) -> str:
    """A digest of everything the pack says (its repr: rules, catalog, grace, escalation)."""
    return hashlib.sha256(repr(pack).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Header:
    format: int
    version: str
    pack: str
    code: str
    today: dt.date


def snapshot_path(directory: Path, code: str, today: dt.date, part: str) -> Path:
    """Where ``part`` ("view" or "pieces") of ``code``'s snapshot for ``today`` lives."""
    safe = "".join(c if c.isalnum() or c in "-_" else f"%{ord(c):x}" for c in code)
    return directory / f"{safe}-{today.isoformat()}.{part}.pickle"


def _header(pack: RulePack, code: str, today: dt.date) -> _Header:
    return _Header(SNAPSHOT_FORMAT, __version__, pack_fingerprint(pack), code, today)


def _write(path: Path, content: object) -> None:
    """Pickle ``content`` to ``path`` atomically: a temporary file beside it, then a rename."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(content, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _read(path: Path, header: _Header) -> tuple[Any, ...] | None:
    """What :func:`_write` wrote after ``header``, when the header matches; else None."""
    try:
        with path.open("rb") as source:
            content = pickle.load(source)  # the service's own file (see the module's docstring)
    except FileNotFoundError:
        return None
    except Exception as error:  # a torn or foreign file: evaluate instead
        log.warning("dashboard.snapshot_unreadable", path=str(path), error=repr(error))
        return None
    if not isinstance(content, tuple) or not content or content[0] != header:
        return None
    return content[1:]


def save_snapshot(directory: Path, pack: RulePack, pieces: Pieces, view: Dashboard) -> None:
    """Write the pieces, then the view (each atomically): a process that finds the view of the
    current revision serves it without reading the far bigger pieces."""
    directory.mkdir(parents=True, exist_ok=True)
    _forget_other_days(directory, pieces.code, pieces.today)
    header = _header(pack, pieces.code, pieces.today)
    _write(snapshot_path(directory, pieces.code, pieces.today, "pieces"), (header, pieces))
    _write(
        snapshot_path(directory, pieces.code, pieces.today, "view"),
        (header, pieces.revision, view),
    )


def _forget_other_days(directory: Path, code: str, today: dt.date) -> None:
    """Remove ``code``'s snapshots of other days: a snapshot serves its own day only."""
    name = snapshot_path(directory, code, today, "view").name
    safe = name[: -len(f"-{today.isoformat()}.view.pickle")]
    mine = re.compile(rf"{re.escape(safe)}-\d{{4}}-\d{{2}}-\d{{2}}\.(view|pieces)\.pickle")
    for path in directory.iterdir():
        if mine.fullmatch(path.name) and today.isoformat() not in path.name[len(safe) :]:
            path.unlink(missing_ok=True)


def load_view(
    directory: Path, pack: RulePack, code: str, today: dt.date
) -> tuple[int, Dashboard] | None:
    """(revision, view) of ``code``'s snapshot for ``today`` when its format, orglife version
    and rule pack match; None when there is none, it does not match or cannot be read."""
    found = _read(snapshot_path(directory, code, today, "view"), _header(pack, code, today))
    if found is None or not isinstance(found[1], Dashboard):
        return None
    return int(found[0]), found[1]


def load_pieces(directory: Path, pack: RulePack, code: str, today: dt.date) -> Pieces | None:
    """The pieces of ``code``'s snapshot for ``today``, like :func:`load_view`."""
    found = _read(snapshot_path(directory, code, today, "pieces"), _header(pack, code, today))
    if found is None or not isinstance(found[0], Pieces):
        return None
    return found[0]


# --- the cache ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    pieces: Pieces | None  # None: a snapshot's view, its pieces not read yet
    view: Dashboard
    revision: int  # the view's
    saved: float  # time.monotonic() of its last snapshot (0: never)


class DashboardCache:
    """Dashboards and their pieces by org code, least recently used out; each request brings
    an org's entry up to the store's revision (incrementally when it can) and, when given a
    ``directory``, keeps a snapshot there for the next process."""

    def __init__(self, size: int = CACHE_SIZE, directory: Path | None = None) -> None:
        self.size = size
        self.directory = directory
        self._items: OrderedDict[str, _Entry] = OrderedDict()
        self._guard = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self._threads: list[threading.Thread] = []
        self._writing: set[str] = set()
        self.builds = 0  # dashboards built (not served as they were), for tests and benches
        self.full = 0  # of which evaluated in full
        self.loaded = 0  # snapshot views loaded
        self.loaded_pieces = 0  # snapshot pieces loaded

    def _lock(self, code: str) -> threading.Lock:
        with self._guard:
            return self._building.setdefault(code, threading.Lock())

    def get(self, store: Store, pack: RulePack, code: str, today: dt.date) -> Dashboard:
        """The dashboard at the store's current revision: cached while nothing changed, else
        brought up to date (one build per org at a time: requests arriving together wait)."""
        with self._lock(code):
            revision = store.revision()
            with self._guard:
                entry = self._items.get(code)
            if entry is not None and entry.view.as_of != today:
                entry = None
            if entry is None and self.directory is not None:
                found = load_view(self.directory, pack, code, today)
                if found is not None:
                    self.loaded += 1
                    entry = _Entry(None, found[1], found[0], time.monotonic())
            if entry is not None and entry.revision == revision:
                self._keep(code, entry)
                if entry.pieces is None:
                    self._in_background(self._preload, pack, code, today)
                return entry.view
            base = entry.pieces if entry is not None else None
            if entry is not None and base is None:
                base = self._pieces_from_disk(pack, code, today)
            pieces, full = bring_up_to_date(store, pack, base, code, today, revision)
            if (
                entry is not None
                and base is not None
                and base.revision == entry.revision
                and _same_evaluation(base, pieces)
            ):
                view = entry.view  # the changes lay outside this subtree
            else:
                view = view_of(pieces, pack)
                with self._guard:
                    self.builds += 1
                    self.full += full
            saved = entry.saved if entry is not None else 0.0
            fresh = _Entry(pieces, view, revision, saved)
            self._keep(code, fresh)
            if self.directory is not None and (full or time.monotonic() - saved >= SNAPSHOT_EVERY):
                fresh.saved = time.monotonic()
                self._save_later(self.directory, pack, pieces, view)
            return view

    def pieces_of(self, code: str) -> Pieces | None:
        """The cached pieces of ``code`` (tests compare them with a full evaluation)."""
        with self._guard:
            entry = self._items.get(code)
        return entry.pieces if entry is not None else None

    def _pieces_from_disk(self, pack: RulePack, code: str, today: dt.date) -> Pieces | None:
        if self.directory is None:
            return None
        pieces = load_pieces(self.directory, pack, code, today)
        if pieces is not None:
            with self._guard:
                self.loaded_pieces += 1
        return pieces

    def _preload(self, pack: RulePack, code: str, today: dt.date) -> None:
        """Read the pieces of a view served from its snapshot, so that the next change is
        spliced in rather than read from disk while a request waits."""
        with self._lock(code):
            with self._guard:
                entry = self._items.get(code)
            if entry is None or entry.pieces is not None or entry.view.as_of != today:
                return
            pieces = self._pieces_from_disk(pack, code, today)
            if pieces is not None and pieces.revision == entry.revision:
                entry.pieces = pieces

    def _keep(self, code: str, entry: _Entry) -> None:
        with self._guard:
            self._items[code] = entry
            self._items.move_to_end(code)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def _save_later(self, directory: Path, pack: RulePack, pieces: Pieces, view: Dashboard) -> None:
        """Write the snapshot in a background thread (one writer per org at a time)."""
        with self._guard:
            if pieces.code in self._writing:
                return
            self._writing.add(pieces.code)

        def write() -> None:
            try:
                save_snapshot(directory, pack, pieces, view)
            except OSError as error:
                log.warning("dashboard.snapshot_failed", org=pieces.code, error=repr(error))
            finally:
                with self._guard:
                    self._writing.discard(pieces.code)

        self._in_background(write)

    def _in_background(self, work: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=work, args=args, daemon=True)
        with self._guard:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def wait(self) -> None:
        """Wait for the snapshots being written and read (tests, benches, shutdown)."""
        while True:
            with self._guard:
                running = [t for t in self._threads if t.is_alive()]
            if not running:
                return
            for thread in running:
                thread.join()


def _same_evaluation(old: Pieces, new: Pieces) -> bool:
    return old.digests is new.digests and old.late is new.late and old.registers is new.registers


_caches: weakref.WeakKeyDictionary[Store, DashboardCache] = weakref.WeakKeyDictionary()
_caches_guard = threading.Lock()


def cache_of(store: Store, directory: Path | None = None) -> DashboardCache:
    """The dashboard cache of ``store`` (one per store, gone with it); ``directory``, when
    given, is where its snapshots go (the first call's directory stays)."""
    with _caches_guard:
        cache = _caches.get(store)
        if cache is None:
            cache = _caches[store] = DashboardCache(directory=directory)
        elif cache.directory is None and directory is not None:
            cache.directory = directory
        return cache


def forget(store: Store) -> None:
    """Drop ``store``'s cache from memory, as a restart of the process would (benches, tests);
    its snapshots stay."""
    with _caches_guard:
        cache = _caches.pop(store, None)
    if cache is not None:
        cache.wait()
