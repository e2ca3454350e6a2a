"""`orglife meetings list|edit|delete|restore|history`: meeting records one at a time.

Corrections go through here, not through a re-import: a re-imported row whose date or kind was
corrected cannot tell which record it corrects. Every change needs a reason and names who made
it (``--by``, default ``cli:<os user>``); the trail is `meetings history ID`.

Registered on the `orglife` group by :mod:`monitor.cli.root`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from monitor.cli import common
from monitor.text import cli as msg

if TYPE_CHECKING:
    from monitor.store import records
    from monitor.store.audit import AuditEvent


def default_actor() -> str:
    """Who a change is recorded as when --by is not given: ``cli:<os user>``."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        user = "unknown"
    return f"cli:{user}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        common.fail(msg.REASON_REQUIRED)
    return reason.strip()


@click.group("meetings")
def meetings() -> None:
    """Meeting records: list, correct (edit), delete, restore, and their history."""


def record_json(record: records.StoredRecord) -> dict[str, Any]:
    """The JSON shape of `orglife meetings list --format json`."""
    m = record.meeting
    return {
        "id": m.id,
        "org": m.org,
        "kinds": sorted(m.kinds),
        "date": m.date.isoformat(),
        "expected": m.expected,
        "attended": m.attended,
        "lecturer": m.lecturer,
        "topic": m.topic,
        "attendees": list(m.attendees),
        "recorded_at": m.recorded_at.isoformat() if m.recorded_at is not None else None,
        "recorded": m.recorded.isoformat() if m.recorded is not None else None,
        "for_period": m.for_period,
        "deleted": record.deleted,
    }


def event_json(event: AuditEvent) -> dict[str, Any]:
    """The JSON shape of one change in `orglife meetings history --format json`."""
    return {
        "at": event.at.isoformat(),
        "by": event.actor,
        "action": event.action,
        "reason": event.reason,
        "changes": event.changes,
    }


_format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
_by_option = click.option("--by", "by", help="Who makes the change (default: cli:<os user>).")
_reason_option = click.option("--reason", "reason", help="Why (required; kept in the trail).")


@meetings.command("list")
@click.option("--org", "org", help="Only this org and the orgs below it.")
@click.option("--from", "first", help="Held on or after this day (YYYY-MM-DD).")
@click.option("--to", "last", help="Held on or before this day (YYYY-MM-DD).")
@click.option("--deleted", is_flag=True, help="Include deleted records.")
@_format_option
@click.pass_obj
@common.handles_errors
def meetings_list(
    obj: common.Context,
    org: str | None,
    first: str | None,
    last: str | None,
    deleted: bool,
    fmt: str,
) -> None:
    """The records, by date."""
    from rich.table import Table

    from monitor.core.rules import load_pack
    from monitor.store import records

    store = obj.store
    found = records.list_records(
        store,
        orgs=store.subtree(org) if org else None,
        first=common.parse_date(first, "--from"),
        last=common.parse_date(last, "--to"),
        deleted=deleted,
    )
    if fmt == "json":
        click.echo(json.dumps([record_json(r) for r in found], ensure_ascii=False, indent=2))
        return
    catalog = load_pack(()).catalog
    table = Table(title=msg.records_title(records=len(found)))
    for header in msg.RECORDS_COLUMNS:
        table.add_column(header, overflow="fold")
    for record in found:
        m = record.meeting
        table.add_row(
            f"#{m.id}",
            escape(m.org),
            escape("+".join(catalog.get(k).name if k in catalog else k for k in sorted(m.kinds))),
            m.date.isoformat(),
            "" if m.expected is None else str(m.expected),
            "" if m.attended is None else str(m.attended),
            escape(m.topic or ""),
            m.recorded.isoformat() if m.recorded else "",
            msg.RECORD_DELETED if record.deleted else msg.RECORD_LIVE,
        )
    common.out.print(table)


