"""The pure evaluator: rules + registers + tallies + an explicit ``as_of`` in, findings out.

No clock, database or network here. The store (or :func:`tally_meetings` for plain records)
aggregates the meeting records into :class:`Tally` values per (subject, rule, month); the
evaluator rolls months up into each rule's periods and judges them.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from monitor.core.domain import (
    COMMITTEE_ROLES,
    NO_EVIDENCE,
    Evidence,
    Finding,
    Meeting,
    Member,
    MemberStatus,
    Org,
    OrgType,
    Role,
    Status,
)
from monitor.core.periods import Period, attributed_month, periods_starting_between
from monitor.core.rules import Roster, Rule, RulePack, Subject

SubjectKind = Literal["org", "member"]
# An exempted period: (org code, member id or "" for the org's own rule, rule id, period label).
ExemptionKey = tuple[str, str, str, str]


# What one subject's records of one month show for one rule. It has the shape of the evidence
# of a period, so a one-month period's evidence is its single tally, not a copy.
Tally = Evidence


@dataclass(frozen=True, slots=True)
class SubjectTallies:
    """All tallies of one subject; a tally stream yields each subject at most once."""

    kind: SubjectKind
    subject: str
    tallies: Mapping[tuple[str, int], Tally]  # (rule id, month index) -> tally


@dataclass(frozen=True, slots=True)
class RosterCounts:
    """Full members (正式党员) per branch on given days, for committee applicability."""

    days: tuple[dt.date, ...] = ()
    counts: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def at(self, org: str, day: dt.date) -> int:
        counts = self.counts.get(org)
        if counts is None:
            return 0
        return counts[self.days.index(day)]

    @classmethod
    def from_members(cls, members: Iterable[Member], days: Sequence[dt.date]) -> RosterCounts:
        """A member counts on a day when full (current status) and joined on or before it."""
        days = tuple(sorted(set(days)))
        joined: dict[str, list[dt.date]] = defaultdict(list)
        for member in members:
            if member.status is MemberStatus.FULL:
                joined[member.org].append(member.joined or dt.date.min)
        counts = {}
        for org, dates in joined.items():
            dates.sort()
            counts[org] = tuple(bisect.bisect_right(dates, day) for day in days)
        return cls(days, counts)


@dataclass(frozen=True, slots=True)
class Registers:
    """The parts of the registers the evaluator judges: orgs, leading cadres, roster counts."""

    orgs: Mapping[str, Org]
    cadres: Sequence[Member] = ()
    roster: RosterCounts = field(default_factory=RosterCounts)
    # Orgs above those judged (when judging a subtree): only their founding dates are used.
    ancestors: Mapping[str, Org] = field(default_factory=dict)
    # Periods an inspector excused (免于考核), with the reason: their findings are exempt.
    exemptions: Mapping[ExemptionKey, str] = field(default_factory=dict)

    def exemptions_of(self) -> dict[tuple[str, str], dict[tuple[str, str], str]]:
        """The exemptions by subject (org, member or ""), then by (rule, period label)."""
        by_subject: dict[tuple[str, str], dict[tuple[str, str], str]] = defaultdict(dict)
        for (org, member, rule, period), why in self.exemptions.items():
            by_subject[(org, member)][(rule, period)] = why
        return dict(by_subject)

    def founding_dates(self) -> dict[str, dt.date | None]:
        """When each judged org came into being: an org cannot predate its parent, so one
        without its own date (or with an earlier one) takes its nearest ancestor's."""
        founded: dict[str, dt.date | None] = {}

        def resolve(code: str) -> dt.date | None:
            chain: list[Org] = []
            current: str | None = code
            while current is not None and current not in founded:
                org = self.orgs.get(current) or self.ancestors.get(current)
                if org is None or len(chain) > 64:  # unknown parent, or a loop in bad data
                    break
                chain.append(org)
                current = org.parent
            inherited = founded.get(current) if current is not None else None
            for org in reversed(chain):
                own = org.founded
                inherited = own if inherited is None or (own and own > inherited) else inherited
                founded[org.code] = inherited
            return founded.get(code)

        for code in self.orgs:
            resolve(code)
        return founded


