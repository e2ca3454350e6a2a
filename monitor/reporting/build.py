"""The shell of the monthly summary: one evaluation and two set-based reads, then the pure core.

:func:`build_summary` evaluates ``org``'s subtree once (from
:func:`monitor.reporting.summary.since_for` to ``as_of``, with the ids of the counted records),
reads in one query the records of the subtree entered more than ``late_days`` days after their
meeting (the filter runs in SQL), and
the subtree's ledger items, and hands all of it to :func:`monitor.reporting.summary.summarise`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import BindParameter, bindparam, select, text
from sqlalchemy.types import Date, Integer

from monitor.check import run_check
from monitor.core.errors import OrglifeError
from monitor.core.periods import Period
from monitor.core.rules import RulePack
from monitor.ledger.model import LedgerItem
from monitor.ledger.store import LedgerStore
from monitor.reporting import render_md, render_xlsx
from monitor.reporting.summary import (
    DEFAULT_LATE_DAYS,
    DEFAULT_TREND_MONTHS,
    MonthlySummary,
    RecordDates,
    parse_month,
    record_months,
    since_for,
    summarise,
)
from monitor.store import ORG_TABLE, Store

_IN_LIMIT = 2000  # above this many orgs, filter in Python rather than in a long IN list


def build_summary(
    store: Store,
    pack: RulePack,
    *,
    org: str | None,
    month: Period,
    as_of: dt.date,
    late_days: int = DEFAULT_LATE_DAYS,
    trend: int = DEFAULT_TREND_MONTHS,
) -> MonthlySummary:
    """The monthly summary of ``org``'s subtree (None: the register's single root org)."""
    code = org if org is not None else root_org(store)
    if as_of < month.start:
        raise OrglifeError(
            f"统计截至日 {as_of.isoformat()} 早于 {month.label_zh}，该月尚无可通报的内容"
        )
    since = since_for(pack, month, trend)
    # Only the month's periods list their records (the rows of the month, late entries).
    check = run_check(
        store,
        pack,
        as_of=as_of,
        since=since,
        org=code,
        with_records=True,
        record_months=record_months(pack, month),
    )
    codes = list(check.registers.orgs)
    late = late_records(store, codes, record_months(pack, month), as_of=as_of, min_days=late_days)
    return summarise(
        check,
        pack,
        org=code,
        month=month,
        late_records=late,
        ledger=ledger_items(store, codes),
        late_days=late_days,
        trend=trend,
    )


def monthly_summary(
    store: Store,
    pack: RulePack,
    *,
    org: str,
    month: str | Period,
    as_of: dt.date,
    url: str | None = None,
) -> tuple[str, bytes, str] | None:
    """What an inspector chat gets: (the md message, the xlsx workbook, its file name), or None
    when no finding of ``org``'s subtree ends in ``month``."""
    period = month if isinstance(month, Period) else parse_month(month)
    summary = build_summary(store, pack, org=org, month=period, as_of=as_of)
    if not summary.rows:
        return None
    filename = f"{summary.org}-{period.label}-月度检查通报.xlsx"
    return render_md(summary, url), render_xlsx(summary), filename


def root_org(store: Store) -> str:
    """The code of the register's only top-level org; an error when there are none or several."""
    query = select(ORG_TABLE.c.code, ORG_TABLE.c.name).where(ORG_TABLE.c.parent.is_(None))
    with store.engine.connect() as conn:
        roots: list[Any] = list(conn.execute(query.order_by(ORG_TABLE.c.code).limit(11)))
    if not roots:
        raise OrglifeError("登记册中还没有组织：请先用 orglife import orgs 导入组织")
    if len(roots) > 1:
        shown = "、".join(f"{r.name}（{r.code}）" for r in roots[:10])
        more = "等" if len(roots) > 10 else ""
        raise OrglifeError(f"登记册中有多个顶层组织：{shown}{more}；请用 --org 指定其一")
    return str(roots[0].code)


def late_records(
    store: Store,
    orgs: Collection[str],
    months: range,
    *,
    as_of: dt.date,
    min_days: int,
) -> dict[int, RecordDates]:
    """The records of ``orgs`` in ``months`` (month indexes), held by ``as_of`` and entered more
    than ``min_days`` days after their meeting: one query, the lateness filtered in SQL."""
    if not orgs or not months:
        return {}
    if store.dialect == "postgresql":
        gap = "m.recorded - m.day > :days"  # date - date is a number of days
    else:
        gap = "julianday(m.recorded) - julianday(m.day) > :days"
    binds: list[BindParameter[Any]] = [
        bindparam("m0", months.start, type_=Integer),
        bindparam("m1", months.stop, type_=Integer),
        bindparam("as_of", as_of, type_=Date),
        bindparam("days", min_days, type_=Integer),
    ]
    where = ""
    wanted = set(orgs)
    if len(wanted) <= _IN_LIMIT:
        where = " AND m.org IN :orgs"
        binds.append(bindparam("orgs", sorted(wanted), expanding=True))
    sql = (
        text(
            "SELECT m.id, m.org, m.day, m.recorded FROM meeting m "
            "WHERE m.month >= :m0 AND m.month < :m1 AND m.day <= :as_of "
            f"AND m.recorded IS NOT NULL AND m.deleted_at IS NULL AND {gap}{where}"
        )
        .bindparams(*binds)
        .columns(id=Integer, day=Date, recorded=Date)
    )
    with store.engine.connect() as conn:
        rows: list[Any] = list(conn.execute(sql))
    return {
        int(row.id): RecordDates(str(row.org), row.day, row.recorded)
        for row in rows
        if row.org in wanted
    }


def ledger_items(store: Store, orgs: Collection[str]) -> list[LedgerItem]:
    """The problem-ledger items of ``orgs``."""
    return LedgerStore(store).items(orgs=orgs)
