"""The last evaluation, kept compact, and what a partial re-judging changes in it.

Pure. The service (:mod:`monitor.service.runner`) judges a province in full once, then, each
cycle, only the subjects whose registers changed and the periods that moved with ``as_of``;
:class:`Verdicts` splices those findings into what it holds and returns the findings whose
status changed, so the planner and the ledger work on the changes, not on every finding.

A province has millions of findings: they are not kept as :class:`Finding` objects. Each
subject (an org, or a leading cadre as ``(org, member id)``) holds a shared layout (its
``(rule, period)`` pairs, interned: most subjects share one) and two ``bytes``: the status of
each, and the records counted (capped at 255; the planner reads the count only of open
findings, whose count is below the rule's, and the ledger none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from monitor.core.domain import Evidence, Finding, Member, Org, OrgType, Status
from monitor.core.evaluator import Window
from monitor.core.periods import Period
from monitor.core.rules import RulePack

#: (org code, member id or "" for the org's own findings).
SubjectKey = tuple[str, str]
#: A subject's findings in order: (rule id, period) each.
Layout = tuple[tuple[str, Period], ...]

_STATUSES = tuple(Status)
_CODE = {status: i for i, status in enumerate(_STATUSES)}
_MISSED = _CODE[Status.MISSED]
_OPEN = _CODE[Status.OPEN]


@dataclass(slots=True)
class _Entry:
    layout: Layout
    statuses: bytes
    counted: bytes


@dataclass(slots=True)
class Verdicts:
    """Every subject's findings of one evaluation, compact; spliced by partial re-judgings."""

    rank: Mapping[str, int]  # rule id -> position in the pack (finding order)
    subjects: dict[SubjectKey, _Entry] = field(default_factory=dict)
    total: int = 0
    missed: int = 0
    _layouts: dict[Layout, Layout] = field(default_factory=dict)
    _positions: dict[int, dict[tuple[str, Period], int]] = field(default_factory=dict)
    _labels: dict[int, dict[tuple[str, str], int]] = field(default_factory=dict)
    _cadres: dict[str, set[str]] = field(default_factory=dict)  # org -> its cadres held

    @classmethod
    def of(cls, pack: RulePack, findings: Iterable[Finding] = ()) -> Verdicts:
        """The verdicts of a full evaluation (a stream, in any order)."""
        verdicts = cls({rule.id: i for i, rule in enumerate(pack.rules)})
        for key, found in _by_subject(findings):
            verdicts._put(key, found)
        # Subjects in key order: the findings come out in finding order, as a sorted check's.
        verdicts.subjects = dict(sorted(verdicts.subjects.items(), key=lambda item: item[0]))
        return verdicts

    # --- reading -------------------------------------------------------------------------

    def findings(self, wanted: Callable[[Status, str], bool] | None = None) -> Iterator[Finding]:
        """The findings held (those ``wanted(status, member)`` accepts), in finding order per
        subject; their evidence carries the count only."""
        for (org, member), entry in self.subjects.items():
            who = member or None
            for i, status in enumerate(entry.statuses):
                st = _STATUSES[status]
                if wanted is None or wanted(st, member):
                    rule, period = entry.layout[i]
                    yield Finding(org, who, rule, period, st, Evidence(counted=entry.counted[i]))

    def of_status(self, status: Status, *, orgs_only: bool = False) -> Iterator[Finding]:
        """The findings with ``status`` (of orgs only: no cadre's), found without a Python loop
        over every finding."""
        code = bytes([_CODE[status]])
        for (org, member), entry in self.subjects.items():
            if orgs_only and member:
                continue
            statuses = entry.statuses
            i = statuses.find(code)
            while i >= 0:
                rule, period = entry.layout[i]
                yield Finding(
                    org, member or None, rule, period, status, Evidence(counted=entry.counted[i])
                )
                i = statuses.find(code, i + 1)

    def status(self, org: str, member: str, rule: str, label: str) -> Status | None:
        """The status of one finding, None when there is none."""
        entry = self.subjects.get((org, member))
        if entry is None:
            return None
        labels = self._labels.get(id(entry.layout))
        if labels is None:
            labels = self._labels[id(entry.layout)] = {
                (r, period.label): i for i, (r, period) in enumerate(entry.layout)
            }
        i = labels.get((rule, label))
        return None if i is None else _STATUSES[entry.statuses[i]]

    def snapshot(self) -> dict[tuple[str, str, str, Period], tuple[Status, int]]:
        """Every finding's status and count (capped), by key: what tests compare."""
        return {
            (f.org, f.member or "", f.rule, f.period): (f.status, f.evidence.counted)
            for f in self.findings()
        }

    # --- splicing ------------------------------------------------------------------------

    def replace_orgs(self, orgs: Collection[str], findings: Iterable[Finding]) -> list[Finding]:
        """Put the findings of a re-judging of exactly ``orgs`` (and their cadres) in place of
        theirs; returns those whose status is new or changed."""
        old: dict[SubjectKey, _Entry] = {}
        for org in set(orgs):
            for member in ("", *self._cadres.pop(org, set())):
                entry = self.subjects.pop((org, member), None)
                if entry is not None:
                    old[(org, member)] = entry
                    self._count(entry, -1)
        changed: list[Finding] = []
        for key, found in _by_subject(findings):
            changed += self._changes(old.get(key), found)
            self._put(key, found)
        return changed

    def replace_from(self, start: dt.date, findings: Iterable[Finding]) -> list[Finding]:
        """Put the findings of a re-judging of every subject for the periods starting on or
        after ``start`` in place of theirs; returns those whose status is new or changed."""
        changed: list[Finding] = []
        seen: set[SubjectKey] = set()
        for key, found in _by_subject(findings):
            seen.add(key)
            entry = self.subjects.pop(key, None)
            kept: list[Finding] = []
            if entry is not None:
                self._count(entry, -1)
                kept = [f for f in self._expand(key, entry) if f.period.start < start]
            changed += self._changes(entry, found)
            self._put(key, kept + found)
        for key in [k for k in self.subjects if k not in seen]:
            entry = self.subjects[key]
            if any(period.start >= start for _, period in entry.layout):
                del self.subjects[key]
                self._count(entry, -1)
                self._put(key, [f for f in self._expand(key, entry) if f.period.start < start])
        return changed

    # --- the parts -----------------------------------------------------------------------

    def _changes(self, entry: _Entry | None, found: list[Finding]) -> list[Finding]:
        if entry is None:
            return list(found)
        positions = self._positions_of(entry.layout)
        changed = []
        for f in found:
            i = positions.get((f.rule, f.period))
            if i is None or _STATUSES[entry.statuses[i]] is not f.status:
                changed.append(f)
        return changed

    def _positions_of(self, layout: Layout) -> dict[tuple[str, Period], int]:
        positions = self._positions.get(id(layout))
        if positions is None:
            positions = self._positions[id(layout)] = {pair: i for i, pair in enumerate(layout)}
        return positions

    def _expand(self, key: SubjectKey, entry: _Entry) -> list[Finding]:
        org, member = key
        parts = zip(entry.layout, entry.statuses, entry.counted, strict=True)
        return [
            Finding(org, member or None, rule, period, _STATUSES[s], Evidence(counted=c))
            for (rule, period), s, c in parts
        ]

    def _put(self, key: SubjectKey, found: list[Finding]) -> None:
        if not found:
            return
        rank = self.rank
        found.sort(key=lambda f: (rank.get(f.rule, len(rank)), f.period))
        layout = tuple((f.rule, f.period) for f in found)
        layout = self._layouts.setdefault(layout, layout)  # interned: subjects share layouts
        entry = _Entry(
            layout,
            bytes(_CODE[f.status] for f in found),
            bytes(min(f.evidence.counted, 255) for f in found),
        )
        self.subjects[key] = entry
        if key[1]:
            self._cadres.setdefault(key[0], set()).add(key[1])
        self._count(entry, 1)

    def _count(self, entry: _Entry, sign: int) -> None:
        self.total += sign * len(entry.statuses)
        self.missed += sign * entry.statuses.count(_MISSED)


