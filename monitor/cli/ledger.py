"""`orglife ledger …`: the problem ledger (问题台账) on the command line.

Items are opened by every evaluation (`orglife check`, the service) for final misses, and by
inspectors here (`ledger add`); secretaries record rectifications, inspectors clear items, and
a look-back (`ledger review`) reopens cleared items whose problem recurred.

Registered on the `orglife` group by :mod:`monitor.cli.root`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from monitor.cli import common
from monitor.core.domain import Member, Org
from monitor.core.errors import OrglifeError
from monitor.core.periods import Period
from monitor.ledger.model import (
    ACTION_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    LedgerItem,
    LedgerStatus,
)
from monitor.ledger.warning import Colour
from monitor.text import cli as msg

if TYPE_CHECKING:
    from monitor.ledger.warning import ItemWarning
    from monitor.store import Store

WARNING_STYLE = {Colour.RED: "bold red", Colour.YELLOW: "bold yellow"}
STATUS_STYLE = {
    LedgerStatus.OPEN: "yellow",
    LedgerStatus.RECTIFYING: "cyan",
    LedgerStatus.CLEARED: "green",
    LedgerStatus.OVERDUE: "bold red",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_org_option = click.option("--org", "org", help="Only this organisation and everything below it.")
_status_option = click.option(
    "--status",
    "status",
    type=click.Choice([s.value for s in LedgerStatus]),
    help="Only items with this status.",
)
_by_option = click.option(
    "--by", "by", required=True, help="Who makes the change (name or member id), for the record."
)


@click.group("ledger")
def ledger() -> None:
    """The problem ledger (问题台账): list, add, rectify, clear, return, review, history, export."""


def _codes(store: Store, org: str | None) -> list[str] | None:
    return store.subtree(org.strip()) if org is not None else None


_colour_day_option = click.option(
    "--as-of", "as_of", help="Judge the warning colours (三色预警) as at this day (default: today)."
)


def _coloured(
    store: Store,
    codes: list[str] | None,
    status: str | None,
    rule_paths: Sequence[Path],
    as_of: str | None,
) -> tuple[list[LedgerItem], dict[int, ItemWarning]]:
    """The items (of ``codes``, with ``status``) and their warning colours (三色预警) on
    ``as_of``; colours are judged on every item of the orgs (earlier periods' items count)."""
    from monitor.core.rules import load_pack
    from monitor.ledger.view import coloured

    day = common.parse_date(as_of, "--as-of") or common.today_in_shanghai()
    return coloured(
        store,
        codes,
        LedgerStatus(status) if status is not None else None,
        today=day,
        escalation=load_pack(rule_paths).escalation,
    )


@ledger.command("list")
@_org_option
@_status_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@_colour_day_option
@common.rules_option
@click.pass_obj
@common.handles_errors
def ledger_list(
    obj: common.Context,
    org: str | None,
    status: str | None,
    fmt: str,
    as_of: str | None,
    rule_paths: Sequence[Path],
) -> None:
    """The ledger's items, oldest first, with their warning colour (三色预警)."""
    from rich.table import Table

    from monitor.ledger.view import item_json, item_names
    from monitor.ledger.warning import COLOUR_LABELS

    store = obj.store
    items, colours = _coloured(store, _codes(store, org), status, rule_paths, as_of)
    orgs, members = item_names(store, items)
    if fmt == "json":
        rows = [item_json(i, orgs, members, colours.get(i.id)) for i in items]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=msg.ledger_title(items=len(items)))
    for header in msg.LEDGER_COLUMNS:
        table.add_column(header, overflow="fold")
    for item in items:
        table.add_row(*_cells(item, orgs, members, colours.get(item.id)))
    common.out.print(table)
    counts = {s: sum(i.status is s for i in items) for s in LedgerStatus}
    common.out.print(msg.tally((STATUS_LABELS[s], n) for s, n in counts.items()), highlight=False)
    shown = [colours[i.id].colour for i in items if i.id in colours]
    if shown:
        tally = ((f"{COLOUR_LABELS[c]}预警", shown.count(c)) for c in Colour)
        common.out.print(msg.tally(tally), highlight=False)


def _cells(
    item: LedgerItem,
    orgs: Mapping[str, Org],
    members: Mapping[str, Member],
    warning: ItemWarning | None = None,
) -> list[str]:
    from monitor.ledger.export import subject_label

    org = orgs.get(item.org)
    style = STATUS_STYLE[item.status]
    reopened = msg.reopened_times(times=item.reopened)
    colour = f"[{WARNING_STYLE[warning.colour]}]{warning.label}[/]" if warning is not None else ""
    return [
        f"#{item.id}",
        escape(msg.with_code(org.name if org else item.org, item.org)),
        escape(subject_label(item, members)),
        escape(item.issue),
        Period.parse(item.period).label_zh if item.period else "—",
        SOURCE_LABELS[item.source],
        item.opened.isoformat(),
        item.deadline.isoformat(),
        f"[{style}]{STATUS_LABELS[item.status]}[/]{reopened}",
        colour,
        escape(item.rectification or ""),
    ]