@dataclass(frozen=True, slots=True)
class _Slot:
    """One period of a rule, with what the evaluator needs precomputed for every subject."""

    period: Period
    start: dt.date
    keys: tuple[tuple[str, int], ...]  # the (rule id, month) tallies the period adds up
    unmet: Status  # the status when the requirement is not met
    single: bool  # a one-month period: its evidence is one tally


@dataclass(frozen=True, slots=True)
class _Scheduled:
    rule: Rule
    slots: tuple[_Slot, ...]


@dataclass(frozen=True, slots=True)
class Window:
    """Which periods are reported: those starting in ``[since, until]``, judged on ``as_of``.

    ``until`` defaults to ``as_of``; a later one (calendars) adds periods yet to come, which
    are open because nothing can have been recorded for them. ``begin`` is the day the
    registers began: a period that ends before it is not reported (nothing was kept then).
    """

    as_of: dt.date
    since: dt.date
    until: dt.date | None = None
    begin: dt.date | None = None

    @classmethod
    def for_(
        cls,
        as_of: dt.date,
        since: dt.date | None = None,
        until: dt.date | None = None,
        *,
        begin: dt.date | None = None,
    ) -> Window:
        since = since or dt.date(as_of.year, 1, 1)
        if since > (until or as_of):
            end = f"until {until}" if until else f"as_of {as_of}"
            raise ValueError(f"since {since} is later than {end}")
        return cls(as_of, since, until, begin)

    def periods(self, rule: Rule) -> tuple[Period, ...]:
        found = periods_starting_between(rule.period, self.since, self.until or self.as_of)
        begin = self.begin
        if begin is None:
            return tuple(found)
        return tuple(p for p in found if p.end >= begin)

    def months(self, pack: RulePack) -> range:
        """The month indexes any reported period covers (what the store must aggregate)."""
        starts = [p.months for rule in pack.rules for p in self.periods(rule)]
        if not starts:
            return range(0)
        return range(min(r.start for r in starts), max(r.stop for r in starts))

    def roster_days(self, pack: RulePack) -> list[dt.date]:
        """The days on which committee applicability is judged (starts of those periods)."""
        return sorted(
            {p.start for rule in pack.rules if rule.requires_committee for p in self.periods(rule)}
        )


class Evaluator:
    """Judges every (subject, rule, period) of a window; built once, applied to tally streams."""

    def __init__(self, pack: RulePack, window: Window) -> None:
        self.pack = pack
        self.window = window
        by_subject: dict[Subject, list[_Scheduled]] = defaultdict(list)
        for rule in pack.rules:
            grace = dt.timedelta(days=pack.grace_for(rule))
            slots = tuple(
                _Slot(
                    period=p,
                    start=p.start,
                    keys=tuple((rule.id, m) for m in p.months),
                    unmet=(
                        Status.OPEN if window.as_of <= rule.deadline(p) + grace else Status.MISSED
                    ),
                    single=len(p.months) == 1,
                )
                for p in window.periods(rule)
            )
            by_subject[rule.applies_to].append(_Scheduled(rule, slots))
        self._by_org_type = {
            org_type: tuple(by_subject.get(Subject(org_type.value), ())) for org_type in OrgType
        }
        self._cadre_rules = tuple(by_subject.get(Subject.LEADING_CADRE, ()))

    def evaluate(
        self, registers: Registers, tallies: Iterable[SubjectTallies] = ()
    ) -> Iterator[Finding]:
        """Findings for every subject in ``registers``; subjects absent from ``tallies`` had no
        records."""
        seen_orgs: set[str] = set()
        seen_members: set[str] = set()
        cadres = {m.id: m for m in registers.cadres}
        founded = registers.founding_dates()
        exempt = registers.exemptions_of() if registers.exemptions else {}
        for item in tallies:
            if item.kind == "org":
                org = registers.orgs.get(item.subject)
                if org is not None and item.subject not in seen_orgs:
                    seen_orgs.add(item.subject)
                    yield from self._judge_org(
                        org, founded[org.code], registers, item.tallies, exempt
                    )
            else:
                cadre = cadres.get(item.subject)
                if cadre is not None and item.subject not in seen_members:
                    seen_members.add(item.subject)
                    yield from self._judge_cadre(cadre, founded, registers, item.tallies, exempt)
        for code, org in registers.orgs.items():
            if code not in seen_orgs:
                yield from self._judge_org(org, founded[code], registers, {}, exempt)
        for member_id, cadre in cadres.items():
            if member_id not in seen_members:
                yield from self._judge_cadre(cadre, founded, registers, {}, exempt)

    def _judge_org(
        self,
        org: Org,
        founded: dt.date | None,
        registers: Registers,
        tallies: Mapping[tuple[str, int], Tally],
        exempt_by: Mapping[tuple[str, str], Mapping[tuple[str, str], str]],
    ) -> Iterator[Finding]:
        exempt = exempt_by.get((org.code, "")) if exempt_by else None
        for scheduled in self._by_org_type[org.type]:
            rule = scheduled.rule
            slots = scheduled.slots
            if rule.requires_committee:
                slots = tuple(s for s in slots if _has_committee(org, rule, registers, s.start))
            yield from _judge(org.code, None, rule, slots, founded, tallies, exempt)

    def _judge_cadre(
        self,
        cadre: Member,
        founded: Mapping[str, dt.date | None],
        registers: Registers,
        tallies: Mapping[tuple[str, int], Tally],
        exempt_by: Mapping[tuple[str, str], Mapping[tuple[str, str], str]],
    ) -> Iterator[Finding]:
        if cadre.org not in registers.orgs:
            return
        exempt = exempt_by.get((cadre.org, cadre.id)) if exempt_by else None
        for scheduled in self._cadre_rules:
            yield from _judge(
                cadre.org,
                cadre.id,
                scheduled.rule,
                scheduled.slots,
                founded[cadre.org],
                tallies,
                exempt,
            )


