"""Set-based aggregation: one GROUP BY per subject kind turns records into evaluator tallies.

The SQL is generated from the rule pack: for every rule, three aggregates per (subject, month)
(records seen, records that meet the rule, best attendance ratio), and optionally the ids of
the counted records. The judging stays in :mod:`monitor.core.evaluator`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.types import Date

from monitor.core.domain import COMMITTEE_ROLES, MemberStatus, Org, Role
from monitor.core.evaluator import Registers, RosterCounts, SubjectTallies, Tally, Window
from monitor.core.rules import Roster, Rule, RulePack
from monitor.store import Store
from monitor.store.bulk import sqlite_value
from monitor.store.exemptions import active_exemptions

_IN_LIMIT = 2000
_BATCH = 5000
_COMMITTEE_ROLES_SQL = ", ".join(f"'{r.value}'" for r in sorted(COMMITTEE_ROLES))


def registers(
    store: Store, pack: RulePack, window: Window, orgs: Sequence[str] | None = None
) -> Registers:
    """The evaluator's registers: orgs, leading cadres and full-member counts on roster days."""
    org_list = store.orgs(orgs)
    codes = None if orgs is None else {o.code for o in org_list}
    cadres = store.members(codes, leaders_only=True)
    days = window.roster_days(pack)
    by_code = {o.code: o for o in org_list}
    return Registers(
        orgs=by_code,
        cadres=tuple(cadres),
        roster=roster_counts(store, days, codes),
        ancestors=_ancestors(store, by_code) if orgs is not None else {},
        exemptions=active_exemptions(store, codes),
    )


def _ancestors(store: Store, orgs: dict[str, Org]) -> dict[str, Org]:
    """The orgs above a subtree, whose founding dates its orgs inherit."""
    found: dict[str, Org] = {}
    todo = {o.parent for o in orgs.values() if o.parent is not None and o.parent not in orgs}
    while todo:
        fetched = store.orgs(todo)
        found.update((o.code, o) for o in fetched)
        todo = {
            o.parent for o in fetched if o.parent is not None and o.parent not in found
        } - orgs.keys()
    return found


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
    where = ""
    binds = [bindparam(f"d{i}", day, type_=Date) for i, day in enumerate(days)]
    binds.append(bindparam("full", MemberStatus.FULL.value))
    if orgs is not None and len(orgs) <= _IN_LIMIT:
        where = " AND org IN :orgs"
        binds.append(bindparam("orgs", sorted(orgs), expanding=True))
    sql = text(
        f"SELECT org, {columns} FROM member WHERE status = :full{where} GROUP BY org"
    ).bindparams(*binds)
    counts: dict[str, tuple[int, ...]] = {}
    with store.engine.connect() as conn:
        rows: list[Any] = list(conn.execute(sql))
        for org, *values in rows:
            if orgs is None or org in orgs:
                counts[str(org)] = tuple(int(v) for v in values)
    return RosterCounts(days, counts)


class _Columns:
    """The aggregate columns of one query; rules that need the same expression share a column."""

    def __init__(self) -> None:
        self.expressions: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, expression: str) -> int:
        """The row position (after subject and month) of ``expression``, added if new."""
        if expression not in self._index:
            self._index[expression] = 2 + len(self.expressions)
            self.expressions.append(expression)
        return self._index[expression]


