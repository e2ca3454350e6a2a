"""`orglife registers begin [YYYY-MM-DD]`: show or set the day the registers began.

Periods that end before that day are not reported by checks, calendars, the ledger or alerts.
Without a setting, the registers begin on the first day of the earliest record's month.

Registered on the `orglife` group by :mod:`monitor.cli.root`.
"""

from __future__ import annotations

import datetime as dt

import click

from monitor.cli import common
from monitor.cli.exemptions import default_actor
from monitor.core.errors import OrglifeError
from monitor.text import cli as msg


@click.group("registers")
def registers() -> None:
    """Settings of the registers as a whole."""


@registers.command("begin")
@click.argument("day", required=False)
@click.option("--by", "by", default=None, help="Who sets it (default: cli:<os user>).")
@click.pass_obj
@common.handles_errors
def begin(obj: common.Context, day: str | None, by: str | None) -> None:
    """Show the day the registers began, or set it (YYYY-MM-DD)."""
    from monitor.store.settings import (
        earliest_record_month,
        explicit_registers_begin,
        set_registers_begin,
    )

    if day is None:
        explicit = explicit_registers_begin(obj.store)
        if explicit is not None:
            line = msg.registers_begin_explicit(day=explicit)
        else:
            default = earliest_record_month(obj.store)
            line = (
                msg.registers_begin_default(day=default)
                if default is not None
                else msg.registers_begin_none()
            )
        common.out.print(line, highlight=False)
        return
    try:
        parsed = dt.date.fromisoformat(day.strip())
    except ValueError:
        raise OrglifeError(msg.registers_begin_bad_date(value=day)) from None
    set_registers_begin(
        obj.store,
        parsed,
        by=by if by is not None else default_actor(),
        now=dt.datetime.now(dt.UTC),
    )
    common.log.info("registers_begin_set", day=parsed.isoformat())
    common.out.print(msg.registers_begin_set(day=parsed), highlight=False)
