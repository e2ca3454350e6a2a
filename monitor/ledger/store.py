"""The store's side of the problem ledger (问题台账): items and their audit trail.

Every change to an item is one transaction with its audit event. Opening items from an
evaluation is set-based and idempotent (a finding's item is unique per subject, rule and
period), so the service and `orglife check` may both run it as often as they like.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    Date,
    DateTime,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from monitor.core.domain import Finding, Status
from monitor.core.errors import UnknownOrgError
from monitor.core.periods import Period
from monitor.ledger.model import (
    DEFAULT_DEADLINE_DAYS,
    LATE_RECORD,
    LedgerError,
    LedgerEvent,
    LedgerItem,
    LedgerSource,
    LedgerStatus,
    check_clear,
    check_rectify,
    check_send_back,
    deadline_for,
    recurrences,
    returned_status,
)
from monitor.store import Store
from monitor.store.moments import aware, utc
from monitor.store.tables import LedgerEventRow, LedgerItemRow, MemberRow, OrgRow

ITEM = LedgerItemRow.__table__  # type: ignore[attr-defined]
EVENT = LedgerEventRow.__table__  # type: ignore[attr-defined]
ORG = OrgRow.__table__  # type: ignore[attr-defined]
MEMBER = MemberRow.__table__  # type: ignore[attr-defined]

SYSTEM = "system"  # the actor of the evaluation's changes
OVERDUE_NOTE = "超过整改期限未整改"
_CHUNK = 500
_MANY = 2_000  # above this many codes or ids, filter in Python instead of IN lists
_FINDING = LedgerSource.FINDING.value
_UNRECTIFIED = (LedgerStatus.OPEN.value, LedgerStatus.OVERDUE.value)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What a sweep changed: items a late record (补录) rectified, and items newly overdue."""

    late: int
    overdue: list[LedgerItem]