def _by_subject(findings: Iterable[Finding]) -> Iterator[tuple[SubjectKey, list[Finding]]]:
    """The findings grouped by subject, each subject once: the evaluator yields a subject's
    findings together, and a sorted list has them together too."""
    current: SubjectKey | None = None
    found: list[Finding] = []
    for f in findings:
        key = (f.org, f.member or "")
        if key != current:
            if current is not None:
                yield current, found
            current, found = key, []
        found.append(f)
    if current is not None:
        yield current, found


def moved_from(pack: RulePack, old: Window, new: Window) -> dt.date | None:
    """The earliest start of the periods whose findings ``new`` can judge otherwise than
    ``old`` for a subject whose records did not change (``old`` and ``new`` differ in
    ``as_of`` only): periods new in ``new``, and periods whose deadline and grace ended in
    between (open turns missed). None when there are none."""
    starts: list[dt.date] = []
    for rule in pack.rules:
        grace = dt.timedelta(days=pack.grace_for(rule))
        before = set(old.periods(rule))
        for period in new.periods(rule):
            ends = rule.deadline(period) + grace
            if period not in before or old.as_of <= ends < new.as_of:
                starts.append(period.start)
    return min(starts, default=None)


def groups_of(orgs: Mapping[str, Org]) -> dict[str, tuple[str, ...]]:
    """The party groups judged with each branch (see :func:`units_of`)."""
    found: dict[str, list[str]] = {}
    for org in orgs.values():
        if org.type is OrgType.GROUP and org.parent is not None:
            parent = orgs.get(org.parent)
            if parent is not None and parent.type is OrgType.BRANCH:
                found.setdefault(parent.code, []).append(org.code)
    return {branch: tuple(codes) for branch, codes in found.items()}


def units_of(
    orgs: Mapping[str, Org],
    cadres: Iterable[Member],
    changed: Iterable[str],
    groups: Mapping[str, tuple[str, ...]] | None = None,
) -> set[str]:
    """The orgs to re-judge for ``changed`` orgs: each changed org's branch with its party
    groups (a cadre's records may sit in a group), and the branch of every cadre whose org or
    group changed. ``groups`` is :func:`groups_of` ``orgs``, when the caller keeps it."""
    changed = set(changed)
    if not changed:
        return set()
    groups = groups_of(orgs) if groups is None else groups

    def unit(code: str) -> str:
        org = orgs[code]
        if org.type is OrgType.GROUP and org.parent is not None:
            parent = orgs.get(org.parent)
            if parent is not None and parent.type is OrgType.BRANCH:
                return parent.code
        return code

    units = {unit(code) for code in changed if code in orgs}
    for cadre in cadres:
        if cadre.org in orgs and (cadre.org in changed or cadre.group in changed):
            units.add(unit(cadre.org))
    return units.union(*(groups.get(u, ()) for u in units))