def _has_committee(org: Org, rule: Rule, registers: Registers, day: dt.date) -> bool:
    if org.has_committee is not None:
        return org.has_committee
    return registers.roster.at(org.code, day) >= rule.committee_min_full_members


def _judge(
    org: str,
    member: str | None,
    rule: Rule,
    slots: Sequence[_Slot],
    founded: dt.date | None,
    tallies: Mapping[tuple[str, int], Tally],
    exempt: Mapping[tuple[str, str], str] | None = None,
) -> Iterator[Finding]:
    """The findings of one subject for one rule, period by period; ``exempt`` holds the
    subject's excused periods by (rule id, period label)."""
    need = rule.count
    rule_id = rule.id
    for slot in slots:
        evidence = NO_EVIDENCE
        if tallies:
            if slot.single:
                evidence = tallies.get(slot.keys[0], NO_EVIDENCE)
            else:
                parts = [t for key in slot.keys if (t := tallies.get(key)) is not None]
                if parts:
                    evidence = parts[0] if len(parts) == 1 else _combine(parts)
        if exempt:
            why = exempt.get((rule_id, slot.period.label))
            if why is not None:
                yield Finding(org, member, rule_id, slot.period, Status.EXEMPT, evidence, why)
                continue
        if founded is not None and founded > slot.start:
            status = Status.EXEMPT
        elif evidence.counted >= need:
            status = Status.HELD
        else:
            status = slot.unmet
        yield Finding(org, member, rule_id, slot.period, status, evidence)


def _combine(parts: list[Tally]) -> Evidence:
    ratios = [t.best_ratio for t in parts if t.best_ratio is not None]
    return Evidence(
        counted=sum(t.counted for t in parts),
        seen=sum(t.seen for t in parts),
        records=tuple(r for t in parts for r in t.records),
        best_ratio=max(ratios) if ratios else None,
    )


FindingOrder = tuple[str, str, int, str, int, int]


def finding_order(pack: RulePack) -> Callable[[Finding], FindingOrder]:
    """Sort key: by org, then the org's own rules before its cadres', rules in pack order, then
    the period (as :class:`Period` orders: cadence, year, index)."""
    rank = {rule.id: i for i, rule in enumerate(pack.rules)}
    unknown = len(rank)

    def key(f: Finding) -> FindingOrder:
        # Plain values, not the Period: comparing a dataclass costs a Python call per pair,
        # and a province sorts 700k findings.
        p = f.period
        return (f.org, f.member or "", rank.get(f.rule, unknown), p.cadence, p.year, p.index)

    return key


# --- The same aggregation in plain Python: the reference the SQL store is tested against. ---