@ledger.command("add")
@click.option("--org", "org", required=True, help="The org code the problem belongs to.")
@click.option("--issue", "issue", required=True, help="What is wrong, e.g. 会议记录不规范.")
@click.option("--member", "member", help="The member concerned (a leading cadre), by id.")
@click.option("--rule", "rule", help="The rule concerned, by id (see `orglife rules check`).")
@click.option("--period", "period", help="The period concerned: 2026-09, 2026-Q3, 2026-H2, 2026.")
@click.option("--found", "found", help="The day it was found (default: today).")
@click.option("--deadline", "deadline", help="Rectify by this day (default: found + 30 days).")
@common.rules_option
@_by_option
@click.pass_obj
@common.handles_errors
def ledger_add(
    obj: common.Context,
    org: str,
    issue: str,
    member: str | None,
    rule: str | None,
    period: str | None,
    found: str | None,
    deadline: str | None,
    rule_paths: Sequence[Path],
    by: str,
) -> None:
    """Add a problem an inspector found on site (明察暗访)."""
    from monitor.core.rules import load_pack
    from monitor.ledger.store import LedgerStore

    if rule is not None:
        pack = load_pack(rule_paths)
        known = [r.id for r in pack.rules]
        if rule.strip() not in known:
            raise OrglifeError(f"现行规则中没有“{rule.strip()}”，可用的规则有：{'、'.join(known)}")
    store = obj.store
    day = common.parse_date(found, "--found") or common.today_in_shanghai()
    item = LedgerStore(store).add(
        org.strip(),
        issue,
        by=by,
        today=day,
        now=_now(),
        rule=rule.strip() if rule is not None else None,
        period=Period.parse(period).label if period is not None else None,
        member=member.strip() if member is not None else None,
        deadline=common.parse_date(deadline, "--deadline"),
    )
    name = store.org(item.org).name
    common.out.print(
        escape(
            msg.problem_added(
                item_id=item.id,
                org_name=name,
                org_code=item.org,
                issue=item.issue,
                deadline=item.deadline,
            )
        ),
        highlight=False,
    )


@ledger.command("rectify")
@click.argument("item_id", metavar="ID", type=int)
@click.option(
    "--note", "note", required=True, help="What was done: 补开会议 (date, topic) or 书面说明."
)
@_by_option
@click.pass_obj
@common.handles_errors
def ledger_rectify(obj: common.Context, item_id: int, note: str, by: str) -> None:
    """Record the rectification of an item (the secretary): it moves to 整改中."""
    from monitor.alerts.store import drop_settled
    from monitor.ledger.store import LedgerStore

    item = LedgerStore(obj.store).rectify(item_id, note, by=by, now=_now())
    drop_settled(obj.store, [item], now=_now())  # its pending repeats (三色预警) stop
    common.out.print(
        escape(
            msg.problem_rectified(
                item_id=item.id, status=STATUS_LABELS[item.status], note=item.rectification
            )
        ),
        highlight=False,
    )


@ledger.command("clear")
@click.argument("item_id", metavar="ID", type=int)
@_by_option
@click.option("--note", "note", help="What the inspector verified.")
@click.pass_obj
@common.handles_errors
def ledger_clear(obj: common.Context, item_id: int, by: str, note: str | None) -> None:
    """Clear (销号) a rectified item once an inspector has verified it."""
    from monitor.alerts.store import drop_settled
    from monitor.ledger.store import LedgerStore

    item = LedgerStore(obj.store).clear(
        item_id, by=by, today=common.today_in_shanghai(), now=_now(), note=note
    )
    drop_settled(obj.store, [item], now=_now())  # its pending repeats (三色预警) stop
    common.out.print(
        escape(msg.problem_cleared(item_id=item.id, cleared=item.cleared, issue=item.issue)),
        highlight=False,
    )


@ledger.command("return")
@click.argument("item_id", metavar="ID", type=int)
@click.option("--note", "note", required=True, help="Why the rectification is not accepted.")
@_by_option
@click.option(
    "--as-of", "as_of", help="Judge the deadline as at this day (default: today in Shanghai)."
)
@click.pass_obj
@common.handles_errors
def ledger_return(obj: common.Context, item_id: int, note: str, by: str, as_of: str | None) -> None:
    """Send a rectification back (退回): the item is open again (overdue past its deadline)."""
    from monitor.ledger.store import LedgerStore

    day = common.parse_date(as_of, "--as-of") or common.today_in_shanghai()
    item = LedgerStore(obj.store).send_back(item_id, note, by=by, today=day, now=_now())
    common.out.print(
        escape(
            msg.problem_returned(
                item_id=item.id, status=STATUS_LABELS[item.status], note=note.strip()
            )
        ),
        highlight=False,
    )