class LedgerStore:
    """The problem ledger on the store's engine."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    # --- the evaluation ----------------------------------------------------------------

    def open_for(
        self,
        findings: Iterable[Finding],
        *,
        today: dt.date,
        now: dt.datetime,
        issue: Callable[[Finding], str],
        deadline_days: int = DEFAULT_DEADLINE_DAYS,
    ) -> int:
        """Open an item for every final miss not yet in the ledger; returns how many opened.

        Set-based, in one transaction: the misses are staged in a temporary table (COPY on
        PostgreSQL), one ``INSERT … SELECT`` adds those the ledger lacks (``ON CONFLICT DO
        NOTHING`` against a concurrent run) and one more writes their "opened" events.
        """
        now = utc(now)
        labels: dict[Period, str] = {}
        missed: dict[tuple[str, str, str, str], Finding] = {}
        for f in findings:
            if f.status is Status.MISSED:
                label = labels.get(f.period)
                if label is None:
                    label = labels[f.period] = f.period.label
                missed.setdefault((f.org, f.member or "", f.rule, label), f)
        if not missed:
            return 0
        params = {
            "source": _FINDING,
            "status": LedgerStatus.OPEN.value,
            "today": today,
            "deadline": deadline_for(today, deadline_days),
            "now": now,
            "actor": SYSTEM,
        }
        with self.engine.begin() as conn, _Staged(conn, "ledger_stage", _STAGE) as stage:
            stage.write([(*key, issue(f)) for key, f in missed.items()])
            ids: list[Any] = list(
                conn.execute(
                    text(
                        "INSERT INTO ledger_item (org, member, rule, period, source, issue, "
                        "opened, deadline, status, reopened) "
                        "SELECT s.org, s.member, s.rule, s.period, :source, s.issue, :today, "
                        ":deadline, :status, 0 FROM ledger_stage s WHERE NOT EXISTS "
                        f"(SELECT 1 FROM ledger_item i WHERE {_SAME_ITEM}) "
                        f"ON CONFLICT (org, member, rule, period) WHERE source = '{_FINDING}' "
                        "DO NOTHING RETURNING id"
                    ).bindparams(*_TYPED[:2]),
                    params,
                ).scalars()
            )
            if ids:
                # Every item gets its "opened" event in the transaction that adds it, so the
                # staged items without one are exactly those just added.
                conn.execute(
                    text(
                        "INSERT INTO ledger_event (item, at, actor, action, to_status) "
                        "SELECT i.id, :now, :actor, 'opened', :status FROM ledger_stage s "
                        f"JOIN ledger_item i ON {_SAME_ITEM} WHERE NOT EXISTS "
                        "(SELECT 1 FROM ledger_event e WHERE e.item = i.id)"
                    ).bindparams(*_TYPED[2:]),
                    params,
                )
        return len(ids)

    def sweep(
        self,
        findings: Iterable[Finding],
        *,
        today: dt.date,
        now: dt.datetime,
        held: Callable[[tuple[str, str, str, str]], bool] | None = None,
        only: Collection[tuple[str, str, str, str]] | None = None,
        overdue: bool = True,
    ) -> SweepResult:
        """Move unrectified items whose finding is now held (a late record, 补录) to
        rectifying, then open items past their deadline to overdue; one transaction.

        ``held`` answers for an item's key (org, member or "", rule, period label) whether its
        finding is held, instead of ``findings`` (kept verdicts: no finding list to scan);
        ``only`` limits the items looked at to those keys (the findings that changed, when no
        other item can have a held finding). Items past their deadline are judged against
        ``today``, whatever ``findings`` cover; each turns overdue once (the result lists those
        that did just now); ``overdue`` off skips that (nothing can have fallen due since a
        sweep of the same day).
        """
        now = utc(now)
        with self.engine.begin() as conn:
            # A reopened item is about the miss that recurred, not its own period: a late
            # record for that period does not rectify it.
            query = select(ITEM.c.id, ITEM.c.org, ITEM.c.member, ITEM.c.rule, ITEM.c.period).where(
                and_(
                    ITEM.c.source == _FINDING,
                    ITEM.c.status.in_(_UNRECTIFIED),
                    ITEM.c.reopened == 0,
                )
            )
            if only is None:
                rows = _rows(conn, query)
            else:
                wanted = set(only)
                rows = []
                for chunk in _chunks(sorted({key[0] for key in wanted}), _CHUNK):
                    rows += [
                        r
                        for r in _rows(conn, query.where(ITEM.c.org.in_(chunk)))
                        if (str(r.org), str(r.member), str(r.rule), str(r.period)) in wanted
                    ]
            pending = {
                (str(r.org), str(r.member), str(r.rule), str(r.period)): int(r.id) for r in rows
            }
            late: set[int] = set()
            if pending and held is not None:
                late = {item for key, item in pending.items() if held(key)}
            elif pending:
                orgs = {key[0] for key in pending}
                labels: dict[Period, str] = {}
                for f in findings:
                    if f.status is not Status.HELD or f.org not in orgs:
                        continue
                    label = labels.get(f.period)
                    if label is None:
                        label = labels[f.period] = f.period.label
                    found = pending.get((f.org, f.member or "", f.rule, label))
                    if found is not None:
                        late.add(found)
            moved = _move_late(conn, sorted(late), now) if late else 0
            gone_overdue = _move_overdue(conn, today, now) if overdue else []
        return SweepResult(moved, gone_overdue)

    def review(
        self,
        findings: Iterable[Finding],
        *,
        today: dt.date,
        now: dt.datetime,
        by: str,
        orgs: Collection[str] | None = None,
        deadline_days: int = DEFAULT_DEADLINE_DAYS,
    ) -> list[LedgerItem]:
        """A look-back (回头看): reopen every cleared finding item (of ``orgs``) whose subject
        missed the same rule again within the next two periods. Returns the reopened items."""
        now = utc(now)
        by = _actor(by)
        cleared = self.items(orgs, LedgerStatus.CLEARED)
        found = recurrences(cleared, findings)
        reopened: list[LedgerItem] = []
        with self.engine.begin() as conn:
            for item, miss in found:
                verb = "参加" if miss.member is not None else "开展"
                note = f"回头看：{miss.period.label}（{miss.period.label_zh}）再次未按期{verb}"
                row = conn.execute(
                    update(ITEM)
                    .where(and_(ITEM.c.id == item.id, ITEM.c.status == LedgerStatus.CLEARED.value))
                    .values(
                        status=LedgerStatus.OPEN.value,
                        reopened=ITEM.c.reopened + 1,
                        deadline=deadline_for(today, deadline_days),
                        cleared=None,
                        rectification=None,
                        overdue_alerted=None,
                    )
                    .returning(*ITEM.c)
                ).first()
                if row is None:  # changed by someone else meanwhile
                    continue
                _log(
                    conn,
                    [(item.id, LedgerStatus.CLEARED)],
                    now,
                    by,
                    "reopened",
                    LedgerStatus.OPEN,
                    note,
                )
                reopened.append(_item(row))
        return reopened

    # --- people's changes --------------------------------------------------------------

    def add(
        self,
        org: str,
        issue: str,
        *,
        by: str,
        today: dt.date,
        now: dt.datetime,
        rule: str | None = None,
        period: str | None = None,
        member: str | None = None,
        deadline: dt.date | None = None,
    ) -> LedgerItem:
        """An item an inspector found on site (明察暗访), e.g. "会议记录不规范"."""
        now = utc(now)
        by = _actor(by)
        issue = issue.strip()
        if not issue:
            raise LedgerError("问题描述为空：请写明存在什么问题，如“会议记录不规范”")
        label = Period.parse(period).label if period is not None else None
        deadline = deadline or deadline_for(today)
        if deadline < today:
            raise LedgerError(
                f"整改期限{deadline}早于今天（{today}），请用 --deadline 给出今天或以后的日期"
            )
        with self.engine.begin() as conn:
            if conn.execute(select(ORG.c.code).where(ORG.c.code == org)).first() is None:
                raise UnknownOrgError(org)
            if member is not None:
                home = conn.execute(select(MEMBER.c.org).where(MEMBER.c.id == member)).scalar()
                if home is None:
                    raise LedgerError(
                        f"党员台账中没有编号为“{member}”的党员：请核对编号，"
                        "或先用 orglife import members 导入党员"
                    )
                if home != org:
                    raise LedgerError(f"党员“{member}”属于{home}，不属于{org}；请用 --org {home}")
            row = conn.execute(
                insert(ITEM)
                .values(
                    org=org,
                    member=member or "",
                    rule=rule,
                    period=label,
                    source=LedgerSource.INSPECTION.value,
                    issue=issue,
                    opened=today,
                    deadline=deadline,
                    status=LedgerStatus.OPEN.value,
                    reopened=0,
                )
                .returning(*ITEM.c)
            ).one()
            item = _item(row)
            _log(conn, [(item.id, None)], now, by, "opened", LedgerStatus.OPEN, issue)
        return item

    def rectify(self, item_id: int, note: str, *, by: str, now: dt.datetime) -> LedgerItem:
        """Record what the secretary did (补开会议 / 书面说明): the item moves to rectifying."""
        note = note.strip()
        if not note:
            raise LedgerError("整改情况为空：请写明做了什么，如“已于12月3日补开支部党员大会”")
        return self._move(
            item_id,
            check_rectify,
            LedgerStatus.RECTIFYING,
            "rectified",
            by=by,
            now=now,
            note=note,
            values={"rectification": note},
        )

    def clear(
        self, item_id: int, *, by: str, today: dt.date, now: dt.datetime, note: str | None = None
    ) -> LedgerItem:
        """An inspector verified the rectification: the item is cleared (销号)."""
        return self._move(
            item_id,
            check_clear,
            LedgerStatus.CLEARED,
            "cleared",
            by=by,
            now=now,
            note=(note or "").strip() or None,
            values={"cleared": today},
        )

    def send_back(
        self, item_id: int, note: str, *, by: str, today: dt.date, now: dt.datetime
    ) -> LedgerItem:
        """An inspector found the rectification wanting (退回): the item moves back to open, or
        to overdue when its deadline has passed; the rejected rectification stays in the trail."""
        note = note.strip()
        if not note:
            raise LedgerError("退回理由为空：请写明整改哪里不到位，如“未附会议记录，请补充”")
        return self._move(
            item_id,
            check_send_back,
            lambda item: returned_status(item, today),
            "returned",
            by=by,
            now=now,
            note=note,
            values={"rectification": None},
        )

    def _move(
        self,
        item_id: int,
        check: Callable[[LedgerItem], None],
        to: LedgerStatus | Callable[[LedgerItem], LedgerStatus],
        action: str,
        *,
        by: str,
        now: dt.datetime,
        note: str | None,
        values: dict[str, Any],
    ) -> LedgerItem:
        now = utc(now)
        by = _actor(by)
        with self.engine.begin() as conn:
            item = _one(conn, item_id, lock=True)
            check(item)
            target = to(item) if callable(to) else to
            row = conn.execute(
                update(ITEM)
                .where(and_(ITEM.c.id == item_id, ITEM.c.status == item.status.value))
                .values(status=target.value, **values)
                .returning(*ITEM.c)
            ).first()
            if row is None:
                raise LedgerError(f"问题#{item_id}刚被他人修改，请重试")
            _log(conn, [(item_id, item.status)], now, by, action, target, note)
        return _item(row)

    # --- reads -------------------------------------------------------------------------

    def item(self, item_id: int) -> LedgerItem:
        with self.engine.connect() as conn:
            return _one(conn, item_id)

    def items(
        self, orgs: Collection[str] | None = None, status: LedgerStatus | None = None
    ) -> list[LedgerItem]:
        """The items (of ``orgs``, with ``status``), by id."""
        query = select(ITEM).order_by(ITEM.c.id)
        if status is not None:
            query = query.where(ITEM.c.status == status.value)
        with self.engine.connect() as conn:
            if orgs is None:
                return [_item(r) for r in _rows(conn, query)]
            codes = set(orgs)
            if len(codes) > _MANY:
                return [_item(r) for r in _rows(conn, query) if r.org in codes]
            found: list[LedgerItem] = []
            for chunk in _chunks(sorted(codes), _CHUNK):
                found += [_item(r) for r in _rows(conn, query.where(ITEM.c.org.in_(chunk)))]
        return sorted(found, key=lambda i: i.id)

    def outstanding(self, orgs: Collection[str], as_of: dt.date) -> tuple[int, int]:
        """(items not cleared by ``as_of``, those of them overdue) among ``orgs``' items opened
        by then: what :func:`monitor.reporting.summary.ledger_figures` counts as outstanding and
        overdue, counted in SQL per org (a province's ledger holds tens of thousands)."""
        done = and_(ITEM.c.cleared.is_not(None), ITEM.c.cleared <= as_of)
        late = and_(ITEM.c.status != LedgerStatus.RECTIFYING.value, ITEM.c.deadline < as_of)
        query = (
            select(
                ITEM.c.org,
                func.count(),
                func.sum(case((late, 1), else_=0)),
            )
            .where(ITEM.c.opened <= as_of, ~done)
            .group_by(ITEM.c.org)
        )
        codes = set(orgs)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        mine = [r for r in rows if r[0] in codes]
        return sum(int(r[1]) for r in mine), sum(int(r[2] or 0) for r in mine)

    def events(
        self, item_id: int | None = None, *, items: Collection[int] | None = None
    ) -> list[LedgerEvent]:
        """The audit trail (of one item, or of ``items``), oldest first."""
        query = select(EVENT).order_by(EVENT.c.id)
        if item_id is not None:
            query = query.where(EVENT.c.item == item_id)
        with self.engine.connect() as conn:
            if items is None:
                return [_event(r) for r in _rows(conn, query)]
            wanted = set(items)
            if len(wanted) > _MANY:
                return [_event(r) for r in _rows(conn, query) if r.item in wanted]
            found: list[Any] = []
            for chunk in _chunks(sorted(wanted), _CHUNK):
                found += _rows(conn, query.where(EVENT.c.item.in_(chunk)))
        return [_event(r) for r in sorted(found, key=lambda r: r.id)]

    # --- what changed ------------------------------------------------------------------

    def watermark(self) -> int:
        """The last event of the trail (0: none): every change of an item writes one."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(EVENT.c.id))).scalar() or 0)

    def only_system_between(self, mark: int, end: int) -> bool:
        """Whether every event after ``mark`` up to ``end`` is an evaluation's (none by a
        person)."""
        query = (
            select(EVENT.c.id)
            .where(EVENT.c.id > mark, EVENT.c.id <= end, EVENT.c.actor != SYSTEM)
            .limit(1)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is None

    # --- overdue alerts ----------------------------------------------------------------

    def overdue_unalerted(self) -> list[LedgerItem]:
        """Overdue items whose overdue was not yet announced, by id."""
        query = (
            select(ITEM)
            .where(
                and_(ITEM.c.status == LedgerStatus.OVERDUE.value, ITEM.c.overdue_alerted.is_(None))
            )
            .order_by(ITEM.c.id)
        )
        with self.engine.connect() as conn:
            return [_item(r) for r in _rows(conn, query)]

    def mark_alerted(self, ids: Iterable[int], *, now: dt.datetime) -> int:
        """Note that the overdue of ``ids`` was announced; returns how many were marked."""
        now = utc(now)
        marked = 0
        with self.engine.begin() as conn:
            for chunk in _chunks(sorted(set(ids)), _CHUNK):
                marked += int(
                    conn.execute(
                        update(ITEM)
                        .where(and_(ITEM.c.id.in_(chunk), ITEM.c.overdue_alerted.is_(None)))
                        .values(overdue_alerted=now)
                    ).rowcount
                )
        return marked


# Columns of the staged misses, with their types on PostgreSQL (SQLite stages them as TEXT).
_STAGE = {
    "org": "VARCHAR(64)",
    "member": "VARCHAR(64)",
    "rule": "VARCHAR(64)",
    "period": "VARCHAR(16)",
    "issue": "TEXT",
}
_TYPED = (
    bindparam("today", type_=Date),
    bindparam("deadline", type_=Date),
    bindparam("now", type_=DateTime(timezone=True)),
)
_SAME_ITEM = (
    f"i.source = '{_FINDING}' AND i.org = s.org AND i.member = s.member "
    "AND i.rule = s.rule AND i.period = s.period"
)


class _Staged:
    """A temporary table on the transaction's connection, filled in one go."""

    def __init__(self, conn: Connection, name: str, columns: dict[str, str]) -> None:
        self.conn = conn
        self.name = name
        self.columns = columns
        self.postgres = conn.dialect.name == "postgresql"

    def __enter__(self) -> _Staged:
        if self.postgres:
            types = ", ".join(f"{c} {t}" for c, t in self.columns.items())
            self.conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {self.name} ({types}) ON COMMIT DROP"
            )
        else:
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{self.name}")
            types = ", ".join(
                f"{c} {'INTEGER' if t == 'INTEGER' else 'TEXT'}" for c, t in self.columns.items()
            )
            self.conn.exec_driver_sql(f"CREATE TEMP TABLE {self.name} ({types})")
        return self

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        raw: Any = self.conn.connection.driver_connection
        cursor = raw.cursor()
        names = ", ".join(self.columns)
        try:
            if self.postgres:
                with cursor.copy(f"COPY {self.name} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in self.columns)
                cursor.executemany(f"INSERT INTO {self.name} ({names}) VALUES ({marks})", rows)
        finally:
            cursor.close()

    def __exit__(self, *_: object) -> None:
        if not self.postgres:  # PostgreSQL drops it at commit or rollback
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{self.name}")


def _move_late(conn: Connection, ids: Sequence[int], now: dt.datetime) -> int:
    """Move the unrectified items ``ids`` to rectifying by a late record, with their events."""
    unrectified = ", ".join(f"'{s}'" for s in _UNRECTIFIED)
    with _Staged(conn, "ledger_late", {"id": "INTEGER"}) as stage:
        stage.write([(i,) for i in ids])
        chosen = f"id IN (SELECT id FROM ledger_late) AND status IN ({unrectified})"
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SELECT id FROM ledger_item WHERE {chosen} FOR UPDATE"))
        params = {
            "now": now,
            "actor": SYSTEM,
            "to": LedgerStatus.RECTIFYING.value,
            "note": LATE_RECORD,
        }
        conn.execute(
            text(
                "INSERT INTO ledger_event (item, at, actor, action, from_status, to_status, note) "
                f"SELECT id, :now, :actor, 'rectified', status, :to, :note FROM ledger_item "
                f"WHERE {chosen}"
            ).bindparams(bindparam("now", type_=DateTime(timezone=True))),
            params,
        )
        moved = conn.execute(
            text(f"UPDATE ledger_item SET status = :to, rectification = :note WHERE {chosen}"),
            {"to": params["to"], "note": params["note"]},
        ).rowcount
    return int(moved)


def _move_overdue(conn: Connection, today: dt.date, now: dt.datetime) -> list[LedgerItem]:
    """Move the open items past their deadline to overdue, with their events."""
    due = and_(ITEM.c.status == LedgerStatus.OPEN.value, ITEM.c.deadline < today)
    if conn.dialect.name == "postgresql":
        conn.execute(select(ITEM.c.id).where(due).with_for_update())
    conn.execute(
        insert(EVENT).from_select(
            ["item", "at", "actor", "action", "from_status", "to_status", "note"],
            select(
                ITEM.c.id,
                literal(now, DateTime(timezone=True)),
                literal(SYSTEM),
                literal("overdue"),
                ITEM.c.status,
                literal(LedgerStatus.OVERDUE.value),
                literal(OVERDUE_NOTE),
            ).where(due),
        )
    )
    rows = _rows(
        conn, update(ITEM).where(due).values(status=LedgerStatus.OVERDUE.value).returning(*ITEM.c)
    )
    return sorted((_item(r) for r in rows), key=lambda i: i.id)


def _one(conn: Connection, item_id: int, *, lock: bool = False) -> LedgerItem:
    query = select(ITEM).where(ITEM.c.id == item_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise LedgerError(f"问题台账中没有#{item_id}；可用 orglife ledger list 查看各项问题")
    return _item(row)


def _log(
    conn: Connection,
    changes: Sequence[tuple[int, LedgerStatus | None]],
    now: dt.datetime,
    actor: str,
    action: str,
    to: LedgerStatus,
    note: str | None = None,
) -> None:
    """One audit event per (item, status it came from)."""
    rows = [
        {
            "item": item_id,
            "at": now,
            "actor": actor,
            "action": action,
            "from_status": None if before is None else before.value,
            "to_status": to.value,
            "note": note,
        }
        for item_id, before in changes
    ]
    for chunk in _chunks(rows, _CHUNK):
        conn.execute(insert(EVENT), list(chunk))


def _actor(by: str) -> str:
    by = by.strip()
    if not by:
        raise LedgerError("请用 --by 写明操作人")
    return by[:100]


def _rows(conn: Connection, statement: Any) -> list[Any]:
    """All rows of a statement; the tables are untyped, so rows are ``Any`` at this boundary."""
    result: list[Any] = list(conn.execute(statement))
    return result


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _item(row: Any) -> LedgerItem:
    return LedgerItem(
        id=int(row.id),
        org=str(row.org),
        member=row.member or None,
        rule=row.rule,
        period=row.period,
        source=LedgerSource(row.source),
        issue=str(row.issue),
        opened=row.opened,
        deadline=row.deadline,
        status=LedgerStatus(row.status),
        rectification=row.rectification,
        cleared=row.cleared,
        reopened=int(row.reopened),
    )


def _event(row: Any) -> LedgerEvent:
    return LedgerEvent(
        item=int(row.item),
        at=aware(row.at),
        actor=str(row.actor),
        action=str(row.action),
        from_status=None if row.from_status is None else LedgerStatus(row.from_status),
        to_status=LedgerStatus(row.to_status),
        note=row.note,
    )