def registers_from(
    orgs: Iterable[Org], members: Iterable[Member], pack: RulePack, window: Window
) -> Registers:
    """Registers for the evaluator from plain register objects."""
    members = list(members)
    return Registers(
        orgs={o.code: o for o in orgs},
        cadres=tuple(m for m in members if m.leader),
        roster=RosterCounts.from_members(members, window.roster_days(pack)),
    )


def tally_meetings(
    pack: RulePack,
    window: Window,
    orgs: Iterable[Org],
    members: Iterable[Member],
    meetings: Iterable[Meeting],
    *,
    with_records: bool = True,
) -> list[SubjectTallies]:
    """Aggregate plain records the way the store's SQL does, record by record."""
    members = list(members)
    org_codes = {o.code for o in orgs}
    full: defaultdict[str, int] = defaultdict(int)
    committee: defaultdict[str, int] = defaultdict(int)
    secretaries: dict[str, set[str]] = defaultdict(set)
    for m in members:
        if m.status is MemberStatus.FULL:
            full[m.org] += 1
        if m.role in COMMITTEE_ROLES:
            committee[m.org] += 1
        if m.role is Role.SECRETARY:
            secretaries[m.org].update((m.id, m.name))
    cadres = {m.id: m for m in members if m.leader}
    months = window.months(pack)
    org_rules = [r for r in pack.rules if not r.applies_to.is_member]
    cadre_rules = [r for r in pack.rules if r.applies_to.is_member]
    acc: dict[tuple[SubjectKind, str], dict[tuple[str, int], _Cell]] = defaultdict(dict)

    def add(key: tuple[SubjectKind, str], rule: Rule, month: int, meeting: Meeting) -> None:
        expected = _expected(meeting, rule, full, committee)
        ratio = _ratio(meeting.attended, expected, rule)
        cell = acc[key].setdefault((rule.id, month), _Cell())
        cell.seen += 1
        if ratio is not None and (cell.best is None or ratio > cell.best):
            cell.best = ratio
        if _meets(meeting, rule, expected, secretaries):
            cell.counted += 1
            if with_records and meeting.id is not None:
                cell.records.append(meeting.id)

    for meeting in meetings:
        # A record counts in its own month, or in the last month of the period it says it is for.
        month = attributed_month(meeting.date, meeting.for_period)
        if meeting.date > window.as_of or month not in months or meeting.org not in org_codes:
            continue
        for rule in org_rules:
            if meeting.kinds.intersection(rule.kinds):
                add(("org", meeting.org), rule, month, meeting)
        for attendee in set(meeting.attendees):
            cadre = cadres.get(attendee)
            if cadre is None or meeting.org not in (cadre.org, cadre.group):
                continue
            for rule in cadre_rules:
                if meeting.kinds.intersection(rule.kinds):
                    add(("member", cadre.id), rule, month, meeting)
    return [
        SubjectTallies(kind, subject, {key: cell.tally() for key, cell in cells.items()})
        for (kind, subject), cells in acc.items()
    ]


class _Cell:
    """A tally being counted up, record by record."""

    __slots__ = ("best", "counted", "records", "seen")

    def __init__(self) -> None:
        self.counted = 0
        self.seen = 0
        self.best: float | None = None
        self.records: list[int] = []

    def tally(self) -> Tally:
        return Tally(self.counted, self.seen, tuple(sorted(self.records)), self.best)


def _expected(
    meeting: Meeting, rule: Rule, full: Mapping[str, int], committee: Mapping[str, int]
) -> int | None:
    if meeting.expected is not None:
        return meeting.expected
    roster = rule.default_roster
    if roster is Roster.FULL_MEMBERS:
        return full.get(meeting.org, 0)
    if roster is Roster.COMMITTEE_MEMBERS:
        return committee.get(meeting.org, 0)
    return None


def _ratio(attended: int | None, expected: int | None, rule: Rule) -> float | None:
    """Attendance ratio, which only quorum rules keep as evidence."""
    if rule.min_attendance is None or attended is None or not expected:
        return None
    return attended / expected


def _meets(
    meeting: Meeting, rule: Rule, expected: int | None, secretaries: Mapping[str, set[str]]
) -> bool:
    if rule.min_attendance is not None:
        if meeting.attended is None or not expected:
            return False
        if meeting.attended < rule.min_attendance * expected:
            return False
    if rule.lecturer == "secretary":
        return meeting.lecturer is not None and meeting.lecturer in secretaries.get(meeting.org, ())
    return True