class _Counter:
    """Where one rule's figures sit in a row: records seen, counted, best ratio, counted ids."""

    def __init__(
        self,
        rule: Rule,
        bits: dict[str, int],
        columns: _Columns,
        dialect: str,
        with_records: bool,
        record_months: range | None = None,
    ) -> None:
        self.rule = rule
        mask = 0
        for kind in rule.kinds:
            if kind in bits:
                mask |= 1 << bits[kind]
        self.mask = mask
        seen = f"(m.kinds & {mask}) <> 0"
        expected = _expected_sql(rule)
        conditions = [seen]
        if rule.min_attendance is not None:
            # The threshold is a validated float: a literal lets equal rules share a column.
            conditions.append(f"{expected} > 0")
            conditions.append(f"m.attended >= {rule.min_attendance!r} * {expected}")
        if rule.lecturer == "secretary":
            conditions.append(
                "m.lecturer IS NOT NULL AND EXISTS (SELECT 1 FROM member s WHERE s.org = m.org "
                f"AND s.role = '{Role.SECRETARY.value}' "
                "AND (s.id = m.lecturer OR s.name = m.lecturer))"
            )
        counted = " AND ".join(conditions)
        self.seen = columns.add(f"SUM(CASE WHEN {seen} THEN 1 ELSE 0 END)")
        self.counted = (
            columns.add(f"SUM(CASE WHEN {counted} THEN 1 ELSE 0 END)")
            if len(conditions) > 1
            else self.seen
        )
        self.best = -1
        if rule.min_attendance is not None:
            if dialect == "postgresql":
                ratio = f"CAST(m.attended AS DOUBLE PRECISION) / NULLIF({expected}, 0)"
            else:
                ratio = f"1.0 * m.attended / NULLIF({expected}, 0)"
            self.best = columns.add(f"MAX(CASE WHEN {seen} THEN {ratio} END)")
        self.ids = -1
        if with_records:
            listed = counted
            if record_months is not None:
                # Tested first, so the other months skip the rule's conditions altogether.
                listed = f"m.month >= :r0 AND m.month < :r1 AND {counted}"
            if dialect == "postgresql":
                ids = f"STRING_AGG(CASE WHEN {listed} THEN CAST(m.id AS TEXT) END, ',')"
            else:
                ids = f"GROUP_CONCAT(CASE WHEN {listed} THEN m.id END)"
            self.ids = columns.add(ids)

        # Most rules count records without conditions: share one tally per count (also when
        # ids are listed but a row has none, e.g. outside ``record_months``).
        self.simple = self.counted == self.seen and self.best < 0
        self.plain = self.simple and self.ids < 0

    def tally(self, row: Sequence[Any]) -> Tally:
        """The tally of a row whose ``seen`` column is not zero."""
        seen = int(row[self.seen])
        if self.plain:
            return _plain(seen)
        ids = row[self.ids] if self.ids >= 0 else None
        if not ids and self.simple:
            return _plain(seen)
        best = row[self.best] if self.best >= 0 else None
        return Tally(
            seen if self.counted == self.seen else int(row[self.counted] or 0),
            seen,
            tuple(sorted(map(int, str(ids).split(",")))) if ids else (),
            None if best is None else float(best),
        )


@functools.cache
def _plain(count: int) -> Tally:
    return Tally(counted=count, seen=count)