@ledger.command("review")
@click.option("--as-of", "as_of", help="Judge as at this day (default: today in Shanghai).")
@_org_option
@common.rules_option
@_by_option
@click.pass_obj
@common.handles_errors
def ledger_review(
    obj: common.Context, as_of: str | None, org: str | None, rule_paths: Sequence[Path], by: str
) -> None:
    """Look back (回头看) at cleared items: reopen those missed again within two periods."""
    from monitor.check import look_back
    from monitor.core.rules import load_pack
    from monitor.ledger.export import subject_label
    from monitor.ledger.store import LedgerStore
    from monitor.ledger.view import item_names

    store = obj.store
    day = common.parse_date(as_of, "--as-of") or common.today_in_shanghai()
    done = look_back(
        store,
        load_pack(rule_paths),
        as_of=day,
        now=_now(),
        by=by,
        org=org,
        codes=_codes(store, org),
    )
    if not done.evaluated:
        common.out.print(msg.review_nothing_to_do(as_of=day, cleared=done.cleared), highlight=False)
        return
    reopened = done.reopened
    orgs, members = item_names(store, reopened)
    for item in reopened:
        org_name = orgs[item.org].name if item.org in orgs else item.org
        trail = LedgerStore(store).events(item.id)
        why = trail[-1].note if trail else ""
        common.out.print(
            escape(
                msg.problem_reopened(
                    item_id=item.id,
                    org_name=org_name,
                    org_code=item.org,
                    subject=subject_label(item, members),
                    issue=item.issue,
                    why=why,
                    deadline=item.deadline,
                )
            ),
            highlight=False,
        )
    common.out.print(
        msg.review_done(as_of=day, cleared=done.cleared, reopened=len(reopened)),
        highlight=False,
    )


@ledger.command("history")
@click.argument("item_id", metavar="ID", type=int)
@click.pass_obj
@common.handles_errors
def ledger_history(obj: common.Context, item_id: int) -> None:
    """The audit trail of one item: who changed what, and when (Beijing time)."""
    from rich.table import Table

    from monitor.ledger.export import SHANGHAI
    from monitor.ledger.store import LedgerStore

    store = obj.store
    item = LedgerStore(store).item(item_id)
    table = Table(
        title=escape(
            msg.history_title(
                item_id=item.id,
                org_name=store.org(item.org).name,
                issue=item.issue,
                status=STATUS_LABELS[item.status],
            )
        )
    )
    for header in msg.HISTORY_COLUMNS:
        table.add_column(header, overflow="fold")
    for event in LedgerStore(store).events(item_id):
        before = f"{STATUS_LABELS[event.from_status]} → " if event.from_status else ""
        table.add_row(
            f"{event.at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
            escape(event.actor),
            ACTION_LABELS.get(event.action, event.action),
            f"{before}{STATUS_LABELS[event.to_status]}",
            escape(event.note or ""),
        )
    common.out.print(table)


@ledger.command("export")
@_org_option
@_status_option
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(path_type=Path), help="FILE.xlsx"
)
@_colour_day_option
@common.rules_option
@click.pass_obj
@common.handles_errors
def ledger_export(
    obj: common.Context,
    org: str | None,
    status: str | None,
    output: Path,
    as_of: str | None,
    rule_paths: Sequence[Path],
) -> None:
    """Export the ledger to Excel: sheets 问题台账 (with today's 预警 colour) and 整改记录."""
    from monitor.ledger.export import export_ledger
    from monitor.ledger.store import LedgerStore
    from monitor.ledger.view import item_names

    if output.suffix.lower() != ".xlsx":
        raise OrglifeError(f"无法导出到 {output}：文件名须以 .xlsx 结尾")
    if not output.parent.resolve().is_dir():
        raise OrglifeError(f"无法写入 {output}：文件夹 {output.parent} 不存在")
    store = obj.store
    items, colours = _coloured(store, _codes(store, org), status, rule_paths, as_of)
    events = LedgerStore(store).events(items=[i.id for i in items])
    orgs, members = item_names(store, items)
    export_ledger(output, items, events, orgs, members, colours)
    common.out.print(
        escape(msg.ledger_exported(items=len(items), events=len(events), path=str(output))),
        highlight=False,
    )