@meetings.command("edit")
@click.argument("record_id", type=int)
@click.option("--date", "date", help="The meeting's date.")
@click.option("--kind", "kinds", multiple=True, help="Its kind (id or Chinese name; repeatable).")
@click.option("--expected", "expected", help="People expected.")
@click.option("--attended", "attended", help="People who attended.")
@click.option("--topic", "topic", help="Topic.")
@click.option("--lecturer", "lecturer", help="Who gave the party lesson.")
@click.option("--attendees", "attendees", help="Member ids (or names), separated by ; or ,.")
@click.option("--for-period", "for_period", help="Period it counts for (2025, 2025-Q4…; '').")
@_reason_option
@_by_option
@click.option("--today", help="Today, for the check that a meeting is not in the future.")
@common.rules_option
@click.pass_obj
@common.handles_errors
def meetings_edit(
    obj: common.Context,
    record_id: int,
    date: str | None,
    kinds: Sequence[str],
    expected: str | None,
    attended: str | None,
    topic: str | None,
    lecturer: str | None,
    attendees: str | None,
    for_period: str | None,
    reason: str | None,
    by: str | None,
    today: str | None,
    rule_paths: Sequence[Path],
) -> None:
    """Correct a record; it is checked as an import row is and keeps its entry date."""
    from monitor.core.rules import load_pack
    from monitor.store import records

    why = _reason(reason)
    pack = load_pack(rule_paths)
    before = records.get_record(obj.store, record_id)
    after = records.edit_record(
        obj.store,
        record_id,
        records.Edit(
            date=date,
            kinds=tuple(kinds),
            expected=expected,
            attended=attended,
            topic=topic,
            lecturer=lecturer,
            attendees=attendees,
            for_period=for_period,
        ),
        catalog=pack.catalog,
        today=common.parse_date(today, "--today") or common.today_in_shanghai(),
        now=_now(),
        actor=by or default_actor(),
        reason=why,
    )
    changed = [
        name
        for name, old, new in (
            ("date", before.meeting.date, after.date),
            ("kinds", before.meeting.kinds, after.kinds),
            ("expected", before.meeting.expected, after.expected),
            ("attended", before.meeting.attended, after.attended),
            ("lecturer", before.meeting.lecturer, after.lecturer),
            ("topic", before.meeting.topic, after.topic),
            ("attendees", before.meeting.attendees, after.attendees),
            ("for_period", before.meeting.for_period, after.for_period),
        )
        if old != new
    ]
    common.out.print(msg.record_edited(record_id=record_id, fields=changed), highlight=False)


@meetings.command("delete")
@click.argument("record_id", type=int)
@_reason_option
@_by_option
@click.pass_obj
@common.handles_errors
def meetings_delete(
    obj: common.Context, record_id: int, reason: str | None, by: str | None
) -> None:
    """Delete a record: it stops counting; its row and trail stay."""
    from monitor.store import records

    why = _reason(reason)
    records.delete_record(obj.store, record_id, now=_now(), actor=by or default_actor(), reason=why)
    common.out.print(msg.record_deleted(record_id=record_id), highlight=False)


@meetings.command("restore")
@click.argument("record_id", type=int)
@_reason_option
@_by_option
@click.pass_obj
@common.handles_errors
def meetings_restore(
    obj: common.Context, record_id: int, reason: str | None, by: str | None
) -> None:
    """Bring back a deleted record."""
    from monitor.store import records

    why = _reason(reason)
    records.restore_record(
        obj.store, record_id, now=_now(), actor=by or default_actor(), reason=why
    )
    common.out.print(msg.record_restored(record_id=record_id), highlight=False)


@meetings.command("history")
@click.argument("record_id", type=int)
@_format_option
@click.pass_obj
@common.handles_errors
def meetings_history(obj: common.Context, record_id: int, fmt: str) -> None:
    """Every change of a record: when, by whom, what and why."""
    from rich.table import Table

    from monitor.store import records

    trail = records.history(obj.store, record_id)
    if fmt == "json":
        click.echo(json.dumps([event_json(e) for e in trail], ensure_ascii=False, indent=2))
        return
    table = Table(title=msg.record_source(record_id=record_id))
    for header in msg.RECORD_HISTORY_COLUMNS:
        table.add_column(header, overflow="fold")
    for event in trail:
        changes = "；".join(
            f"{field}: {old} → {new}" for field, (old, new) in event.changes.items()
        )
        table.add_row(
            f"{event.at:%Y-%m-%d %H:%M:%S}",
            escape(event.actor),
            msg.HISTORY_ACTION_ZH.get(event.action, event.action),
            escape(changes),
            escape(event.reason or ""),
        )
    common.out.print(table)
