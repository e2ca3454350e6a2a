"""Set-based aggregation: one GROUP BY per subject kind turns records into evaluator tallies.

The SQL is generated from the rule pack: for every rule, three aggregates per (subject, month)
(records seen, records that meet the rule, best attendance ratio), and optionally the ids of
the counted records. The judging stays in :mod:`monitor.evaluator`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.types import Date

from monitor.domain import COMMITTEE_ROLES, MemberStatus, Role
from monitor.evaluator import Registers, RosterCounts, SubjectTallies, Tally, Window
from monitor.rules import Roster, Rule, RulePack
from monitor.store import Store

_IN_LIMIT = 2000
_COMMITTEE_ROLES_SQL = ", ".join(f"'{r.value}'" for r in sorted(COMMITTEE_ROLES))


def registers(
    store: Store, pack: RulePack, window: Window, orgs: Sequence[str] | None = None
) -> Registers:
    """The evaluator's registers: orgs, leading cadres and full-member counts on roster days."""
    org_list = store.orgs(orgs)
    codes = None if orgs is None else {o.code for o in org_list}
    cadres = [m for m in store.members(None, leaders_only=True) if codes is None or m.org in codes]
    days = window.roster_days(pack)
    return Registers(
        orgs={o.code: o for o in org_list},
        cadres=tuple(cadres),
        roster=roster_counts(store, days, codes),
    )


def roster_counts(
    store: Store, days: Sequence[dt.date], orgs: set[str] | None = None
) -> RosterCounts:
    """Full members joined on or before each day, per branch: one GROUP BY over members."""
    days = tuple(sorted(set(days)))
    if not days:
        return RosterCounts()
    columns = ", ".join(
        f"SUM(CASE WHEN joined IS NULL OR joined <= :d{i} THEN 1 ELSE 0 END)"
        for i in range(len(days))
    )
    sql = text(f"SELECT org, {columns} FROM member WHERE status = :full GROUP BY org").bindparams(
        *(bindparam(f"d{i}", day, type_=Date) for i, day in enumerate(days)),
        bindparam("full", MemberStatus.FULL.value),
    )
    counts: dict[str, tuple[int, ...]] = {}
    with store.engine.connect() as conn:
        rows: list[Any] = list(conn.execute(sql))
        for org, *values in rows:
            if orgs is None or org in orgs:
                counts[str(org)] = tuple(int(v) for v in values)
    return RosterCounts(days, counts)


class _Counter:
    """The SQL expressions for one rule: which records it sees, counts, and their ratio."""

    def __init__(self, rule: Rule, bits: dict[str, int], index: int) -> None:
        self.rule = rule
        self.index = index
        mask = 0
        for kind in rule.kinds:
            if kind in bits:
                mask |= 1 << bits[kind]
        self.mask = mask
        roster = rule.default_roster
        if roster is Roster.FULL_MEMBERS:
            fallback = (
                "(SELECT COUNT(*) FROM member x WHERE x.org = m.org "
                f"AND x.status = '{MemberStatus.FULL.value}')"
            )
        elif roster is Roster.COMMITTEE_MEMBERS:
            fallback = (
                "(SELECT COUNT(*) FROM member x WHERE x.org = m.org "
                f"AND x.role IN ({_COMMITTEE_ROLES_SQL}))"
            )
        else:
            fallback = None
        # COALESCE evaluates the roster subquery only for records that leave 应到人数 blank.
        self.expected = f"COALESCE(m.expected, {fallback})" if fallback else "m.expected"
        self.seen = f"(m.kinds & {mask}) <> 0"
        conditions = [self.seen]
        if rule.min_attendance is not None:
            conditions.append(f"{self.expected} > 0")
            conditions.append(f"m.attended >= :t{index} * {self.expected}")
        if rule.lecturer == "secretary":
            conditions.append(
                "m.lecturer IS NOT NULL AND EXISTS (SELECT 1 FROM member s WHERE s.org = m.org "
                f"AND s.role = '{Role.SECRETARY.value}' "
                "AND (s.id = m.lecturer OR s.name = m.lecturer))"
            )
        self.counted = " AND ".join(conditions)

    def columns(self, dialect: str, with_records: bool) -> list[str]:
        ratio = f"CAST(m.attended AS DOUBLE PRECISION) / NULLIF({self.expected}, 0)"
        if dialect == "sqlite":
            ratio = f"1.0 * m.attended / NULLIF({self.expected}, 0)"
        cols = [
            f"SUM(CASE WHEN {self.seen} THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {self.counted} THEN 1 ELSE 0 END)",
            f"MAX(CASE WHEN {self.seen} THEN {ratio} END)",
        ]
        if with_records:
            if dialect == "postgresql":
                cols.append(
                    f"STRING_AGG(CASE WHEN {self.counted} THEN CAST(m.id AS TEXT) END, ',')"
                )
            else:
                cols.append(f"GROUP_CONCAT(CASE WHEN {self.counted} THEN m.id END)")
        return cols

    def params(self) -> dict[str, Any]:
        if self.rule.min_attendance is None:
            return {}
        return {f"t{self.index}": self.rule.min_attendance}