def _stream(conn: Connection, sql: str, params: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of a query straight from the driver, in batches, without buffering the result.

    The tally query returns a row per (subject, month): hundreds of thousands at province
    scale, so the driver's plain tuples are worth having (SQLAlchemy rows cost more each), and
    PostgreSQL gets a server-side cursor instead of loading the whole result into memory.
    ``sql`` uses ``:name`` parameters.
    """
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name="orglife_tallies")
        cursor.itersize = _BATCH
        cursor.execute(re.sub(r":(\w+)", r"%(\1)s", sql), params)
    else:
        cursor = raw.cursor()
        cursor.execute(sql, {k: sqlite_value(v) for k, v in params.items()})
    try:
        while batch := cursor.fetchmany(_BATCH):
            yield from batch
    finally:
        cursor.close()


def _expected_sql(rule: Rule) -> str:
    """应到人数 of a record, or the roster standing in when it is blank (quorum rules only)."""
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
        return "m.expected"
    # COALESCE evaluates the roster subquery only for records that leave 应到人数 blank.
    return f"COALESCE(m.expected, {fallback})"


def tallies(
    store: Store,
    pack: RulePack,
    window: Window,
    *,
    orgs: Iterable[str] | None = None,
    with_records: bool = False,
    record_months: range | None = None,
) -> Iterator[SubjectTallies]:
    """Stream the tallies of every org subject, then every leading cadre, one subject at a time.

    ``with_records`` lists the ids of the records that counted; ``record_months`` (month
    indexes) lists only those of records counted in these months, for callers that look at the
    records of some periods only (a month's summary): listing ids costs more than counting.
    """
    months = window.months(pack)
    if not months:
        return
    bits = store.kind_bits()
    wanted = None if orgs is None else set(orgs)
    org_rules = [r for r in pack.rules if not r.applies_to.is_member]
    cadre_rules = [r for r in pack.rules if r.applies_to.is_member]
    big = wanted is not None and len(wanted) > _IN_LIMIT
    with store.engine.connect() as conn:
        if big:
            assert wanted is not None
            # A big subtree (a county's thousands of orgs): join a temporary table of its codes
            # rather than scan the whole province.
            conn.execute(text("DROP TABLE IF EXISTS wanted_org"))
            conn.execute(text("CREATE TEMPORARY TABLE wanted_org (code VARCHAR(64) PRIMARY KEY)"))
            conn.execute(
                text("INSERT INTO wanted_org (code) VALUES (:code)"),
                [{"code": code} for code in sorted(wanted)],
            )
        try:
            if org_rules:
                yield from _run(
                    conn,
                    "org",
                    org_rules,
                    bits,
                    window,
                    months,
                    with_records,
                    record_months,
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
                    record_months,
                    wanted,
                    source=(
                        "member p JOIN attendance a ON a.member_id = p.id "
                        "JOIN meeting m ON m.id = a.meeting_id"
                    ),
                    subject="p.id",
                    where=" AND p.leader AND (m.org = p.org OR m.org = p.grp)",
                    org_column="p.org",
                )
        finally:
            if big:
                # PostgreSQL drops the table with the transaction; SQLite may have committed it,
                # and the pooled connection outlives this call.
                conn.rollback()
                conn.execute(text("DROP TABLE IF EXISTS wanted_org"))
                conn.commit()


def _run(
    conn: Connection,
    kind: str,
    rules: Sequence[Rule],
    bits: dict[str, int],
    window: Window,
    months: range,
    with_records: bool,
    record_months: range | None,
    wanted: set[str] | None,
    *,
    source: str,
    subject: str,
    where: str,
    org_column: str,
) -> Iterator[SubjectTallies]:
    columns = _Columns()
    counters = [
        _Counter(r, bits, columns, conn.dialect.name, with_records, record_months) for r in rules
    ]
    any_mask = 0
    for c in counters:
        any_mask |= c.mask
    if any_mask == 0:
        return
    params: dict[str, Any] = {"m0": months.start, "m1": months.stop, "as_of": window.as_of}
    if with_records and record_months is not None:
        params.update(r0=record_months.start, r1=record_months.stop)
    if wanted is not None and len(wanted) <= _IN_LIMIT:
        # A subtree is usually small: let the index led by org find its records.
        names = [f"o{i}" for i in range(len(wanted))]
        params.update(zip(names, sorted(wanted), strict=True))
        where += f" AND {org_column} IN ({', '.join(':' + n for n in names)})"
    elif wanted is not None:
        where += f" AND {org_column} IN (SELECT code FROM wanted_org)"
    sql = (
        f"SELECT {subject}, m.month, {', '.join(columns.expressions)} FROM {source} "
        # ``+m.month``: not an index key here. The partial index of live months
        # (ix_meeting_live_month, for when the registers began) would otherwise win, and its
        # rows come unordered: a temporary B-tree for the GROUP BY, a second slower.
        "WHERE +m.month >= :m0 AND +m.month < :m1 AND m.day <= :as_of "
        # ``month`` is the month a record counts in (its own, or its for_period's last one);
        # a deleted record stays for the audit trail but never counts.
        f"AND (m.kinds & {any_mask}) <> 0 AND m.deleted_at IS NULL"
        # Ordering like the grouping lets SQLite walk the index instead of sorting.
        f"{where} GROUP BY {subject}, m.month ORDER BY {subject}, m.month"
    )
    keyed = [(counter.rule.id, counter.seen, counter) for counter in counters]
    current: str | None = None
    cells: dict[tuple[str, int], Tally] = {}
    for row in _stream(conn, sql, params):
        who, month = row[0], row[1]
        if who != current:
            if current is not None:
                yield SubjectTallies(kind, current, cells)  # type: ignore[arg-type]
            current, cells = who, {}
        for rule_id, seen, counter in keyed:
            if row[seen]:
                cells[(rule_id, month)] = counter.tally(row)
    if current is not None:
        yield SubjectTallies(kind, current, cells)  # type: ignore[arg-type]