def tallies(
    store: Store,
    pack: RulePack,
    window: Window,
    *,
    orgs: Iterable[str] | None = None,
    with_records: bool = False,
) -> Iterator[SubjectTallies]:
    """Stream the tallies of every org subject, then every leading cadre, one subject at a time."""
    months = window.months(pack)
    if not months:
        return
    bits = store.kind_bits()
    wanted = None if orgs is None else set(orgs)
    org_rules = [r for r in pack.rules if not r.applies_to.is_member]
    cadre_rules = [r for r in pack.rules if r.applies_to.is_member]
    with store.engine.connect() as conn:
        if org_rules:
            yield from _run(
                conn,
                "org",
                org_rules,
                bits,
                window,
                months,
                with_records,
                wanted,
                source="meeting m",
                subject="m.org",
                where="",
                org_column="m.org",
            )
        if cadre_rules:
            yield from _run(
                conn,
                "member",
                cadre_rules,
                bits,
                window,
                months,
                with_records,
                wanted,
                source=(
                    "member p JOIN attendance a ON a.member_id = p.id "
                    "JOIN meeting m ON m.id = a.meeting_id"
                ),
                subject="p.id",
                where=" AND p.leader = :true AND (m.org = p.org OR m.org = p.grp)",
                org_column="p.org",
            )


def _run(
    conn: Connection,
    kind: str,
    rules: Sequence[Rule],
    bits: dict[str, int],
    window: Window,
    months: range,
    with_records: bool,
    wanted: set[str] | None,
    *,
    source: str,
    subject: str,
    where: str,
    org_column: str,
) -> Iterator[SubjectTallies]:
    counters = [_Counter(rule, bits, i) for i, rule in enumerate(rules)]
    any_mask = 0
    for c in counters:
        any_mask |= c.mask
    columns = [col for c in counters for col in c.columns(conn.dialect.name, with_records)]
    if any_mask == 0:
        return
    params: dict[str, Any] = {"m0": months.start, "m1": months.stop, "true": True}
    binds = [bindparam("as_of", window.as_of, type_=Date)]
    if wanted is not None and len(wanted) <= _IN_LIMIT:
        # A subtree is usually small: let the index on (org, month) find its records.
        where += f" AND {org_column} IN :orgs"
        binds.append(bindparam("orgs", sorted(wanted), expanding=True))
    for c in counters:
        params.update(c.params())
    sql = (
        f"SELECT {subject}, m.month, {', '.join(columns)} FROM {source} "
        "WHERE m.month >= :m0 AND m.month < :m1 AND m.day <= :as_of "
        f"AND (m.kinds & {any_mask}) <> 0"
        f"{where} GROUP BY {subject}, m.month ORDER BY {subject}"
    )
    statement = text(sql).bindparams(*binds)
    width = 4 if with_records else 3
    current: str | None = None
    cells: dict[tuple[str, int], Tally] = {}
    for row in conn.execute(statement, params):
        who, month = row[0], row[1]
        if who != current:
            if current is not None and (wanted is None or current in wanted):
                yield SubjectTallies(kind, current, cells)  # type: ignore[arg-type]
            current, cells = who, {}
        for i, counter in enumerate(counters):
            base = 2 + i * width
            seen = int(row[base] or 0)
            if not seen:
                continue
            records: tuple[int, ...] = ()
            if with_records and row[base + 3]:
                records = tuple(sorted(int(x) for x in str(row[base + 3]).split(",")))
            best = row[base + 2]
            cells[(counter.rule.id, month)] = Tally(
                int(row[base + 1] or 0), seen, None if best is None else float(best), records
            )
    if current is not None and (wanted is None or current in wanted):
        yield SubjectTallies(kind, current, cells)  # type: ignore[arg-type]
